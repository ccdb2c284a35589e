"""Weekly schedule arithmetic: when a channel's slot falls, and whether it is due.

Pure: every instant is passed in (timezone-aware), nothing reads the clock.

A slot is identified by the ISO week of its local calendar date ("2026-W48"):
two slots of one weekly schedule are always seven local days apart, so they
never share a week, and a schedule changed mid-week (Monday to Tuesday) still
maps this week's post to the same key, so it cannot be posted twice.

Daylight saving time: a wall time that does not exist that day (inside a
skipped hour) posts at the first valid instant after it, the moment the clocks
jump; a wall time that happens twice (inside a repeated hour) posts at its
first occurrence. Either way the slot has exactly one instant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS_PER_WEEK = 7
# Finding a slot looks up to two weeks either side of an instant, in zones up to a
# day from UTC, and the catch-up window and the claim lease reach back another
# week at most: instants this close to the ends of datetime's calendar (years 1
# and 9999) would overflow, so they are refused where they come in.
CALENDAR_MARGIN = timedelta(weeks=4)
EARLIEST_INSTANT = datetime.min.replace(tzinfo=UTC) + CALENDAR_MARGIN
LATEST_INSTANT = datetime.max.replace(tzinfo=UTC, microsecond=0) - CALENDAR_MARGIN

# The start of a paused_reason given to a stored schedule that cannot be used.
UNUSABLE_SCHEDULE = "unusable_schedule"
_HH_MM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True, slots=True)
class WeeklySchedule:
    day: int  # 0 = Monday ... 6 = Sunday
    at: time  # wall-clock time in `timezone`
    timezone: str  # IANA name, e.g. "Europe/Berlin"

    def __post_init__(self) -> None:
        problems = _day_and_zone_problems(self.day, self.timezone)
        if not isinstance(self.at, time):
            problems.append(f"the time {self.at!r} is not a time of day")
        if problems:
            raise ValueError("; ".join(problems))


def known_timezone(name: object) -> bool:
    """Whether this host's tzdata has the zone (tzdata changes; a database moves)."""
    if not isinstance(name, str) or not name:
        return False
    try:
        ZoneInfo(name)
    except (LookupError, ValueError, OSError):  # unknown, malformed, a folder, too long
        return False
    return True


def _day_and_zone_problems(day: object, timezone: object) -> list[str]:
    problems = []
    if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day < DAYS_PER_WEEK:
        problems.append(f"the day {day!r} is not 0 (Monday) to 6 (Sunday)")
    if not known_timezone(timezone):
        problems.append(f"the timezone {timezone!r} is not one this host knows")
    return problems


def stored_schedule(*, weekday: object, post_time: object, timezone: object) -> WeeklySchedule:
    """The schedule a stored row describes (its time as "HH:MM").

    Raises ValueError naming every value that cannot be used, in words fit for
    `/pmtip schedule`; values are quoted with repr, so none can break a log line.
    """
    problems = _day_and_zone_problems(weekday, timezone)
    match = _HH_MM.match(post_time) if isinstance(post_time, str) else None
    if match is None:
        problems.append(f"the time {post_time!r} is not a time of day (HH:MM, 00:00 to 23:59)")
    if problems or match is None:
        raise ValueError("; ".join(problems))
    at = time(int(match[1]), int(match[2]))
    return WeeklySchedule(day=weekday, at=at, timezone=timezone)  # type: ignore[arg-type]


def unusable_schedule_reason(problem: str) -> str:
    """The paused_reason of a subscription whose stored schedule cannot be used."""
    return f"{UNUSABLE_SCHEDULE}: {problem}"


@dataclass(frozen=True, slots=True)
class Slot:
    key: str  # the ISO week of the slot's local date, e.g. "2026-W48"
    local_date: date  # the calendar date the schedule names, in the schedule's zone
    instant: datetime  # when it posts, in UTC


def week_key(local_date: date) -> str:
    year, week, _ = local_date.isocalendar()
    return f"{year}-W{week:02d}"


def slot_on(schedule: WeeklySchedule, local_date: date) -> Slot:
    """The slot of `schedule` on `local_date` (which should be the schedule's weekday)."""
    return Slot(
        key=week_key(local_date),
        local_date=local_date,
        instant=resolve_wall_time(datetime.combine(local_date, schedule.at), schedule.timezone),
    )


