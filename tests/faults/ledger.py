"""Settling a fan-out and checking it: what every due slot came to, against what
the stand-in Slack API received."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.store import DeliveryState
from bot.store.sql import SqlStore
from bot.weekly.report import DeliveryReport
from tests.support.slack_api import FakeSlackApi
from tests.support.workspaces import WS
from tests.weekly.helpers import assert_ledger_agrees_with_slack, weekly_posts

LEASE_PASSED = timedelta(minutes=11)  # the delivery policy's lease is 10 minutes


@dataclass
class Outcomes:
    """Every slot outcome over several runs, by channel."""

    settled: Counter[str] = field(default_factory=Counter)  # posted or found posted
    paused: set[str] = field(default_factory=set)
    runs: int = 0

    def add(self, report: DeliveryReport) -> None:
        self.runs += 1
        for outcome in (*report.posted, *report.reconciled):
            self.settled[outcome.channel_id] += 1
        self.paused |= {o.channel_id for o in report.paused}


def unsettled(store: SqlStore) -> list[str]:
    """Channels whose subscription still receives and has a claim without an outcome."""
    return [
        sub.channel_id
        for sub in store.subscriptions(receiving_only=False)
        for row in store.deliveries(subscription_id=sub.id)
        if row.state is DeliveryState.CLAIMED
    ]


def instants_after(start: datetime, *, runs: int) -> Iterable[datetime]:
    """Run times a clock would reach: a minute later, then each time past the lease."""
    yield start
    yield start + timedelta(minutes=1)
    for n in range(1, runs - 1):
        yield start + n * LEASE_PASSED


def assert_each_slot_posted_once_or_reported(
    store: SqlStore,
    api: FakeSlackApi,
    outcomes: Outcomes,
    *,
    channels: Iterable[str],
    gone: set[str],
) -> None:
    for channel in channels:
        posts = weekly_posts(api, channel)
        if channel in gone:
            assert posts == [], f"{channel} is gone, yet holds {len(posts)} posts"
            assert channel in outcomes.paused, f"{channel} was neither posted nor reported"
            sub = store.workspace(WS).subscription(channel)
            assert sub is not None and sub.paused_reason, f"{channel} is not paused: {sub}"
        else:
            sub = store.workspace(WS).subscription(channel)
            rows = store.deliveries(subscription_id=sub.id) if sub else []
            assert len(posts) == 1, f"{channel}: {len(posts)} weekly posts; ledger {rows}"
            assert outcomes.settled[channel] == 1, f"{channel} settled {outcomes.settled[channel]}x"
    assert unsettled(store) == []
    for sub in store.subscriptions(receiving_only=False):
        rows = store.deliveries(subscription_id=sub.id)
        in_ledger = {(r.slot_key, r.message_ts) for r in rows if r.state is DeliveryState.POSTED}
        in_slack = {
            (m["metadata"]["event_payload"]["slot"], m["ts"])
            for m in weekly_posts(api, sub.channel_id)
        }
        assert in_ledger == in_slack, f"{sub.channel_id}: ledger {rows}, Slack {in_slack}"
    assert_ledger_agrees_with_slack(store, api)
