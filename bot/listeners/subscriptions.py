"""`/pmtip subscribe | unsubscribe | schedule | post-now | stats`, and the vote buttons.

Handlers for bot.listeners.world: each takes (services, command, body) and
returns the message for the person who typed the command. They run after the
acknowledgement, so they may call Slack and the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from slack_bolt import Respond
from slack_sdk.errors import SlackApiError

from bot.core import grammar
from bot.core.owed import next_post
from bot.core.render import blocks
from bot.core.render.admin import refusal
from bot.core.render.admin import stats as stats_message
from bot.core.render.blocks import Message
from bot.core.render.weekly import (
    cannot_post,
    describe_schedule,
    next_post_line,
    not_subscribed,
    pause_line,
    post_now_done,
    schedule_status,
    subscribed,
    unknown_topics,
    unsubscribed,
    vote_not_saved,
)
from bot.core.schedule import Slot, WeeklySchedule
from bot.store.base import DeliveryState, StoreError, Subscription, Vote
from bot.weekly import post_due as delivery

if TYPE_CHECKING:
    from bot.slack_app import Services

log = logging.getLogger(__name__)

VOTES = {blocks.VOTE_USEFUL: Vote.USEFUL, blocks.VOTE_NOT_FOR_ME: Vote.NOT_FOR_ME}
VOTE_LABELS = {Vote.USEFUL: "Useful", Vote.NOT_FOR_ME: "Not for me"}


def _now() -> datetime:
    return datetime.now(UTC)


def _ids(body: dict[str, Any]) -> tuple[str, str]:
    return str(body.get("user_id") or ""), str(body.get("channel_id") or "")


def _refuse(services: Services, user_id: str, action: str) -> Message:
    log.warning("refused /pmtip %s for %s: not an admin", action, user_id)
    return refusal(action=action.replace("-", " "), who_can_help=services.users.who_can_help())


def _may_manage(services: Services, user_id: str) -> bool:
    return not services.settings.subscribe_requires_admin or services.users.is_admin(user_id)


def next_post_of(services: Services, sub: Subscription, now: datetime) -> Slot:
    """When the channel's next insight goes out: what post_due will do (bot.core.owed)."""
    return next_post(
        sub.schedule,
        now=now,
        catchup_hours=services.settings.catchup_hours,
        active_since=sub.active_since,
        ledger={d.slot_key: d for d in services.store.deliveries(subscription_id=sub.id)},
    )


# -- subscribe -------------------------------------------------------------------


def subscribe(services: Services, command: grammar.Subscribe, body: dict[str, Any]) -> Message:
    user_id, channel_id = _ids(body)
    if not _may_manage(services, user_id):
        return _refuse(services, user_id, "subscribe a channel")
    catalogue = services.catalogue.current()
    topics: list[str] = []
    unknown: list[str] = []
    for word in command.topics:
        topic = catalogue.resolve_topic(word)
        if topic is None:
            unknown.append(word)
        elif topic.slug not in topics:
            topics.append(topic.slug)
    if unknown:
        return unknown_topics(unknown, catalogue)
    problem, joined = _make_postable(services, channel_id)
    if problem:
        return cannot_post(problem)
    schedule = WeeklySchedule(
        day=services.settings.weekly_day if command.day is None else command.day,
        at=command.at or services.settings.weekly_time,
        timezone=command.timezone or _timezone_of(services, user_id),
    )
    now = _now()
    changed = services.store.subscription(channel_id) is not None
    sub = services.store.subscribe(
        channel_id=channel_id, schedule=schedule, topics=topics, subscribed_by=user_id, now=now
    )
    log.info("%s subscribed %s: %s", user_id, channel_id, describe_schedule(schedule))
    return subscribed(
        schedule=schedule,
        topics=topics,
        next_slot=next_post_of(services, sub, now),
        now=now,
        changed=changed,
        joined=joined,
    )


def _timezone_of(services: Services, user_id: str) -> str:
    zone = services.users.user(user_id).timezone
    return (zone and grammar.canonical_timezone(zone)) or services.settings.default_timezone


def _make_postable(services: Services, channel_id: str) -> tuple[str | None, bool]:
    """(why the bot cannot post here, or None; whether it just joined the channel)."""
    if channel_id.startswith("D"):
        return "direct_message", False
    client = services.client
    try:
        channel = client.conversations_info(channel=channel_id).get("channel") or {}
    except SlackApiError as error:
        code = str(error.response.get("error") or "")
        if code == "channel_not_found":  # what Slack says of a private channel the bot isn't in
            return "private", False
        log.warning("conversations.info failed for %s: %s", channel_id, code)
        return None, False  # cannot check (e.g. a missing scope); the first post will tell
    if channel.get("is_im") or channel.get("is_mpim"):
        return "direct_message", False
    if channel.get("is_archived"):
        return "is_archived", False
    if channel.get("is_member", True):
        return None, False
    if channel.get("is_private"):
        return "private", False
    try:
        client.conversations_join(channel=channel_id)
    except SlackApiError as error:
        log.warning("could not join %s: %s", channel_id, error.response.get("error"))
        return "join_failed", False
    return None, True


# -- unsubscribe, schedule ---------------------------------------------------------


