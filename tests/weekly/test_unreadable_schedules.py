"""One subscription whose stored schedule cannot be used (here: a timezone this
host's tzdata does not have) costs only its own channel: every other channel gets
its post, on each tick and from `post-due`, and the bad one is logged once."""

from __future__ import annotations

import uuid
from datetime import timedelta

from bot.store import DeliveryState
from tests.support.databases import corrupt_subscription
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
from tests.weekly.test_races import bot_env
from tests.weekly.test_ticker import post_due

CHANNELS = ["C1", "CBAD", "C3"]


def test_the_other_channels_are_posted_and_the_bad_one_is_left_alone(store, client, slack_api):
    subscribe_all(store, CHANNELS)
    corrupt_subscription(store.engine, "CBAD", timezone="Mars/Olympus")

    report = run(store, client, MONDAY_SLOT)

    assert sorted(o.channel_id for o in report.posted) == ["C1", "C3"]
    assert weekly_posts(slack_api, "CBAD") == []
    assert "Mars/Olympus" in store.workspace(WS).subscription("CBAD").paused_reason
    next_week = run(store, client, MONDAY_SLOT + timedelta(days=7))
    assert sorted(o.channel_id for o in next_week.posted) == ["C1", "C3"]


def test_an_orphaned_claim_of_the_bad_channel_is_settled_without_breaking_the_run(
    store, client, slack_api
):
    subs = {s.channel_id: s for s in subscribe_all(store, CHANNELS)}
    assert store.claim(
        subscription_id=subs["CBAD"].id,
        slot_key="2026-W02",
        slot_at=MONDAY_SLOT,
        tip_id=CATALOGUE.tips[0].id,
        round=0,
        token=uuid.uuid4().hex,
        now=MONDAY_SLOT,
    )
    corrupt_subscription(store.engine, "CBAD", timezone="Mars/Olympus")

    report = run(store, client, MONDAY_SLOT + FAST.lease + timedelta(seconds=1))

    assert sorted(o.channel_id for o in report.posted) == ["C1", "C3"]
    assert weekly_posts(slack_api, "CBAD") == []  # paused: its claim is given back, not posted
    assert [r.state for r in store.deliveries(subscription_id=subs["CBAD"].id)] == []
    assert_ledger_agrees_with_slack(store, slack_api)


def test_post_due_posts_to_the_others_exits_0_and_logs_the_bad_row_once(
    database_url, store, slack_api, tmp_path
):
    subscribe_all(store, CHANNELS)
    corrupt_subscription(store.engine, "CBAD", timezone="Mars/Olympus")
    env = bot_env(slack_api, database_url)

    first = post_due(env, tmp_path, "--at", MONDAY_SLOT.isoformat())
    later = post_due(env, tmp_path, "--at", (MONDAY_SLOT + timedelta(days=7)).isoformat())

    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr + later.stderr
    assert "posted: C1 2026-W02" in first.stdout and "posted: C3 2026-W02" in first.stdout
    assert "CBAD" not in first.stdout
    assert first.stderr.count("CBAD") == 1 and "Mars/Olympus" in first.stderr
    assert later.returncode == 0 and "CBAD" not in later.stderr  # logged once, not per run
    rows = [
        r.state
        for s in store.subscriptions(receiving_only=False)
        for r in store.deliveries(subscription_id=s.id)
    ]
    assert rows.count(DeliveryState.POSTED) == 4
