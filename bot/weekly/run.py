"""One delivery run's context: what its jobs share (the store, the clients, the
catalogue, the instant, the report) and whether it must stop starting posts.

Each subscription posts in its workspace's lane (bot.weekly.pool), with its
workspace's client: with one workspace, the one client; with many, the client of
the workspace's installation (bot.slack.workspace_clients)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient

from bot.core.catalogue import Catalogue
from bot.core.delivery_rules import DeliveryPolicy
from bot.core.slot_outcomes import Result, SlotOutcome
from bot.slack.identity import BotIdentity
from bot.slack.workspace_clients import WorkspaceClients
from bot.store.base import Store, StoreError, Subscription
from bot.weekly.report import DeliveryReport

log = logging.getLogger(__name__)


@dataclass
class Run:
    store: Store
    client: WebClient  # one workspace's; without retry handlers: the jobs decide about retries
    catalogue: Catalogue
    now: datetime
    catchup_hours: float
    policy: DeliveryPolicy
    report: DeliveryReport
    identity: BotIdentity  # whose messages count as our posts
    cancel: threading.Event = field(default_factory=threading.Event)  # shutting down
    # Workspaces whose token Slack refused in this run: no other post is started there.
    # One workspace's broken token never stops the others'.
    stopped: dict[str, str] = field(default_factory=dict)
    _stopping: threading.Lock = field(default_factory=threading.Lock)
    # When each held workspace may be posted to again (time.monotonic()): a job that
    # hears a 429 holds its workspace at once, before the pool learns of it, so that
    # no other post to it starts meanwhile.
    _holds: dict[str, float] = field(default_factory=dict)
    # Many workspaces: each workspace's client and identity (None: `client`, `identity`).
    workspaces: WorkspaceClients | None = None

    def hold_lane(self, sub: Subscription, seconds: float) -> None:
        """Slack answered 429: hold the subscription's workspace here at once, and in
        the store for the other clock processes."""
        lane = self.lane_of(sub)
        until = time.monotonic() + seconds
        with self._stopping:
            if until > self._holds.get(lane, 0.0):
                self._holds[lane] = until
        try:
            self.store.hold_workspace(
                sub.workspace, until=datetime.now(UTC) + timedelta(seconds=seconds)
            )
        except StoreError as error:  # this process still holds it; the others may not
            log.warning("could not share the hold on workspace %s: %s", lane or "-", error)

    def held_for(self, sub: Subscription) -> float:
        """Seconds until the subscription's workspace may be posted to again, by this
        process's holds and those of other clock processes (0 when it is not held)."""
        here = self._holds.get(self.lane_of(sub), 0.0) - time.monotonic()
        try:
            shared = self.store.workspace_held_until(sub.workspace)
        except StoreError:  # the post's own claim will tell if the store is gone
            shared = None
        there = (shared - datetime.now(UTC)).total_seconds() if shared else 0.0
        return max(0.0, here, there)

    def lane_of(self, sub: Subscription) -> str:
        """The workspace a subscription posts to (its lane in the pool)."""
        return str(sub.workspace)

    def client_of(self, sub: Subscription) -> WebClient | None:
        """The client that posts to the subscription's workspace; None when that
        workspace has no usable token (its lane stops: see bot.weekly.jobs)."""
        if self.workspaces is None:
            return self.client
        found = self.workspaces.slack_for(sub.workspace)
        return found.client if found else None

    def identity_of(self, sub: Subscription) -> BotIdentity | None:
        """The bot as the subscription's workspace knows it (whose posts are ours)."""
        if self.workspaces is None:
            return self.identity
        found = self.workspaces.slack_for(sub.workspace)
        return found.identity if found else None

    def halted(self, lane: str) -> str | None:
        if self.cancel.is_set():
            return "not attempted: the process is stopping"
        if lane in self.stopped:
            return "not attempted: Slack refused the bot's token"
        return None

    def stop_lane(self, lane: str, code: str) -> None:
        with self._stopping:
            first = lane not in self.stopped
            self.stopped.setdefault(lane, code)
        if first:
            where = f"workspace {lane}" if lane else "this workspace"
            log.error("no usable bot token for %s (%s); no more posts there this run", where, code)

    def add(
        self,
        result: Result,
        sub: Subscription,
        slot_key: str,
        *,
        tip_id: str | None = None,
        detail: str = "",
    ) -> None:
        """Report what happened to the subscription's week."""
        self.report.add(
            result,
            SlotOutcome(
                channel_id=sub.channel_id,
                slot_key=slot_key,
                subscription_id=sub.id,
                tip_id=tip_id,
                detail=detail,
            ),
        )