def unsubscribe(services: Services, command: grammar.Unsubscribe, body: dict[str, Any]) -> Message:
    user_id, channel_id = _ids(body)
    if not _may_manage(services, user_id):
        return _refuse(services, user_id, "unsubscribe a channel")
    ended = services.store.unsubscribe(channel_id=channel_id, now=_now())
    if ended:
        log.info("%s unsubscribed %s", user_id, channel_id)
    return unsubscribed(was_subscribed=ended)


def show_schedule(
    services: Services, command: grammar.ShowSchedule, body: dict[str, Any]
) -> Message:
    _, channel_id = _ids(body)
    sub = services.store.subscription(channel_id)
    if sub is None or not sub.active:
        return not_subscribed()
    now = _now()
    posted = [
        d.updated_at
        for d in services.store.deliveries(subscription_id=sub.id)
        if d.state is DeliveryState.POSTED
    ]
    return schedule_status(
        schedule=sub.schedule,
        topics=sub.topics,
        next_slot=next_post_of(services, sub, now) if sub.receiving else None,
        paused_reason=sub.paused_reason,
        last_posted=max(posted, default=None),
        now=now,
    )


# -- admin: post-now, stats -----------------------------------------------------------


def post_now(services: Services, command: grammar.PostNow, body: dict[str, Any]) -> Message:
    user_id, channel_id = _ids(body)
    if not services.users.is_admin(user_id):
        return _refuse(services, user_id, "post-now")
    sub = services.store.subscription(channel_id)
    if sub is None or not sub.active:
        return not_subscribed()
    if sub.paused_reason:
        return schedule_status(
            schedule=sub.schedule,
            topics=sub.topics,
            next_slot=None,
            paused_reason=sub.paused_reason,
            last_posted=None,
            now=_now(),
        )
    now = _now()
    result = delivery.post_now(
        store=services.store,
        client=services.delivery_client,
        catalogue=services.catalogue.current(),
        subscription=sub,
        now=now,
        identity=services.identity,
    )
    log.info("%s ran post-now in %s: %s", user_id, channel_id, result.message)
    if not result.posted:
        after = _what_comes_next(services, sub, now)
        return blocks.notice(f"Nothing posted: {blocks.escape(result.message)} {after}")
    tip = services.catalogue.current().tip(result.outcome.tip_id or "") if result.outcome else None
    return post_now_done(
        title=tip.title if tip else "the next tip",
        next_slot=next_post_of(services, sub, now),
        timezone=sub.schedule.timezone,
        now=now,
    )


def _what_comes_next(services: Services, sub: Subscription, now: datetime) -> str:
    """The next post, or, if the attempt just paused the channel, why none will come."""
    current = services.store.subscription(sub.channel_id)
    if current is not None and current.paused_reason:
        return pause_line(current.paused_reason)
    if current is None or current.schedule is None or not current.receiving:
        return ""  # unsubscribed meanwhile
    return next_post_line(next_post_of(services, current, now), current.schedule.timezone, now=now)


def stats(services: Services, command: grammar.Stats, body: dict[str, Any]) -> Message:
    user_id, _ = _ids(body)
    if not services.users.is_admin(user_id):
        return _refuse(services, user_id, "see the stats")
    return stats_message(services.catalogue.current(), services.store.tip_stats())


HANDLERS: dict[type, Callable[..., Message]] = {
    grammar.Subscribe: subscribe,
    grammar.Unsubscribe: unsubscribe,
    grammar.ShowSchedule: show_schedule,
    grammar.PostNow: post_now,
    grammar.Stats: stats,
}


# -- the vote buttons on the weekly message ----------------------------------------


def vote_listener(services: Services, vote: Vote) -> Callable[..., None]:
    def record_vote(body: dict[str, Any], respond: Respond) -> None:
        user_id = str((body.get("user") or {}).get("id") or "")
        tip_id = str(((body.get("actions") or [{}])[0]).get("value") or "")
        channel_id = str((body.get("channel") or {}).get("id") or "") or None
        if not user_id or not tip_id:
            return
        if services.catalogue.current().tip(tip_id) is None:
            # Only tips pmtip has are counted: a forged or retired id must not reach stats.
            message = blocks.notice(
                "That tip is no longer in the catalogue, so there is "
                "nothing to vote on. Thanks all the same!"
            )
            respond(response_type="ephemeral", replace_original=False, **message.as_kwargs())
            return
        try:  # the store waits out another writer up to its deadline, then fails aloud
            before = services.store.record_vote(
                user_id=user_id, tip_id=tip_id, vote=vote, channel_id=channel_id, now=_now()
            )
        except StoreError as error:
            log.error("the vote of %s on %s was not saved: %s", user_id, tip_id, error)
            message = vote_not_saved()
            respond(response_type="ephemeral", replace_original=False, **message.as_kwargs())
            return
        other = Vote.NOT_FOR_ME if vote is Vote.USEFUL else Vote.USEFUL
        changed = f" (it was “{VOTE_LABELS[before]}”)" if before and before is not vote else ""
        message = blocks.notice(
            f"Thanks, noted: “{VOTE_LABELS[vote]}”{changed}. Changed your mind? "
            f"Click “{VOTE_LABELS[other]}” on the post any time."
        )
        # Ephemeral and never replacing: the weekly post belongs to the whole channel.
        respond(response_type="ephemeral", replace_original=False, **message.as_kwargs())

    return record_vote
