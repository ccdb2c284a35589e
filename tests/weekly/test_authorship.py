"""Reconciliation believes only this bot's own messages: a message carrying pmtip's
metadata counts as the week's post only when this bot (its bot id from auth.test)
wrote it. Against the stand-in Slack API, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest

from bot.catalogue.source import CatalogueSource
from bot.core.delivery_rules import EVENT_TYPE
from bot.store import DeliveryState
from bot.store.sql import SqlStore
from bot.weekly.ticker import WeeklyTicker
from tests.support.app_server import TIPS_PATH
from tests.support.slack_api import BOT_ID, BOT_USER_ID, FakeSlackApi
from tests.support.workspaces import WS
from tests.weekly.helpers import (
    CATALOGUE,
    FAST,
    MONDAY_SLOT,
    assert_ledger_agrees_with_slack,
    run,
    subscribe_all,
    weekly_posts,
)

AFTER_LEASE = MONDAY_SLOT + FAST.lease + timedelta(seconds=1)

# Authors of a message that carries pmtip's metadata for the week, other than pmtip.
OTHER_AUTHORS = {
    "another app": {"bot_id": "BOTHER", "app_id": "AOTHER", "user": "UOTHERBOT"},
    "another app naming our user": {"bot_id": "BOTHER", "user": BOT_USER_ID},
    "a person": {"user": "UCOPYCAT"},
}


def metadata(subscription_id: int, slot: str = "2026-W02") -> dict:
    return {
        "event_type": EVENT_TYPE,
        "event_payload": {"subscription_id": subscription_id, "slot": slot},
    }


def orphan_claim(store: SqlStore, subscription_id: int) -> None:
    """A claim whose process died before anything was recorded (taken at the slot)."""
    assert store.claim(
        subscription_id=subscription_id,
        slot_key="2026-W02",
        slot_at=MONDAY_SLOT,
        tip_id=CATALOGUE.tips[0].id,
        round=0,
        token=uuid.uuid4().hex,
        now=MONDAY_SLOT,
    )


def break_auth_test(api: FakeSlackApi) -> threading.Event:
    """auth.test answers 500 until the returned event is cleared."""
    broken = threading.Event()
    broken.set()
    api.fail(
        "auth.test", status=500, retry_after=None, times=10_000, when=lambda _: broken.is_set()
    )
    return broken


def lookalike(api: FakeSlackApi, channel: str, subscription_id: int, author: dict) -> str:
    return api.add_message(
        channel, text="PM insight of the week", metadata=metadata(subscription_id), **author
    )


@pytest.mark.parametrize("author", OTHER_AUTHORS.values(), ids=OTHER_AUTHORS.keys())
def test_a_lookalike_from_someone_else_does_not_settle_an_orphaned_claim(
    store, client, slack_api, author
):
    (sub,) = subscribe_all(store, ["C1"])
    orphan_claim(store, sub.id)
    fake_ts = lookalike(slack_api, "C1", sub.id, author)

    report = run(store, client, AFTER_LEASE)

    assert report.reconciled == []
    assert len(report.posted) == 1
    (row,) = store.deliveries(subscription_id=sub.id)
    assert row.state is DeliveryState.POSTED and row.message_ts != fake_ts
    ours = [m for m in weekly_posts(slack_api, "C1") if m.get("bot_id") == BOT_ID]
    assert [m["ts"] for m in ours] == [row.message_ts]


def test_our_own_message_settles_an_orphaned_claim_even_beside_a_lookalike(
    store, client, slack_api
):
    (sub,) = subscribe_all(store, ["C1"])
    orphan_claim(store, sub.id)
    landed = client.chat_postMessage(channel="C1", text="insight", metadata=metadata(sub.id))["ts"]
    lookalike(slack_api, "C1", sub.id, OTHER_AUTHORS["another app"])  # newer, seen first

    report = run(store, client, AFTER_LEASE)

    assert report.posted == [] and [o.detail for o in report.reconciled] == [f"ts {landed}"]
    (row,) = store.deliveries(subscription_id=sub.id)
    assert (row.state, row.message_ts) == (DeliveryState.POSTED, landed)


def test_after_a_5xx_a_lookalike_is_not_taken_for_the_post(store, client, slack_api):
    (sub,) = subscribe_all(store, ["C1"])
    lookalike(slack_api, "C1", sub.id, OTHER_AUTHORS["another app"])
    slack_api.fail("chat.postMessage", status=500, retry_after=None)

    report = run(store, client, MONDAY_SLOT)

    assert len(report.posted) == 1 and report.reconciled == []
    assert_ledger_agrees_with_slack_for_our_posts(store, slack_api)


def assert_ledger_agrees_with_slack_for_our_posts(store: SqlStore, api: FakeSlackApi) -> None:
    for sub in store.subscriptions(receiving_only=False):
        posted = {
            r.message_ts
            for r in store.deliveries(subscription_id=sub.id)
            if r.state is DeliveryState.POSTED
        }
        ours = {m["ts"] for m in weekly_posts(api, sub.channel_id) if m.get("bot_id") == BOT_ID}
        assert posted == ours, sub.channel_id


def test_when_auth_test_fails_a_message_it_cannot_attribute_settles_nothing(
    store, client, slack_api
):
    (sub,) = subscribe_all(store, ["C1"])
    orphan_claim(store, sub.id)
    client.chat_postMessage(channel="C1", text="insight", metadata=metadata(sub.id))
    auth_test_broken = break_auth_test(slack_api)

    blind = run(store, client, AFTER_LEASE)

    assert blind.posted == [] and blind.reconciled == []
    assert [o.detail for o in blind.failed] == ["could not check Slack's history"]
    (row,) = store.deliveries(subscription_id=sub.id)
    assert row.state is DeliveryState.CLAIMED  # kept for a later run, not guessed either way
    assert len(weekly_posts(slack_api, "C1")) == 1

    auth_test_broken.clear()
    settled = run(store, client, AFTER_LEASE + timedelta(minutes=1))
    assert len(settled.reconciled) == 1 and settled.posted == []
    assert_ledger_agrees_with_slack(store, slack_api)


def test_when_auth_test_fails_and_nothing_carries_the_metadata_the_post_is_made(
    store, client, slack_api
):
    (sub,) = subscribe_all(store, ["C1"])
    orphan_claim(store, sub.id)
    break_auth_test(slack_api)

    report = run(store, client, AFTER_LEASE)

    assert len(report.posted) == 1  # nothing to attribute: no message is trusted or needed
    assert_ledger_agrees_with_slack(store, slack_api)


def test_auth_test_is_asked_once_per_run_and_once_per_process(store, client, slack_api):
    subs = subscribe_all(store, ["C1", "C2", "C3"])
    for sub in subs:
        orphan_claim(store, sub.id)
        client.chat_postMessage(channel=sub.channel_id, text="insight", metadata=metadata(sub.id))
    assert len(run(store, client, AFTER_LEASE).reconciled) == 3
    assert len(slack_api.calls("auth.test")) == 1  # one run, three messages to attribute

    slack_api.clear()
    catalogue = CatalogueSource(TIPS_PATH)
    catalogue.reload()
    week = timedelta(days=7)
    ticker = WeeklyTicker(
        store=store, client=client, catalogue=catalogue, catchup_hours=12, policy=FAST
    )
    for n in (1, 2):  # each week a claim is orphaned and its post found: two ticks
        for sub in subs:
            slot = f"2026-W{2 + n:02d}"
            assert store.claim(
                subscription_id=sub.id,
                slot_key=slot,
                slot_at=MONDAY_SLOT + n * week,
                tip_id=CATALOGUE.tips[n].id,
                round=0,
                token=uuid.uuid4().hex,
                now=MONDAY_SLOT + n * week,
            )
            client.chat_postMessage(
                channel=sub.channel_id, text="insight", metadata=metadata(sub.id, slot)
            )
        ticker.now = lambda n=n: AFTER_LEASE + n * week
        assert len(ticker.tick().reconciled) == 3
    assert len(slack_api.calls("auth.test")) == 1  # the clock process asks once


def test_a_failed_auth_test_is_asked_again_after_a_minute_not_on_every_message(client, slack_api):
    from bot.slack.identity import ASK_AGAIN_AFTER_SECONDS, BotIdentity, Identity

    clock = [1000.0]
    identity = BotIdentity(client, monotonic=lambda: clock[0])
    auth_test_broken = break_auth_test(slack_api)
    assert identity.get() is None and identity.get() is None
    assert len(slack_api.calls("auth.test")) == 1
    auth_test_broken.clear()
    clock[0] += ASK_AGAIN_AFTER_SECONDS
    assert identity.get() == Identity(bot_id=BOT_ID, app_id=None, workspace=WS)
    assert identity.get() is identity.get()
    assert len(slack_api.calls("auth.test")) == 2


def test_a_message_is_ours_by_our_bot_id_or_by_our_app_id_when_slack_names_one():
    from bot.slack.identity import Identity

    ours = Identity(bot_id="B1", app_id="A1")
    assert ours.wrote({"bot_id": "B1"})
    assert ours.wrote({"app_id": "A1"}) and ours.wrote({"bot_profile": {"app_id": "A1"}})
    assert not ours.wrote({"bot_id": "B2", "app_id": "A2", "user": "UBOT"})
    assert not ours.wrote({"user": "UBOT", "text": "copied"})
    no_app = Identity(bot_id="B1", app_id=None)
    assert not no_app.wrote({"app_id": None}) and not no_app.wrote({})
