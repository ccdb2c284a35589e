"""Shared setup for delivery tests: a schedule, subscriptions, and ledger-vs-Slack checks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time
from typing import Any

from slack_sdk import WebClient

from bot.catalogue.source import read_catalogue
from bot.core.catalogue import Catalogue
from bot.core.delivery_rules import EVENT_TYPE, DeliveryPolicy
from bot.core.schedule import WeeklySchedule
from bot.store import DeliveryState, Subscription
from bot.store.sql import SqlStore
from bot.weekly.post_due import post_due
from bot.weekly.report import DeliveryReport
from tests.support.app_server import TIPS_PATH
from tests.support.slack_api import FakeSlackApi
from tests.support.slack_validation import assert_valid_message
from tests.support.workspaces import WS

CATALOGUE, _PROBLEMS = read_catalogue(TIPS_PATH)
assert CATALOGUE is not None, _PROBLEMS

MONDAY_9_NEW_YORK = WeeklySchedule(day=0, at=time(9, 0), timezone="America/New_York")
SUBSCRIBED_AT = datetime(2026, 1, 1, tzinfo=UTC)
MONDAY_SLOT = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)  # 09:00 in New York
FAST = DeliveryPolicy(backoff_seconds=0.05)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def subscribe_all(
    store: SqlStore,
    channels: Iterable[str],
    *,
    schedule: WeeklySchedule = MONDAY_9_NEW_YORK,
    topics: tuple[str, ...] = (),
    now: datetime = SUBSCRIBED_AT,
) -> list[Subscription]:
    return [
        store.workspace(WS).subscribe(
            channel_id=channel, schedule=schedule, topics=topics, subscribed_by="UADMIN", now=now
        )
        for channel in channels
    ]


def run(
    store: SqlStore,
    client: WebClient,
    now: datetime,
    *,
    catalogue: Catalogue = CATALOGUE,
    policy: DeliveryPolicy = FAST,
    catchup_hours: float = 12,
) -> DeliveryReport:
    return post_due(
        store=store,
        client=client,
        catalogue=catalogue,
        now=now,
        catchup_hours=catchup_hours,
        policy=policy,
    )


def weekly_posts(api: FakeSlackApi, channel: str) -> list[dict[str, Any]]:
    """The weekly-insight messages the stand-in holds for a channel, oldest first."""
    return [
        m for m in api.posted(channel) if (m.get("metadata") or {}).get("event_type") == EVENT_TYPE
    ]


def assert_ledger_agrees_with_slack(store: SqlStore, api: FakeSlackApi) -> None:
    """Each posted ledger row is a message Slack holds; each weekly message is in the ledger."""
    for sub in store.subscriptions(receiving_only=False):
        rows = store.deliveries(subscription_id=sub.id)
        assert not [r for r in rows if r.state is DeliveryState.CLAIMED], sub.channel_id
        in_ledger = {(r.slot_key, r.message_ts) for r in rows if r.state is DeliveryState.POSTED}
        in_slack = {
            (m["metadata"]["event_payload"]["slot"], m["ts"])
            for m in weekly_posts(api, sub.channel_id)
        }
        assert in_ledger == in_slack, sub.channel_id


def assert_weekly_message_is_valid(call_params: dict[str, Any]) -> None:
    assert_valid_message({"text": call_params["text"], "blocks": call_params["blocks"]})