def resolve_wall_time(wall: datetime, timezone: str) -> datetime:
    """The single UTC instant a naive local wall time stands for.

    A repeated wall time resolves to its first occurrence (fold=0). A skipped
    one resolves to the transition itself, the first instant that exists after it.
    """
    zone = ZoneInfo(timezone)
    first = wall.replace(tzinfo=zone, fold=0)
    instant = first.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant
    # In a gap, fold=1 reads the wall time with the offset after the jump and
    # lands before the transition; fold=0 reads it with the offset before and
    # lands after. The transition lies between them; find it to the second.
    before = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    after = instant
    if before > after:
        before, after = after, before
    offset_before = before.astimezone(zone).utcoffset()
    while after - before > timedelta(seconds=1):
        middle = before + (after - before) / 2
        if middle.astimezone(zone).utcoffset() == offset_before:
            before = middle
        else:
            after = middle
    return after.replace(microsecond=0)


def latest_slot_at_or_before(schedule: WeeklySchedule, instant: datetime) -> Slot:
    """The most recent slot whose posting instant is at or before `instant`."""
    _require_aware(instant)
    today = instant.astimezone(ZoneInfo(schedule.timezone)).date()
    candidate = today - timedelta(days=(today.weekday() - schedule.day) % DAYS_PER_WEEK)
    slot = slot_on(schedule, candidate)
    while slot.instant > instant:
        slot = slot_on(schedule, slot.local_date - timedelta(days=DAYS_PER_WEEK))
    return slot


def next_slot_after(schedule: WeeklySchedule, instant: datetime) -> Slot:
    """The first slot whose posting instant is strictly after `instant`."""
    slot = latest_slot_at_or_before(schedule, instant)
    while slot.instant <= instant:
        slot = slot_on(schedule, slot.local_date + timedelta(days=DAYS_PER_WEEK))
    return slot


def slot_for_week_of(schedule: WeeklySchedule, instant: datetime) -> Slot:
    """The slot in the local ISO week containing `instant` (past or still to come)."""
    _require_aware(instant)
    today = instant.astimezone(ZoneInfo(schedule.timezone)).date()
    monday = today - timedelta(days=today.weekday())
    return slot_on(schedule, monday + timedelta(days=schedule.day))


@dataclass(frozen=True, slots=True)
class Due:
    slot: Slot


@dataclass(frozen=True, slots=True)
class TooLate:
    """The slot passed more than the catch-up window ago; it is skipped, not posted."""

    slot: Slot
    late_by: timedelta


@dataclass(frozen=True, slots=True)
class NotOwed:
    """The latest slot fell before the subscription (or its current schedule) began."""

    slot: Slot


SlotStatus = Due | TooLate | NotOwed


def slot_status(
    schedule: WeeklySchedule,
    *,
    now: datetime,
    catchup_hours: float,
    active_since: datetime,
) -> SlotStatus:
    """What to do about the latest slot at `now`, ignoring whether it was delivered.

    A slot is due when it is at or before `now` and no more than `catchup_hours`
    old; older than that it is too late. Slots that fell before `active_since`
    were never owed: subscribing on Tuesday does not post last Monday's insight.
    """
    slot = latest_slot_at_or_before(schedule, now)
    if slot.instant < active_since:
        return NotOwed(slot)
    late_by = now - slot.instant
    if late_by > timedelta(hours=catchup_hours):
        return TooLate(slot, late_by)
    return Due(slot)


def _require_aware(instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instants must be timezone-aware")


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant such as `2026-01-05T14:00:00Z` or `2026-01-05T09:00-05:00`.

    Without an offset the time is read as UTC. Raises ValueError with a message
    fit to show the person who typed it, also for an instant too near the ends of
    the calendar for weekly slots to be worked out around it.
    """
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO-8601 instant; use e.g. 2026-01-05T14:00:00Z "
            "or 2026-01-05T09:00:00-05:00"
        ) from None
    try:
        instant = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except OverflowError:  # an offset that carries it past year 1 or 9999
        instant = None
    if instant is None or not EARLIEST_INSTANT <= instant <= LATEST_INSTANT:
        raise ValueError(
            f"{text!r} is too near the edge of the calendar to work out weekly slots; "
            f"use an instant from {EARLIEST_INSTANT.date()} to {LATEST_INSTANT.date()}"
        )
    return instant
