"""The weekly delivery's decisions, one table each: Slack's answer to a post, the
history looked at before posting again or after the last attempt, a stopping run,
and an orphaned claim. No Slack, no database: bot.weekly carries these out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.delivery_rules import (
    DEFAULT_POLICY,
    Done,
    Found,
    History,
    InDoubt,
    LookThenRelease,
    NoAnswer,
    Orphan,
    Pause,
    PostAgain,
    RecordPosted,
    Release,
    RetryAfter,
    SlackRefused,
    StopRun,
    Tries,
    after_failed_post,
    after_last_look,
    before_posting_again,
    carries_slot,
    claimed_before,
    history_error,
    past_catchup,
    retry_after_seconds,
    settle_orphan,
    slot_metadata,
    when_halted,
)

FRESH = Tries()
ANSWERED = Tries(may_have_posted=True)  # a 5xx came back earlier in this run
LAST_TRY = Tries(failures=2)  # the default policy allows 3 attempts
LAST_TRY_ANSWERED = Tries(failures=2, may_have_posted=True)
WAITED_5 = Tries(rate_waits=5)  # the default policy waits out 5 429s


# Short names keep each row of the tables on one line.
refused, lost, retry = SlackRefused, NoAnswer, RetryAfter
UNKNOWN = "outcome unknown, checked again after the lease"
UNREAD = "could not check Slack's history"


def held(seconds: float) -> RetryAfter:
    """A 429's wait, which holds back the whole workspace."""
    return RetryAfter(seconds, Tries(0, 1), "rate limited", whole_workspace=True)


@pytest.mark.parametrize(
    ("failure", "tries", "expected"),
    [
        # 429: wait out Retry-After, unless it is too long or came too often
        (refused(429, "ratelimited", 3.0), FRESH, held(3.0)),
        (refused(429, "ratelimited", 60.0), FRESH, held(60.0)),
        (refused(429, "ratelimited", 61.0), FRESH, Release("rate limited (Retry-After 61s)")),
        (refused(429, "ratelimited", 1.0), WAITED_5, Release("rate limited (Retry-After 1s)")),
        # the channel cannot receive: pause it
        (refused(200, "channel_not_found"), FRESH, Pause("channel_not_found")),
        (refused(200, "is_archived"), ANSWERED, Pause("is_archived")),
        (refused(200, "not_in_channel"), FRESH, Pause("not_in_channel")),
        # the token is refused: no post of this run can succeed
        (refused(200, "invalid_auth"), FRESH, StopRun("invalid_auth")),
        (refused(200, "token_revoked"), FRESH, StopRun("token_revoked")),
        (refused(200, "account_inactive"), FRESH, StopRun("account_inactive")),
        # Slack answered 5xx or a transient error: nothing in flight, look before re-posting
        (refused(500, "http_500"), FRESH, retry(1.0, Tries(1, 0, True), "http_500")),
        (refused(503, "busy"), Tries(1), retry(2.0, Tries(2, 0, True), "busy")),
        (refused(200, "internal_error"), FRESH, retry(1.0, Tries(1, 0, True), "internal_error")),
        (refused(502, "http_502"), LAST_TRY, LookThenRelease("http_502")),
        # any other refusal: nothing was posted, the next tick tries again
        (refused(200, "restricted_action"), FRESH, Release("restricted_action")),
        (refused(400, "invalid_blocks"), ANSWERED, Release("invalid_blocks")),
        # the request never left: retry as it is
        (lost("ConnectionRefused", sent=False), FRESH, retry(1.0, Tries(1), "ConnectionRefused")),
        (lost("gaierror", sent=False), LAST_TRY, Release("gaierror")),
        (lost("gaierror", sent=False), LAST_TRY_ANSWERED, LookThenRelease("gaierror")),
        # sent, and no answer: Slack may still be posting it
        (lost("TimeoutError", sent=True), FRESH, InDoubt(f"TimeoutError; {UNKNOWN}")),
        (lost("ConnectionReset", sent=True), LAST_TRY, InDoubt(f"ConnectionReset; {UNKNOWN}")),
    ],
)  # fmt: skip
def test_after_a_failed_post(failure, tries, expected):
    assert after_failed_post(failure, tries=tries, policy=DEFAULT_POLICY) == expected


