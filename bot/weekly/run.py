"""One delivery run's context: what its jobs share (the store, the client, the
catalogue, the instant, the report) and whether it must stop starting posts."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk import WebClient

from bot.core.catalogue import Catalogue
from bot.core.delivery_rules import DeliveryPolicy
from bot.core.slot_outcomes import Result, SlotOutcome
from bot.slack.identity import BotIdentity
from bot.store.base import Store, Subscription
from bot.weekly.report import DeliveryReport


@dataclass
class Run:
    store: Store
    client: WebClient  # without retry handlers: the jobs decide about retries
    catalogue: Catalogue
    now: datetime
    catchup_hours: float
    policy: DeliveryPolicy
    report: DeliveryReport
    identity: BotIdentity  # whose messages count as our posts
    cancel: threading.Event = field(default_factory=threading.Event)  # shutting down
    stop: threading.Event = field(default_factory=threading.Event)  # Slack refused the token

    def halted(self) -> str | None:
        if self.cancel.is_set():
            return "not attempted: the process is stopping"
        if self.stop.is_set():
            return "not attempted: Slack refused the bot's token"
        return None

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
