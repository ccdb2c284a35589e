"""post_due end to end against the stand-in Slack API: what is due, once, in rotation,
after a crash, and what post-now does to the week."""

from __future__ import annotations

import logging
import uuid
from datetime import time, timedelta

import pytest

from bot.core.catalogue import Catalogue
from bot.core.delivery_rules import EVENT_TYPE
from bot.core.schedule import WeeklySchedule
from bot.store import DeliveryState, open_store
from bot.weekly.post_due import post_now
from tests.support.workspaces import WS
from tests.weekly.helpers import (
    CATALOGUE,
    FAST,
    MONDAY_SLOT,
    assert_ledger_agrees_with_slack,
    assert_weekly_message_is_valid,
    run,
    subscribe_all,
    utc,
    weekly_posts,
)

LEASE = FAST.lease


# -- once, on time ----------------------------------------------------------------------


def test_a_due_slot_is_posted_once_with_its_metadata_and_running_again_posts_nothing(
    store, client, slack_api
):
    (sub,) = subscribe_all(store, ["C1"])
    first = run(store, client, MONDAY_SLOT)
    again = run(store, client, MONDAY_SLOT)

    assert [o.channel_id for o in first.posted] == ["C1"]
    assert again.posted == [] and again.failed == []
    (call,) = slack_api.calls("chat.postMessage")
    assert_weekly_message_is_valid(call.params)
    assert call.params["metadata"] == {
        "event_type": EVENT_TYPE,
        "event_payload": {"subscription_id": sub.id, "slot": "2026-W02"},
    }
    assert "PM insight of the week" in call.params["text"]
    (row,) = store.deliveries(subscription_id=sub.id)
    assert row.state is DeliveryState.POSTED
    assert row.message_ts == weekly_posts(slack_api, "C1")[0]["ts"]


def test_nothing_is_posted_a_second_before_the_slot(store, client, slack_api):
    subscribe_all(store, ["C1"])
    # The latest slot a second before is the previous Monday, before the subscription.
    report = run(store, client, MONDAY_SLOT - timedelta(seconds=1))
    assert report.posted == [] and slack_api.calls("chat.postMessage") == []


def test_new_york_monday_9am_posts_at_13h_utc_in_july(store, client, slack_api):
    subscribe_all(store, ["C1"], now=utc(2026, 7, 1))
    assert run(store, client, utc(2026, 7, 6, 12, 59)).posted == []
    assert len(run(store, client, utc(2026, 7, 6, 13, 0)).posted) == 1


def test_berlin_slot_in_the_skipped_hour_posts_once(store, client, slack_api):
    sunday_0230 = WeeklySchedule(day=6, at=time(2, 30), timezone="Europe/Berlin")
    subscribe_all(store, ["C1"], schedule=sunday_0230, now=utc(2026, 3, 20))
    ticks = [utc(2026, 3, 29, 0, 30) + timedelta(minutes=15 * n) for n in range(12)]
    posted = [o for tick in ticks for o in run(store, client, tick).posted]
    assert len(posted) == 1 and len(weekly_posts(slack_api, "C1")) == 1
    assert slack_api.calls("chat.postMessage")[0].params["metadata"]["event_payload"]["slot"] == (
        "2026-W13"
    )


def test_berlin_slot_in_the_repeated_hour_posts_once(store, client, slack_api):
    sunday_0230 = WeeklySchedule(day=6, at=time(2, 30), timezone="Europe/Berlin")
    subscribe_all(store, ["C1"], schedule=sunday_0230, now=utc(2026, 10, 20))
    ticks = [utc(2026, 10, 25, 0, 0) + timedelta(minutes=10 * n) for n in range(18)]
    for tick in ticks:
        run(store, client, tick)
    assert len(weekly_posts(slack_api, "C1")) == 1


def test_subscribing_after_the_slot_does_not_post_that_week(store, client, slack_api):
    subscribe_all(store, ["C1"], now=MONDAY_SLOT + timedelta(hours=1))
    assert run(store, client, MONDAY_SLOT + timedelta(hours=2)).posted == []
    assert len(run(store, client, MONDAY_SLOT + timedelta(days=7)).posted) == 1


# -- catch-up ---------------------------------------------------------------------------


def test_down_at_9_and_started_at_11_posts_once(store, client, slack_api):
    subscribe_all(store, ["C1"])
    eleven = MONDAY_SLOT + timedelta(hours=2)
    ticks = [eleven + timedelta(seconds=30 * n) for n in range(10)]
    posted = [o for tick in ticks for o in run(store, client, tick).posted]
    assert len(posted) == 1
    assert len(weekly_posts(slack_api, "C1")) == 1


