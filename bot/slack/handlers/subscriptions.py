"""`/pmtip subscribe | unsubscribe | schedule`: a channel's weekly insight. They run
after the acknowledgement, so they may call Slack and the database."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.catalogue.source import CatalogueSource
from bot.core import grammar
from bot.core.owed import next_post
from bot.core.render.blocks import Message
from bot.core.render.weekly import (
    cannot_post,
    describe_schedule,
    not_subscribed,
    schedule_status,
    subscribed,
    unknown_topics,
    unsubscribed,
)
from bot.core.schedule import Slot, WeeklySchedule
from bot.slack.handlers.refusal import refuse
from bot.slack.payloads import SlashCommand
from bot.slack.users import Users
from bot.store.base import DeliveryState, Store, Subscription, WorkspaceStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WeeklyDefaults:
    """What `/pmtip subscribe` uses for what it is not told (WEEKLY_DAY, ...)."""

    day: int
    at: time
    timezone: str  # when Slack knows no timezone for the person who subscribes
    catchup_hours: float
    anyone_may_subscribe: bool  # SUBSCRIBE_REQUIRES_ADMIN=false


def next_post_of(
    store: WorkspaceStore, sub: Subscription, *, now: datetime, catchup_hours: float
) -> Slot:
    """When the channel's next insight goes out: what post_due will do (bot.core.owed)."""
    if sub.schedule is None:
        raise ValueError(f"the subscription of {sub.channel_id} has no usable schedule")
    return next_post(
        sub.schedule,
        now=now,
        catchup_hours=catchup_hours,
        active_since=sub.active_since,
        ledger={d.slot_key: d for d in store.deliveries(subscription_id=sub.id)},
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscriptions:
    store: Store
    catalogue: CatalogueSource
    users: Users
    client: WebClient
    defaults: WeeklyDefaults
    now: Callable[[], datetime]

    def _may_manage(self, user_id: str) -> bool:
        return self.defaults.anyone_may_subscribe or self.users.is_admin(user_id)

    def subscribe(self, command: grammar.Subscribe, request: SlashCommand) -> Message:
        user_id, channel_id = request.user_id, request.channel_id
        if not self._may_manage(user_id):
            return refuse(self.users, user_id=user_id, action="subscribe a channel")
        topics, unknown = self._topics(command.topics)
        if unknown:
            return unknown_topics(unknown, self.catalogue.current())
        problem, joined = self._make_postable(channel_id)
        if problem:
            return cannot_post(problem)
        defaults = self.defaults
        schedule = WeeklySchedule(
            day=defaults.day if command.day is None else command.day,
            at=command.at or defaults.at,
            timezone=command.timezone or self._timezone_of(user_id),
        )
        now = self.now()
        store = self.store.workspace(request.workspace)
        changed = store.subscription(channel_id) is not None
        sub = store.subscribe(
            channel_id=channel_id, schedule=schedule, topics=topics, subscribed_by=user_id, now=now
        )
        log.info(
            "%s subscribed %s (workspace %s): %s",
            user_id,
            channel_id,
            request.workspace,
            describe_schedule(schedule),
        )
        return subscribed(
            schedule=schedule,
            topics=topics,
            next_slot=self.next_post_of(sub, now),
            now=now,
            changed=changed,
            joined=joined,
        )

    def unsubscribe(self, command: grammar.Unsubscribe, request: SlashCommand) -> Message:
        user_id, channel_id = request.user_id, request.channel_id
        if not self._may_manage(user_id):
            return refuse(self.users, user_id=user_id, action="unsubscribe a channel")
        ended = self.store.workspace(request.workspace).unsubscribe(
            channel_id=channel_id, now=self.now()
        )
        if ended:
            log.info("%s unsubscribed %s (workspace %s)", user_id, channel_id, request.workspace)
        return unsubscribed(was_subscribed=ended)

    def show_schedule(self, command: grammar.ShowSchedule, request: SlashCommand) -> Message:
        store = self.store.workspace(request.workspace)
        sub = store.subscription(request.channel_id)
        if sub is None or not sub.active:
            return not_subscribed()
        now = self.now()
        posted = [
            d.updated_at
            for d in store.deliveries(subscription_id=sub.id)
            if d.state is DeliveryState.POSTED
        ]
        return schedule_status(
            schedule=sub.schedule,
            topics=sub.topics,
            next_slot=self.next_post_of(sub, now) if sub.receiving else None,
            paused_reason=sub.paused_reason,
            last_posted=max(posted, default=None),
            now=now,
        )

    def next_post_of(self, sub: Subscription, now: datetime) -> Slot:
        store = self.store.workspace(sub.workspace)
        return next_post_of(store, sub, now=now, catchup_hours=self.defaults.catchup_hours)

    def _topics(self, words: tuple[str, ...]) -> tuple[list[str], list[str]]:
        """(the topic slugs named, the words that name no topic)."""
        catalogue = self.catalogue.current()
        topics: list[str] = []
        unknown: list[str] = []
        for word in words:
            topic = catalogue.resolve_topic(word)
            if topic is None:
                unknown.append(word)
            elif topic.slug not in topics:
                topics.append(topic.slug)
        return topics, unknown

    def _timezone_of(self, user_id: str) -> str:
        zone = self.users.user(user_id).timezone
        return (zone and grammar.canonical_timezone(zone)) or self.defaults.timezone

    def _make_postable(self, channel_id: str) -> tuple[str | None, bool]:
        """(why the bot cannot post here, or None; whether it just joined the channel)."""
        if channel_id.startswith("D"):
            return "direct_message", False
        try:
            channel = self.client.conversations_info(channel=channel_id).get("channel") or {}
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
            self.client.conversations_join(channel=channel_id)
        except SlackApiError as error:
            log.warning("could not join %s: %s", channel_id, error.response.get("error"))
            return "join_failed", False
        return None, True
