"""What a channel is owed: the one definition post_due, /pmtip schedule and the Home
tab share. A table of ledger situations, and a property: whatever slot `next_post`
promises, `owed_now` says is due at that instant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.owed import DeliveryState, Settled, next_post, owed_now, settles
from bot.core.schedule import Due, NotOwed, TooLate, WeeklySchedule

MONDAY_9_NEW_YORK = WeeklySchedule(day=0, at=time(9, 0), timezone="America/New_York")
W02 = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)  # Monday 09:00 in New York, week 2026-W02
W03 = W02 + timedelta(days=7)
NEW_YEAR = datetime(2026, 1, 1, tzinfo=UTC)
POSTED, CLAIMED, SKIPPED, FAILED = (
    DeliveryState.POSTED,
    DeliveryState.CLAIMED,
    DeliveryState.SKIPPED,
    DeliveryState.FAILED,
)
UNKNOWN = "not_in_channel while checking the history; outcome unknown"


@dataclass(frozen=True)
class Row:
    state: DeliveryState
    reason: str | None
    updated_at: datetime


def at(hours: float) -> datetime:
    """An instant relative to this week's slot (W02, Monday 14:00 UTC)."""
    return W02 + timedelta(hours=hours)


# (what happened, now, subscribed at, this week's row, what owed_now says, next post)
TABLE = [
    ("nothing yet, at the slot", at(0), NEW_YEAR, None, Due, W02),
    ("nothing yet, two hours late", at(2), NEW_YEAR, None, Due, W02),
    ("nothing yet, past catch-up", at(20), NEW_YEAR, None, TooLate, W03),
    ("posted", at(1), NEW_YEAR, Row(POSTED, None, at(0)), Settled, W03),
    ("claimed, in flight", at(0), NEW_YEAR, Row(CLAIMED, None, at(0)), Settled, W03),
    ("skipped as too late", at(20), NEW_YEAR, Row(SKIPPED, "too late", at(20)), Settled, W03),
    (
        "Slack refused, still paused",
        at(1),
        NEW_YEAR,
        Row(FAILED, "is_archived", at(0)),
        Settled,
        W03,
    ),
    (
        "post-now refused early, re-subscribed before the slot: owed again",
        at(0),
        at(-3),
        Row(FAILED, "not_in_channel", at(-4)),
        Due,
        W02,
    ),
    (
        "the same, looked at before the slot",
        at(-2),
        at(-3),
        Row(FAILED, "not_in_channel", at(-4)),
        NotOwed,  # the latest slot is last week's, before the subscription
        W02,
    ),
    (
        "post-now refused early, not re-subscribed",
        at(-2),
        NEW_YEAR,
        Row(FAILED, "not_in_channel", at(-4)),
        NotOwed,
        W03,
    ),
    (
        "the slot's own post refused, re-subscribed after it",
        at(2),
        at(1),
        Row(FAILED, "channel_not_found", at(0)),
        NotOwed,  # slots before a subscription are never owed
        W03,
    ),
    (
        "outcome unknown, re-subscribed: never reopened (it may have landed)",
        at(0),
        at(-3),
        Row(FAILED, UNKNOWN, at(-4)),
        Settled,
        W03,
    ),
    (
        "refused after the re-subscription",
        at(1),
        at(-3),
        Row(FAILED, "is_archived", at(0)),
        Settled,
        W03,
    ),
    ("subscribed after the slot", at(2), at(1), None, NotOwed, W03),
]


@pytest.mark.parametrize(
    ("now", "since", "row", "kind", "promised"),
    [case[1:] for case in TABLE],
    ids=[case[0] for case in TABLE],
)
def test_what_is_owed(now, since, row, kind, promised):
    ledger = {"2026-W02": row} if row else {}
    owed = owed_now(MONDAY_9_NEW_YORK, now=now, catchup_hours=12, active_since=since, ledger=ledger)
    assert type(owed) is kind
    slot = next_post(
        MONDAY_9_NEW_YORK, now=now, catchup_hours=12, active_since=since, ledger=ledger
    )
    assert slot.instant == promised
    # the promise is kept: at that instant the scheduler finds that slot due
    assert owed_now(
        MONDAY_9_NEW_YORK, now=slot.instant, catchup_hours=12, active_since=since, ledger=ledger
    ) == Due(slot)


def test_a_week_settled_under_an_earlier_schedule_stays_settled_after_a_change():
    # Posted Monday; on Tuesday the channel moves to Fridays: this week is done.
    friday = WeeklySchedule(day=4, at=time(9, 0), timezone="America/New_York")
    tuesday = at(25)
    ledger = {"2026-W02": Row(POSTED, None, at(0))}
    slot = next_post(friday, now=tuesday, catchup_hours=12, active_since=tuesday, ledger=ledger)
    assert slot.key == "2026-W03"
    friday_slot = datetime(2026, 1, 9, 14, 0, tzinfo=UTC)
    assert isinstance(
        owed_now(friday, now=friday_slot, catchup_hours=12, active_since=tuesday, ledger=ledger),
        Settled,
    )


def test_only_a_refusal_before_the_current_subscription_reopens_a_week():
    since = at(-3)
    assert not settles(Row(FAILED, "is_archived", at(-4)), active_since=since)
    assert settles(Row(FAILED, "is_archived", at(-2)), active_since=since)
    assert settles(Row(FAILED, UNKNOWN, at(-4)), active_since=since)
    for state in (POSTED, CLAIMED, SKIPPED):
        assert settles(Row(state, "is_archived", at(-4)), active_since=since)


rows = st.one_of(
    st.none(),
    st.builds(
        Row,
        st.sampled_from(list(DeliveryState)),
        st.sampled_from([None, "is_archived", "not_in_channel", UNKNOWN, "too late"]),
        st.integers(-200, 200).map(at),
    ),
)


@given(
    now=st.integers(-200, 200).map(at),
    since_before=st.integers(0, 400),
    this_week=rows,
    next_week=rows,
    catchup=st.sampled_from([0, 1, 12, 48]),
)
def test_every_promise_is_a_slot_the_scheduler_posts(
    now, since_before, this_week, next_week, catchup
):
    since = now - timedelta(hours=since_before)
    ledger = {key: row for key, row in (("2026-W02", this_week), ("2026-W03", next_week)) if row}
    slot = next_post(
        MONDAY_9_NEW_YORK, now=now, catchup_hours=catchup, active_since=since, ledger=ledger
    )
    assert slot.instant >= now or isinstance(
        owed_now(
            MONDAY_9_NEW_YORK, now=now, catchup_hours=catchup, active_since=since, ledger=ledger
        ),
        Due,
    )
    kept = owed_now(
        MONDAY_9_NEW_YORK,
        now=slot.instant,
        catchup_hours=catchup,
        active_since=since,
        ledger=ledger,
    )
    assert kept == Due(slot)
