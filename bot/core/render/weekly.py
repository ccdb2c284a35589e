"""What pmtip says about the weekly insight: subscribing, the schedule and the next
post time, pauses, post-now, and the answer to a vote. Pure rendering; the
handlers pass in every fact (the time included)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.catalogue import Catalogue
from bot.core.feedback import Vote
from bot.core.grammar import DAY_NAMES
from bot.core.render import blocks
from bot.core.render.blocks import Message
from bot.core.schedule import UNUSABLE_SCHEDULE, Slot, WeeklySchedule

# What to do about each reason a subscription is paused.
PAUSE_ADVICE = {
    "channel_not_found": "I can no longer see this channel. If it is private, invite me with "
    "`/invite @pmtip`, then run `/pmtip subscribe` again.",
    "not_in_channel": "I was removed from this channel. Invite me back with `/invite @pmtip`, "
    "then run `/pmtip subscribe` again.",
    "is_archived": "This channel is archived. Unarchive it, then run `/pmtip subscribe` again.",
}
UNUSABLE_SCHEDULE_ADVICE = (
    "Subscribe again with a valid timezone, day and time, for example "
    "`/pmtip subscribe monday 09:00 Europe/Berlin` (without a timezone, yours in Slack is used)."
)
PROBLEM_SHOWN = 300  # characters of a stored value's problem shown back
VOTE_NOT_SAVED = "Sorry, your vote was not saved; please try again."
VOTE_LABELS = {Vote.USEFUL: "Useful", Vote.NOT_FOR_ME: "Not for me"}


def describe_schedule(schedule: WeeklySchedule) -> str:
    day = DAY_NAMES[schedule.day].capitalize()
    return f"every {day} at {schedule.at.strftime('%H:%M')} ({schedule.timezone})"


def local_time_text(instant: datetime, timezone: str) -> str:
    """`Monday 5 January 2026, 09:00 CET`: the instant as the channel's clock shows it."""
    local = instant.astimezone(ZoneInfo(timezone))
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M} {local.tzname()}"


def slack_date(instant: datetime, timezone: str) -> str:
    """Slack's date token (shown in each reader's own timezone) with a plain fallback."""
    stamp = int(instant.timestamp())
    return f"<!date^{stamp}^{{date_long_pretty}} at {{time}}|{local_time_text(instant, timezone)}>"


def next_post_line(slot: Slot, timezone: str, *, now: datetime) -> str:
    if slot.instant <= now:
        return "The insight for this week is due now; it goes out within a minute."
    return (
        f"Next post: *{local_time_text(slot.instant, timezone)}* "
        f"({slack_date(slot.instant, timezone)} your time)."
    )


def _topics_line(topics: Sequence[str]) -> str:
    if not topics:
        return "Tips from every topic, each once before any repeats."
    names = ", ".join(f"`{topic}`" for topic in topics)
    return f"Tips from {names}, each once before any repeats."


def subscribed(
    *,
    schedule: WeeklySchedule,
    topics: Sequence[str],
    next_slot: Slot,
    now: datetime,
    changed: bool,
    joined: bool,
) -> Message:
    first = (
        f":calendar: Updated: this channel now gets the PM insight of the week "
        f"{describe_schedule(schedule)}."
        if changed
        else f":calendar: Subscribed: this channel gets the PM insight of the week "
        f"{describe_schedule(schedule)}."
    )
    lines = [first, next_post_line(next_slot, schedule.timezone, now=now), _topics_line(topics)]
    if joined:
        lines.append("I joined the channel so that I can post here.")
    lines.append(
        "Change it with `/pmtip subscribe [day] [HH:MM] [timezone]`; stop it with "
        "`/pmtip unsubscribe`."
    )
    return blocks.notice("\n".join(lines))


