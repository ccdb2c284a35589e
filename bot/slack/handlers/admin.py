"""The admins' commands: `/pmtip post-now`, `stats`, `reload` and `preview <tip-id>`.
They run after the acknowledgement, so they may call Slack and the database."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.catalogue.source import CatalogueSource
from bot.core import grammar
from bot.core.render import blocks
from bot.core.render.admin import close_tip_ids, reload_reply, stats, unknown_tip
from bot.core.render.blocks import Message
from bot.core.render.tips import preview
from bot.core.render.weekly import (
    next_post_line,
    not_subscribed,
    pause_line,
    post_now_done,
    schedule_status,
)
from bot.core.schedule import Slot
from bot.core.slot_outcomes import PostNowResult
from bot.slack.handlers.refusal import refuse
from bot.slack.handlers.subscriptions import next_post_of
from bot.slack.payloads import SlashCommand
from bot.slack.users import Users
from bot.store.base import Store, Subscription

log = logging.getLogger(__name__)

# Posts a subscription's insight for this week now (bot.weekly.post_due.post_now).
PostNow = Callable[[Subscription, datetime], PostNowResult]


@dataclass(frozen=True, slots=True, kw_only=True)
class Admin:
    store: Store
    catalogue: CatalogueSource
    users: Users
    post_this_week: PostNow
    now: Callable[[], datetime]
    catchup_hours: float

    def post_now(self, command: grammar.PostNow, request: SlashCommand) -> Message:
        user_id, channel_id = request.user_id, request.channel_id
        if not self.users.is_admin(user_id):
            return refuse(self.users, user_id=user_id, action="post now")
        sub = self.store.workspace(request.workspace).subscription(channel_id)
        if sub is None or not sub.active:
            return not_subscribed()
        now = self.now()
        if sub.paused_reason or sub.schedule is None:
            return schedule_status(
                schedule=sub.schedule,
                topics=sub.topics,
                next_slot=None,
                paused_reason=sub.paused_reason,
                last_posted=None,
                now=now,
            )
        result = self.post_this_week(sub, now)
        log.info("%s ran post-now in %s: %s", user_id, channel_id, result.message)
        if not result.posted:
            after = self._what_comes_next(sub, now)
            return blocks.notice(f"Nothing posted: {blocks.escape(result.message)} {after}")
        tip_id = result.outcome.tip_id if result.outcome else None
        tip = self.catalogue.current().tip(tip_id or "")
        return post_now_done(
            title=tip.title if tip else "the next tip",
            next_slot=self._next_post_of(sub, now),
            timezone=sub.schedule.timezone,
            now=now,
        )

    def _what_comes_next(self, sub: Subscription, now: datetime) -> str:
        """The next post, or, if the attempt just paused the channel, why none will come."""
        current = self.store.workspace(sub.workspace).subscription(sub.channel_id)
        if current is not None and current.paused_reason:
            return pause_line(current.paused_reason)
        if current is None or current.schedule is None or not current.receiving:
            return ""  # unsubscribed meanwhile
        return next_post_line(self._next_post_of(current, now), current.schedule.timezone, now=now)

    def _next_post_of(self, sub: Subscription, now: datetime) -> Slot:
        store = self.store.workspace(sub.workspace)
        return next_post_of(store, sub, now=now, catchup_hours=self.catchup_hours)

    def stats(self, command: grammar.Stats, request: SlashCommand) -> Message:
        if not self.users.is_admin(request.user_id):
            return refuse(self.users, user_id=request.user_id, action="see the stats")
        return stats(self.catalogue.current(), self.store.workspace(request.workspace).tip_stats())

    def reload(self, command: grammar.Reload, request: SlashCommand) -> Message:
        user_id = request.user_id
        if not self.users.is_admin(user_id):
            return refuse(self.users, user_id=user_id, action="reload the tips file")
        log.info("/pmtip reload by %s", user_id)
        outcome = self.catalogue.reload()
        return reload_reply(
            ok=outcome.ok,
            summary=outcome.summary,
            problems=outcome.problems,
            left_out=outcome.problems_left_out,
        )

    def preview(self, command: grammar.Preview, request: SlashCommand) -> Message:
        if not self.users.is_admin(request.user_id):
            return refuse(self.users, user_id=request.user_id, action="preview the weekly insight")
        catalogue = self.catalogue.current()
        wanted = command.tip_id.strip("`'\"").casefold()
        tip = catalogue.tip(wanted)
        if tip is None:
            return unknown_tip(command.tip_id, close_tip_ids(catalogue, wanted))
        return preview(tip)