def test_started_on_tuesday_morning_skips_the_week_and_says_so_once(
    store, client, slack_api, caplog
):
    (sub,) = subscribe_all(store, ["C1"])
    tuesday = MONDAY_SLOT + timedelta(hours=23)
    with caplog.at_level(logging.WARNING, logger="bot.weekly"):
        first = run(store, client, tuesday)
        second = run(store, client, tuesday + timedelta(minutes=1))
    assert slack_api.calls("chat.postMessage") == []
    assert [o.slot_key for o in first.skipped] == ["2026-W02"]
    assert "CATCHUP_HOURS=12" in first.skipped[0].detail
    assert second.skipped == []
    skips = [r for r in caplog.records if "skipped C1 2026-W02" in r.getMessage()]
    assert len(skips) == 1
    (row,) = store.deliveries(subscription_id=sub.id)
    assert row.state is DeliveryState.SKIPPED
    # and the following week posts as usual
    assert len(run(store, client, MONDAY_SLOT + timedelta(days=7)).posted) == 1


# -- rotation through real runs ---------------------------------------------------------------


def small_catalogue(tip_ids: list[str]) -> Catalogue:
    tips = tuple(t for t in CATALOGUE.tips if t.id in tip_ids)
    return Catalogue(topics=CATALOGUE.topics, tips=tips)


def weekly_tip_ids(api, channel: str) -> list[str]:
    return [m["blocks"][-1]["elements"][0]["value"] for m in weekly_posts(api, channel)]


def test_rotation_over_rounds_with_tips_added_and_removed_and_a_restart(
    database_url, client, slack_api
):
    ids = [tip.id for tip in CATALOGUE.tips]
    store = open_store(database_url)
    subscribe_all(store, ["C1"])
    week = timedelta(days=7)

    # round 0: five tips, five weeks
    for n in range(5):
        run(store, client, MONDAY_SLOT + n * week, catalogue=small_catalogue(ids[:5]))
    store.close()
    assert sorted(weekly_tip_ids(slack_api, "C1")) == sorted(ids[:5])

    # restart; one tip is removed and two are added
    store = open_store(database_url)
    catalogue = small_catalogue(ids[1:7])
    for n in range(5, 19):
        run(store, client, MONDAY_SLOT + n * week, catalogue=catalogue)
    posted = weekly_tip_ids(slack_api, "C1")
    # the added tips join round 0, which closes only when a tip is next needed
    assert sorted(posted[5:7]) == sorted(ids[5:7])
    second_round, third_round = posted[7:13], posted[13:19]
    assert sorted(second_round) == sorted(ids[1:7])  # the removed tip is skipped
    assert sorted(third_round) == sorted(ids[1:7])
    assert second_round[0] != posted[6] and third_round[0] != second_round[-1]  # no back-to-back
    assert_ledger_agrees_with_slack(store, slack_api)
    store.close()


def test_channels_rotate_independently_and_not_in_file_order(store, client, slack_api):
    subscribe_all(store, ["C1", "C2"])
    for n in range(8):
        run(store, client, MONDAY_SLOT + timedelta(days=7 * n))
    one, two = weekly_tip_ids(slack_api, "C1"), weekly_tip_ids(slack_api, "C2")
    file_order = [tip.id for tip in CATALOGUE.tips][:8]
    assert len(set(one)) == len(set(two)) == 8
    assert one != two and one != file_order


def test_a_topic_filter_limits_the_rotation(store, client, slack_api):
    topic = CATALOGUE.topics[0].slug
    in_topic = {tip.id for tip in CATALOGUE.tips_in(topic)}
    subscribe_all(store, ["C1"], topics=(topic,))
    for n in range(len(in_topic) * 2):
        run(store, client, MONDAY_SLOT + timedelta(days=7 * n))
    posted = weekly_tip_ids(slack_api, "C1")
    assert set(posted) == in_topic
    assert sorted(posted[: len(in_topic)]) == sorted(in_topic)


def test_a_topic_with_no_tips_left_posts_nothing_and_keeps_the_week_open(store, client, slack_api):
    (sub,) = subscribe_all(store, ["C1"], topics=("retired-topic",))
    report = run(store, client, MONDAY_SLOT)
    assert report.posted == [] and "retired-topic" in report.failed[0].detail
    assert store.deliveries(subscription_id=sub.id) == []  # a fixed file can still post it


# -- a process that died between claim and Slack's answer ------------------------------------


def orphan_claim(store, sub_id: int, *, at, tip_id: str = CATALOGUE.tips[0].id) -> str:
    token = uuid.uuid4().hex
    assert store.claim(
        subscription_id=sub_id,
        slot_key="2026-W02",
        slot_at=MONDAY_SLOT,
        tip_id=tip_id,
        round=0,
        token=token,
        now=at,
    )
    return token


def test_a_claim_whose_process_died_before_posting_is_posted_after_the_lease(
    store, client, slack_api
):
    (sub,) = subscribe_all(store, ["C1"])
    orphan_claim(store, sub.id, at=MONDAY_SLOT)  # ...and then the process died

    within_lease = run(store, client, MONDAY_SLOT + LEASE - timedelta(seconds=1))
    assert within_lease.posted == [] and slack_api.calls("chat.postMessage") == []

    after_lease = run(store, client, MONDAY_SLOT + LEASE + timedelta(seconds=1))
    assert [o.tip_id for o in after_lease.posted] == [CATALOGUE.tips[0].id]
    assert len(weekly_posts(slack_api, "C1")) == 1
    assert run(store, client, MONDAY_SLOT + 2 * LEASE).posted == []
    assert_ledger_agrees_with_slack(store, slack_api)


