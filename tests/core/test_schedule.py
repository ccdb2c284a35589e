"""Weekly slot arithmetic: the instant each slot posts, across DST, and when a slot is due."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

import pytest

from bot.core.owed import DeliveryState, next_post
from bot.core.schedule import (
    Due,
    NotOwed,
    TooLate,
    WeeklySchedule,
    latest_slot_at_or_before,
    next_slot_after,
    parse_instant,
    resolve_wall_time,
    slot_for_week_of,
    slot_on,
    slot_status,
    stored_schedule,
    week_key,
)

MONDAY_9_NEW_YORK = WeeklySchedule(day=0, at=time(9, 0), timezone="America/New_York")
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# -- timezones and DST ------------------------------------------------------------


def test_monday_9am_new_york_is_14h_utc_in_january_and_13h_utc_in_july():
    assert slot_on(MONDAY_9_NEW_YORK, date(2026, 1, 5)).instant == utc(2026, 1, 5, 14, 0)
    assert slot_on(MONDAY_9_NEW_YORK, date(2026, 7, 6)).instant == utc(2026, 7, 6, 13, 0)


def test_berlin_slot_moves_with_summer_time():
    monday_9_berlin = WeeklySchedule(day=0, at=time(9, 0), timezone="Europe/Berlin")
    assert slot_on(monday_9_berlin, date(2026, 3, 23)).instant == utc(2026, 3, 23, 8, 0)
    assert slot_on(monday_9_berlin, date(2026, 3, 30)).instant == utc(2026, 3, 30, 7, 0)


def test_berlin_skipped_hour_posts_once_at_the_moment_clocks_jump():
    # 2026-03-29: clocks jump from 02:00 CET to 03:00 CEST (01:00 UTC); 02:30 never happens.
    sunday_0230 = WeeklySchedule(day=6, at=time(2, 30), timezone="Europe/Berlin")
    slot = slot_on(sunday_0230, date(2026, 3, 29))
    assert slot.instant == utc(2026, 3, 29, 1, 0)
    # Exactly one slot that week: the instants just before and after agree on it.
    assert latest_slot_at_or_before(sunday_0230, utc(2026, 3, 29, 0, 59)).key != slot.key
    assert latest_slot_at_or_before(sunday_0230, utc(2026, 3, 29, 1, 0)) == slot
    assert latest_slot_at_or_before(sunday_0230, utc(2026, 3, 29, 6, 0)) == slot


def test_new_york_skipped_hour_posts_at_3am_edt():
    # 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
    sunday_0215 = WeeklySchedule(day=6, at=time(2, 15), timezone="America/New_York")
    assert slot_on(sunday_0215, date(2026, 3, 8)).instant == utc(2026, 3, 8, 7, 0)


def test_berlin_repeated_hour_posts_once_at_the_first_occurrence():
    # 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 happens at 00:30 and 01:30 UTC.
    sunday_0230 = WeeklySchedule(day=6, at=time(2, 30), timezone="Europe/Berlin")
    slot = slot_on(sunday_0230, date(2026, 10, 25))
    assert slot.instant == utc(2026, 10, 25, 0, 30)
    # During the second 02:30 the latest slot is still that same one: nothing new is due.
    assert latest_slot_at_or_before(sunday_0230, utc(2026, 10, 25, 1, 30)) == slot


def test_new_york_repeated_hour_posts_at_the_first_occurrence():
    # 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:30 EDT is 05:30 UTC.
    sunday_0130 = WeeklySchedule(day=6, at=time(1, 30), timezone="America/New_York")
    assert slot_on(sunday_0130, date(2026, 11, 1)).instant == utc(2026, 11, 1, 5, 30)


def test_a_whole_skipped_day_still_has_one_slot():
    # Samoa skipped 30 December 2011 entirely.
    friday_9_apia = WeeklySchedule(day=4, at=time(9, 0), timezone="Pacific/Apia")
    slot = slot_on(friday_9_apia, date(2011, 12, 30))
    assert slot.instant == utc(2011, 12, 30, 10, 0)  # midnight on the 31st, local


def test_resolve_wall_time_of_an_ordinary_time_is_its_offset():
    assert resolve_wall_time(datetime(2026, 6, 1, 12, 0), "Asia/Kolkata") == utc(2026, 6, 1, 6, 30)


# -- latest, next, week --------------------------------------------------------------


def test_latest_slot_at_the_exact_instant_is_that_slot():
    slot = latest_slot_at_or_before(MONDAY_9_NEW_YORK, utc(2026, 1, 5, 14, 0))
    assert slot.instant == utc(2026, 1, 5, 14, 0)
    assert slot.key == "2026-W02"


def test_latest_slot_a_second_before_is_last_week():
    slot = latest_slot_at_or_before(MONDAY_9_NEW_YORK, utc(2026, 1, 5, 13, 59, 59))
    assert slot.local_date == date(2025, 12, 29)
    assert slot.key == "2026-W01"


def test_next_slot_is_strictly_after():
    assert next_slot_after(MONDAY_9_NEW_YORK, utc(2026, 1, 5, 14, 0)).instant == utc(
        2026, 1, 12, 14, 0
    )
    assert next_slot_after(MONDAY_9_NEW_YORK, utc(2026, 1, 5, 13, 0)).instant == utc(
        2026, 1, 5, 14, 0
    )


def test_next_slot_across_the_spring_change_keeps_the_wall_time():
    # Sunday 8 March 2026 New York moves to EDT; the Monday after posts at 13:00 UTC.
    assert next_slot_after(MONDAY_9_NEW_YORK, utc(2026, 3, 3)).instant == utc(2026, 3, 9, 13, 0)


def test_consecutive_slots_never_share_a_key():
    keys = set()
    instant = utc(2025, 12, 1)
    for _ in range(120):
        slot = next_slot_after(MONDAY_9_NEW_YORK, instant)
        keys.add(slot.key)
        instant = slot.instant
    assert len(keys) == 120


def test_week_key_is_the_iso_week_across_new_year():
    assert week_key(date(2026, 1, 1)) == "2026-W01"
    assert week_key(date(2027, 1, 1)) == "2026-W53"


def test_slot_for_the_week_is_the_same_key_whichever_day_it_falls_on():
    friday = WeeklySchedule(day=4, at=time(10, 0), timezone="Europe/Berlin")
    monday_now = utc(2026, 1, 5, 8, 0)
    slot = slot_for_week_of(friday, monday_now)
    assert slot.local_date == date(2026, 1, 9)
    assert slot.key == slot_for_week_of(MONDAY_9_NEW_YORK, monday_now).key


def test_the_schedule_rejects_a_day_out_of_range_and_an_unknown_zone():
    with pytest.raises(ValueError):
        WeeklySchedule(day=7, at=time(9, 0), timezone="UTC")
    with pytest.raises(ValueError, match="Mars"):
        WeeklySchedule(day=0, at=time(9, 0), timezone="Mars/Olympus_Mons")


@pytest.mark.parametrize(
    ("weekday", "post_time", "timezone", "named"),
    [
        (0, "09:00", "Mars/Olympus", ["the timezone 'Mars/Olympus'"]),
        (0, "09:00", "America", ["the timezone 'America'"]),  # a folder of zones
        (0, "09:00", "/etc/localtime", ["the timezone '/etc/localtime'"]),
        (0, "09:00", "", ["the timezone ''"]),
        (0, "09:00", "x" * 300, ["the timezone 'xxx"]),  # longer than a file name may be
        (7, "09:00", "UTC", ["the day 7"]),
        (-1, "09:00", "UTC", ["the day -1"]),
        ("monday", "09:00", "UTC", ["the day 'monday'"]),
        (True, "09:00", "UTC", ["the day True"]),
        (0, "24:00", "UTC", ["the time '24:00'"]),
        (0, "9am", "UTC", ["the time '9am'"]),
        (0, "\x1b[2K09:00", "UTC", ["the time '\\x1b[2K09:00'"]),  # shown escaped
        (9, "25:99", "Mars/Olympus", ["the day 9", "the timezone 'Mars/Olympus'", "'25:99'"]),
    ],
)
def test_a_stored_schedule_that_cannot_be_used_names_every_bad_value(
    weekday, post_time, timezone, named
):
    with pytest.raises(ValueError) as refused:
        stored_schedule(weekday=weekday, post_time=post_time, timezone=timezone)
    for words in named:
        assert words in str(refused.value)
    assert "\x1b" not in str(refused.value)


def test_a_stored_schedule_that_can_be_used_is_read_back():
    assert stored_schedule(weekday=4, post_time="7:05", timezone="Europe/Berlin") == (
        WeeklySchedule(day=4, at=time(7, 5), timezone="Europe/Berlin")
    )


def test_naive_instants_are_refused():
    with pytest.raises(ValueError, match="aware"):
        latest_slot_at_or_before(MONDAY_9_NEW_YORK, datetime(2026, 1, 5, 14, 0))


# -- catch-up -------------------------------------------------------------------------


def status_at(now: datetime, *, catchup_hours: float = 12, since: datetime = LONG_AGO):
    return slot_status(MONDAY_9_NEW_YORK, now=now, catchup_hours=catchup_hours, active_since=since)


def test_down_at_9_and_starting_at_11_the_slot_is_due():
    status = status_at(utc(2026, 1, 5, 16, 0))  # 11:00 in New York
    assert status == Due(slot_on(MONDAY_9_NEW_YORK, date(2026, 1, 5)))


def test_at_the_edge_of_the_catch_up_window_the_slot_is_still_due():
    assert isinstance(status_at(utc(2026, 1, 6, 2, 0)), Due)  # exactly 12 hours late
    assert isinstance(status_at(utc(2026, 1, 6, 2, 0, 1)), TooLate)


def test_starting_on_tuesday_morning_the_slot_is_too_late():
    status = status_at(utc(2026, 1, 6, 13, 0))  # Tuesday 08:00 in New York
    assert isinstance(status, TooLate)
    assert status.slot.key == "2026-W02"
    assert status.late_by == timedelta(hours=23)


def test_a_catch_up_window_of_zero_posts_only_on_the_dot():
    assert isinstance(status_at(utc(2026, 1, 5, 14, 0), catchup_hours=0), Due)
    assert isinstance(status_at(utc(2026, 1, 5, 14, 1), catchup_hours=0), TooLate)


def test_a_slot_before_the_subscription_began_is_not_owed():
    status = status_at(utc(2026, 1, 5, 16, 0), since=utc(2026, 1, 5, 15, 0))
    assert isinstance(status, NotOwed)


# -- --at ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-05T14:00:00Z", utc(2026, 1, 5, 14, 0)),
        ("2026-01-05T09:00:00-05:00", utc(2026, 1, 5, 14, 0)),
        ("2026-01-05T14:00", utc(2026, 1, 5, 14, 0)),
    ],
)
def test_parse_instant_accepts_iso_8601(text, expected):
    assert parse_instant(text) == expected


@pytest.mark.parametrize("text", ["monday", "2026-13-01T00:00Z", "", "14:00"])
def test_parse_instant_explains_what_it_wants(text):
    with pytest.raises(ValueError, match="ISO-8601"):
        parse_instant(text)


# -- the ends of the calendar --------------------------------------------------------------

EXTREME_ZONES = ("Pacific/Kiritimati", "Etc/GMT+12", "America/St_Johns", "Asia/Kolkata", "UTC")


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        "0001-01-28T23:59:59Z",
        "9999-12-04T00:00:00Z",
    ],
)
def test_an_instant_too_near_the_ends_of_the_calendar_is_refused_with_the_range(text):
    with pytest.raises(ValueError, match="0001-01-29 to 9999-12-03"):
        parse_instant(text)


@pytest.mark.parametrize("timezone", EXTREME_ZONES)
@pytest.mark.parametrize("day", range(7))
@pytest.mark.parametrize("at", [time(0, 0), time(23, 59)])
@pytest.mark.parametrize("edge", ["0001-01-29T00:00:00Z", "9999-12-03T23:59:59Z"])
def test_every_slot_question_has_an_answer_at_the_first_and_last_accepted_instant(
    timezone, day, at, edge
):
    now = parse_instant(edge)
    schedule = WeeklySchedule(day=day, at=at, timezone=timezone)
    latest = latest_slot_at_or_before(schedule, now)
    upcoming = next_slot_after(schedule, now)
    assert latest.instant <= now < upcoming.instant
    assert slot_status(schedule, now=now, catchup_hours=167, active_since=latest.instant)
    posted = SimpleNamespace(state=DeliveryState.POSTED, reason=None, updated_at=now)
    after_a_settled_week = next_post(
        schedule, now=now, active_since=now, catchup_hours=167, ledger={upcoming.key: posted}
    )
    assert after_a_settled_week.key != upcoming.key
    this_week = slot_for_week_of(schedule, now)
    assert this_week.key == week_key(this_week.local_date)
