"""What pmtip says about schedules and stats: pure rendering, within Slack's limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from bot.core.catalogue import Catalogue, Tip, Topic
from bot.core.feedback import TipStats
from bot.core.render.admin import stats
from bot.core.render.weekly import (
    describe_schedule,
    local_time_text,
    schedule_status,
    slack_date,
    vote_not_saved,
)
from bot.core.schedule import WeeklySchedule, slot_on, unusable_schedule_reason
from tests.support.slack_validation import assert_no_broadcast, assert_valid_message

TOPIC = Topic("ai-fit", "AI fit", "When AI fits")


def catalogue_of(count: int) -> Catalogue:
    tips = tuple(
        Tip(
            id=f"tip-{n:05d}",
            topic="ai-fit",
            title=f"Tip number {n} <!channel>",
            body="b",
            try_this="t",
            quote="q",
            section="s",
            audience=("business",),
        )
        for n in range(count)
    )
    return Catalogue(topics=(TOPIC,), tips=tips)


def section_texts(message) -> str:
    return "\n".join(b["text"]["text"] for b in message.blocks if b["type"] == "section")


def test_schedule_is_described_with_day_time_and_zone():
    schedule = WeeklySchedule(day=4, at=time(10, 30), timezone="Europe/Berlin")
    assert describe_schedule(schedule) == "every Friday at 10:30 (Europe/Berlin)"


def test_times_are_shown_on_the_channels_clock_with_a_slack_date_token():
    instant = slot_on(WeeklySchedule(0, time(9, 0), "America/New_York"), date(2026, 7, 6)).instant
    assert local_time_text(instant, "America/New_York") == "Monday 6 July 2026, 09:00 EDT"
    token = slack_date(instant, "America/New_York")
    assert token.startswith(f"<!date^{int(instant.timestamp())}^")
    assert token.endswith("|Monday 6 July 2026, 09:00 EDT>")


def test_a_paused_schedule_explains_the_fix_and_shows_no_next_post():
    message = schedule_status(
        schedule=WeeklySchedule(0, time(9, 0), "UTC"),
        topics=(),
        next_slot=None,
        paused_reason="is_archived",
        last_posted=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        now=datetime(2026, 1, 7, tzinfo=UTC),
    )
    assert "Paused" in message.text and "Unarchive" in message.text
    assert "Next post" not in message.text
    assert "Last posted: Monday 5 January 2026, 09:00 UTC" in message.text
    assert_valid_message(message.as_kwargs())


def test_an_unusable_stored_schedule_is_shown_as_a_pause_with_its_fix():
    problem = "the timezone '<!channel> Mars/Olympus' is not one this host knows"
    message = schedule_status(
        schedule=None,
        topics=("ai-fit",),
        next_slot=None,
        paused_reason=unusable_schedule_reason(problem),
        last_posted=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        now=datetime(2026, 1, 7, tzinfo=UTC),
    )
    assert "*Paused*: the stored schedule cannot be used" in message.text
    assert "Mars/Olympus" in message.text and "valid timezone" in message.text
    assert "/pmtip subscribe monday 09:00 Europe/Berlin" in message.text
    assert "Last posted: Monday 5 January 2026, 09:00 UTC" in message.text
    assert_no_broadcast(message.as_kwargs())
    assert_valid_message(message.as_kwargs())


def test_a_vote_that_was_not_saved_says_so():
    message = vote_not_saved()
    assert message.text == "Sorry, your vote was not saved; please try again."
    assert_valid_message(message.as_kwargs())


def test_stats_rank_most_and_least_useful_and_list_every_tip():
    catalogue = catalogue_of(5)
    tallies = [
        TipStats("tip-00001", deliveries=3, useful=5, not_for_me=1),
        TipStats("tip-00002", deliveries=2, useful=0, not_for_me=4),
        TipStats("tip-00003", deliveries=1, useful=2, not_for_me=0),
        TipStats("retired-tip", deliveries=1, useful=0, not_for_me=0),
    ]
    message = stats(catalogue, tallies)
    text = section_texts(message)
    most = text.split("*Most useful*")[1].split("*Least useful*")[0]
    least = text.split("*Least useful*")[1].split("*Every tip*")[0]
    assert most.index("tip-00001") < most.index("tip-00003")
    assert "tip-00002" not in most
    assert least.strip().splitlines()[0].startswith("`tip-00002`")
    every = text.split("*Every tip*")[1]
    assert all(f"tip-0000{n}" in every for n in range(5)) and "_retired_" in every
    assert "5 tips · 7 weekly posts · 12 votes · 2 tips never posted" in text
    assert_valid_message(message.as_kwargs())
    assert_no_broadcast(message.as_kwargs())


def test_stats_with_no_votes_say_so():
    message = stats(catalogue_of(3), [])
    assert "_No votes yet._" in section_texts(message)


def test_stats_for_10000_tips_stay_within_one_valid_message():
    catalogue = catalogue_of(10_000)
    tallies = [TipStats(f"tip-{n:05d}", n % 7, n % 5, n % 3) for n in range(10_000)]
    message = stats(catalogue, tallies)
    assert len(message.blocks) <= 50
    assert_valid_message(message.as_kwargs())
    assert "cut to fit" in section_texts(message)