def test_a_claim_whose_process_died_after_slack_accepted_is_recorded_not_reposted(
    store, client, slack_api
):
    (sub,) = subscribe_all(store, ["C1"])
    orphan_claim(store, sub.id, at=MONDAY_SLOT)
    # The dead process's post reached Slack; its answer never reached the ledger.
    landed = client.chat_postMessage(
        channel="C1",
        text="PM insight of the week",
        metadata={
            "event_type": EVENT_TYPE,
            "event_payload": {"subscription_id": sub.id, "slot": "2026-W02"},
        },
    )["ts"]
    report = run(store, client, MONDAY_SLOT + LEASE + timedelta(seconds=1))
    assert report.posted == []
    assert [o.detail for o in report.reconciled] == [f"ts {landed}"]
    assert len(weekly_posts(slack_api, "C1")) == 1
    (row,) = store.deliveries(subscription_id=sub.id)
    assert (row.state, row.message_ts) == (DeliveryState.POSTED, landed)


def test_an_orphaned_claim_that_cannot_be_checked_is_not_reposted_blindly(store, client, slack_api):
    (sub,) = subscribe_all(store, ["C1"])
    orphan_claim(store, sub.id, at=MONDAY_SLOT)
    slack_api.fail("conversations.history", error="missing_scope", times=100)
    report = run(store, client, MONDAY_SLOT + LEASE + timedelta(seconds=1))
    assert report.posted == [] and slack_api.calls("chat.postMessage") == []
    assert store.deliveries(subscription_id=sub.id)[0].state is DeliveryState.CLAIMED
    # past the catch-up window it is closed for good, with a warning: at most once
    late = run(store, client, MONDAY_SLOT + timedelta(hours=13))
    assert slack_api.calls("chat.postMessage") == [] and late.posted == []
    assert store.deliveries(subscription_id=sub.id)[0].state is DeliveryState.FAILED


# -- post-now ---------------------------------------------------------------------------------


def test_post_now_counts_as_this_weeks_slot(store, client, slack_api):
    (sub,) = subscribe_all(store, ["C1"])
    early_monday = MONDAY_SLOT - timedelta(hours=4)  # 05:00 in New York, same ISO week

    def admin_post_now(now):
        return post_now(
            store=store, client=client, catalogue=CATALOGUE, subscription=sub, now=now, policy=FAST
        )

    assert admin_post_now(early_monday).posted
    assert run(store, client, MONDAY_SLOT).posted == []  # the week is taken
    again = admin_post_now(MONDAY_SLOT + timedelta(days=1))
    assert not again.posted and "already posted" in again.message
    assert len(run(store, client, MONDAY_SLOT + timedelta(days=7)).posted) == 1  # next week
    assert len(weekly_posts(slack_api, "C1")) == 2
    assert_ledger_agrees_with_slack(store, slack_api)


def test_post_now_may_post_a_week_that_was_skipped(store, client, slack_api):
    (sub,) = subscribe_all(store, ["C1"])
    tuesday = MONDAY_SLOT + timedelta(hours=23)
    assert run(store, client, tuesday).skipped
    result = post_now(
        store=store, client=client, catalogue=CATALOGUE, subscription=sub, now=tuesday, policy=FAST
    )
    assert result.posted
    (row,) = store.deliveries(subscription_id=sub.id)
    assert row.state is DeliveryState.POSTED


@pytest.mark.parametrize("code", ["is_archived", "channel_not_found", "not_in_channel"])
def test_post_now_into_an_unusable_channel_pauses_and_says_why(store, client, slack_api, code):
    (sub,) = subscribe_all(store, ["C1"])
    slack_api.fail("chat.postMessage", error=code)
    result = post_now(
        store=store,
        client=client,
        catalogue=CATALOGUE,
        subscription=sub,
        now=MONDAY_SLOT,
        policy=FAST,
    )
    assert not result.posted and result.message == code
    assert store.workspace(WS).subscription("C1").paused_reason == code


def test_a_week_refused_to_post_now_is_owed_again_after_subscribing_again(store, client, slack_api):
    (sub,) = subscribe_all(store, ["C1"])
    early_monday = MONDAY_SLOT - timedelta(hours=4)
    slack_api.fail("chat.postMessage", error="not_in_channel")
    refused = post_now(
        store=store, client=client, catalogue=CATALOGUE, subscription=sub, now=early_monday
    )
    assert (
        not refused.posted
        and store.workspace(WS).subscription("C1").paused_reason == "not_in_channel"
    )
    assert run(store, client, MONDAY_SLOT).posted == []  # paused: nothing owed

    (again,) = subscribe_all(store, ["C1"], now=early_monday + timedelta(hours=1))
    first, second = run(store, client, MONDAY_SLOT), run(store, client, MONDAY_SLOT)
    assert [o.slot_key for o in first.posted] == ["2026-W02"] and second.posted == []
    (row,) = store.deliveries(subscription_id=again.id)
    assert row.state is DeliveryState.POSTED
    assert len(weekly_posts(slack_api, "C1")) == 1
    assert_ledger_agrees_with_slack(store, slack_api)