def schedule_status(
    *,
    schedule: WeeklySchedule | None,  # None: the stored one cannot be used (see paused_reason)
    topics: Sequence[str],
    next_slot: Slot | None,
    paused_reason: str | None,
    last_posted: datetime | None,
    now: datetime,
) -> Message:
    lines = [
        f":calendar: This channel gets the PM insight of the week {describe_schedule(schedule)}."
        if schedule
        else ":calendar: This channel is subscribed to the PM insight of the week."
    ]
    if paused_reason:
        lines.append(pause_line(paused_reason))
    elif next_slot is not None and schedule is not None:
        lines.append(next_post_line(next_slot, schedule.timezone, now=now))
    lines.append(_topics_line(topics))
    if last_posted is not None:
        zone = schedule.timezone if schedule else "UTC"
        lines.append(f"Last posted: {local_time_text(last_posted, zone)}.")
    return blocks.notice("\n".join(lines))


def pause_line(paused_reason: str) -> str:
    """Why the weekly post is paused, and how to resume it."""
    code, _, problem = paused_reason.partition(": ")
    if code == UNUSABLE_SCHEDULE:
        shown = blocks.escape(blocks.clip(problem, PROBLEM_SHOWN))
        return (
            f":warning: *Paused*: the stored schedule cannot be used: {shown}. "
            f"{UNUSABLE_SCHEDULE_ADVICE}"
        )
    advice = PAUSE_ADVICE.get(paused_reason, "Run `/pmtip subscribe` again to resume.")
    return (
        f":warning: *Paused*: Slack refused my last post (`{blocks.escape(paused_reason)}`). "
        f"{advice}"
    )


def vote_not_saved() -> Message:
    return blocks.notice(VOTE_NOT_SAVED)


def vote_noted(vote: Vote, *, before: Vote | None) -> Message:
    """Thanks for a vote, saying what it replaced and how to change it."""
    other = Vote.NOT_FOR_ME if vote is Vote.USEFUL else Vote.USEFUL
    changed = f" (it was “{VOTE_LABELS[before]}”)" if before and before is not vote else ""
    return blocks.notice(
        f"Thanks, noted: “{VOTE_LABELS[vote]}”{changed}. Changed your mind? "
        f"Click “{VOTE_LABELS[other]}” on the post any time."
    )


def vote_on_retired_tip() -> Message:
    return blocks.notice(
        "That tip is no longer in the catalogue, so there is "
        "nothing to vote on. Thanks all the same!"
    )


def not_subscribed() -> Message:
    return blocks.notice(
        "This channel has no weekly insight. Start one with `/pmtip subscribe`, for example "
        "`/pmtip subscribe monday 09:00 Europe/Berlin`."
    )


def unsubscribed(*, was_subscribed: bool) -> Message:
    if not was_subscribed:
        return not_subscribed()
    return blocks.notice(
        "Unsubscribed: no more weekly insights in this channel. "
        "`/pmtip subscribe` starts them again, where the rotation left off."
    )


def unknown_topics(unknown: Sequence[str], catalogue: Catalogue) -> Message:
    names = ", ".join(f"`{blocks.echo(word)}`" for word in unknown)
    known = ", ".join(f"`{topic.slug}`" for topic in catalogue.topics)
    return blocks.notice(
        f"I don't know the topic(s) {names}. Topics you can use: {known}. "
        "For example `/pmtip subscribe topics:ai-failure,ai-fit`."
    )


def cannot_post(reason: str) -> Message:
    advice = {
        "private": "This is a private channel I'm not in. Invite me with `/invite @pmtip`, "
        "then run `/pmtip subscribe` again.",
        "join_failed": "I couldn't join this channel by myself. Invite me with "
        "`/invite @pmtip`, then run `/pmtip subscribe` again.",
        "is_archived": "This channel is archived, so I can't post here.",
        "direct_message": "The weekly insight is for channels. Run `/pmtip subscribe` in the "
        "channel that should receive it.",
    }.get(reason, f"I can't post in this channel (`{blocks.escape(reason)}`).")
    return blocks.notice(f":warning: Not subscribed yet. {advice}")


def post_now_done(*, title: str, next_slot: Slot, timezone: str, now: datetime) -> Message:
    return blocks.notice(
        f":white_check_mark: Posted this week's insight, “{blocks.escape(title)}”. "
        f"It counts as this week's slot. {next_post_line(next_slot, timezone, now=now)}"
    )