@pytest.mark.parametrize(
    ("look", "tries", "expected"),
    [
        (Found("1700000000.000100"), ANSWERED, RecordPosted("1700000000.000100")),
        (History.NOT_FOUND, ANSWERED, PostAgain.POST),
        (History.CHANNEL_GONE, ANSWERED, Done.DONE),
        (History.UNREADABLE, ANSWERED, retry(1.0, Tries(1, 0, True), UNREAD)),
        (History.UNREADABLE, LAST_TRY_ANSWERED, LookThenRelease(UNREAD)),
    ],
)  # fmt: skip
def test_before_posting_again_the_history_decides(look, tries, expected):
    assert before_posting_again(look, tries=tries, policy=DEFAULT_POLICY) == expected


@pytest.mark.parametrize(
    ("look", "expected"),
    [
        (Found("1.2"), RecordPosted("1.2")),
        (History.NOT_FOUND, Release("http_503")),
        (History.CHANNEL_GONE, Done.DONE),
        (History.UNREADABLE, InDoubt("http_503; outcome unknown")),
    ],
)
def test_after_the_last_attempt_the_history_decides(look, expected):
    assert after_last_look(look, reason="http_503") == expected


@pytest.mark.parametrize(
    ("tries", "expected"),
    [
        (FRESH, Release("stopping")),
        (Tries(failures=1), Release("stopping")),
        (ANSWERED, InDoubt(f"stopping; {UNKNOWN}")),
    ],
)
def test_a_halted_run_releases_unless_a_post_may_have_landed(tries, expected):
    assert when_halted("stopping", tries=tries) == expected


@pytest.mark.parametrize(
    ("look", "too_late", "expected"),
    [
        (Found("9.9"), False, RecordPosted("9.9")),
        (Found("9.9"), True, RecordPosted("9.9")),
        (History.NOT_FOUND, False, Orphan.TAKE_OVER),
        (History.NOT_FOUND, True, Orphan.CLOSE_TOO_LATE),
        (History.UNREADABLE, False, Orphan.LEAVE_FOR_LATER),
        (History.UNREADABLE, True, Orphan.CLOSE_UNKNOWN),
        (History.CHANNEL_GONE, False, Done.DONE),
        (History.CHANNEL_GONE, True, Done.DONE),
    ],
)
def test_an_orphaned_claim_is_settled_by_the_history(look, too_late, expected):
    assert settle_orphan(look, too_late=too_late) == expected


SLOT = datetime(2026, 1, 5, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "catchup_hours", "expected"),
    [
        (SLOT + timedelta(hours=12), 12, False),
        (SLOT + timedelta(hours=12, seconds=1), 12, True),
        (SLOT + timedelta(seconds=1), 0, True),
        (SLOT, 0, False),
        (SLOT + timedelta(seconds=1), -5, True),  # a negative window is no window
    ],
)
def test_past_catchup(now, catchup_hours, expected):
    assert past_catchup(SLOT, now=now, catchup_hours=catchup_hours) is expected


def test_a_claim_is_orphaned_once_older_than_the_lease():
    assert claimed_before(SLOT, policy=DEFAULT_POLICY) == SLOT - timedelta(minutes=10)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("channel_not_found", History.CHANNEL_GONE),
        ("is_archived", History.CHANNEL_GONE),
        ("not_in_channel", History.CHANNEL_GONE),
        ("missing_scope", History.UNREADABLE),
        ("", History.UNREADABLE),
    ],
)
def test_a_failed_history_read(code, expected):
    assert history_error(code) is expected


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [("30", 30.0), (["7"], 7.0), (None, 1.0), ("", 1.0), ("soon", 1.0), ("-3", 0.0), ([], 1.0)],
)
def test_retry_after_header(raw, seconds):
    assert retry_after_seconds(raw) == seconds


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"metadata": slot_metadata(subscription_id=7, slot_key="2026-W02")}, True),
        ({"metadata": slot_metadata(subscription_id=8, slot_key="2026-W02")}, False),
        ({"metadata": slot_metadata(subscription_id=7, slot_key="2026-W03")}, False),
        ({"metadata": {"event_type": "other", "event_payload": {"subscription_id": 7}}}, False),
        ({"text": "no metadata"}, False),
    ],
)
def test_a_message_carries_its_week_by_metadata(message, expected):
    assert carries_slot(message, subscription_id=7, slot_key="2026-W02") is expected
