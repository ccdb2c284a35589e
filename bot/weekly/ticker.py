"""The metronome: APScheduler calls `post_due(now)` every TICK_SECONDS.

APScheduler only decides *when* to look; the delivery ledger decides *what* is
owed. There is no persistent job store and no reliance on misfire handling: a
process that starts after a slot simply finds it due on its first tick (within
the catch-up window), and two schedulers running at once by mistake each find
the other's claims in the ledger.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from slack_sdk import WebClient

from bot.catalogue.source import CatalogueSource
from bot.core.delivery_rules import DEFAULT_POLICY, DeliveryPolicy
from bot.slack.identity import BotIdentity
from bot.slack.workspace_clients import WorkspaceClients
from bot.store.base import Store, StoreError
from bot.weekly.post_due import post_due
from bot.weekly.report import DeliveryReport

log = logging.getLogger(__name__)

JOB_ID = "pmtip-post-due"


@dataclass
class WeeklyTicker:
    """One tick: pick up an edited tips file, then post whatever is due now."""

    store: Store
    client: WebClient
    catalogue: CatalogueSource
    catchup_hours: float
    policy: DeliveryPolicy = DEFAULT_POLICY
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    cancel: threading.Event = field(default_factory=threading.Event)
    identity: BotIdentity | None = None  # the bot's own ids: asked of Slack once per process
    workspaces: WorkspaceClients | None = None  # many workspaces: each one's client

    def __post_init__(self) -> None:
        if self.identity is None:
            self.identity = BotIdentity(self.client)

    def tick(self) -> DeliveryReport | None:
        if self.cancel.is_set():
            return None
        try:
            self.catalogue.reload_if_changed()
            return post_due(
                store=self.store,
                client=self.client,
                catalogue=self.catalogue.current(),
                now=self.now(),
                catchup_hours=self.catchup_hours,
                policy=self.policy,
                cancel=self.cancel,
                identity=self.identity,
                workspaces=self.workspaces,
            )
        except StoreError as error:
            log.error("weekly insight: %s; trying again next tick", error)
        except Exception:  # the next tick must still come
            log.exception("weekly insight: the tick failed; trying again next tick")
        return None


def schedule_ticks(scheduler: BaseScheduler, ticker: WeeklyTicker, *, tick_seconds: int) -> None:
    scheduler.add_job(
        ticker.tick,
        "interval",
        seconds=tick_seconds,
        id=JOB_ID,
        next_run_time=datetime.now(UTC),  # look at once: catch up on what was missed
        coalesce=True,  # after a stall, one tick, not a burst
        max_instances=1,  # a slow tick is never overlapped by the next
        misfire_grace_time=tick_seconds * 2,  # a late tick still runs
    )


def start_background(ticker: WeeklyTicker, *, tick_seconds: int) -> BackgroundScheduler:
    """Tick in a background thread (beside Socket Mode). Stop with `stop(...)`."""
    scheduler = BackgroundScheduler(timezone=UTC)
    schedule_ticks(scheduler, ticker, tick_seconds=tick_seconds)
    scheduler.start()
    log.info("weekly insight scheduler started: a tick every %ss", tick_seconds)
    return scheduler


def build_blocking(ticker: WeeklyTicker, *, tick_seconds: int) -> BlockingScheduler:
    """A scheduler whose `start()` ticks in this thread until stopped (the clock process)."""
    scheduler = BlockingScheduler(timezone=UTC)
    schedule_ticks(scheduler, ticker, tick_seconds=tick_seconds)
    return scheduler


def stop(scheduler: BaseScheduler, ticker: WeeklyTicker) -> None:
    """Stop ticking: no new posts start; a tick in progress releases what it has not posted."""
    ticker.cancel.set()
    if scheduler.running:
        scheduler.shutdown(wait=True)
    log.info("weekly insight scheduler stopped")
