"""Slack's faults during delivery: rate limits, 5xx, timeouts, channels that are gone;
one channel's trouble never stops the others, and nothing is lost or doubled."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

import pytest
from slack_sdk import WebClient

from bot.core.delivery_rules import DeliveryPolicy
from bot.store import DeliveryState
from tests.support.workspaces import WS
from tests.weekly.helpers import (
    FAST,
    MONDAY_SLOT,
    assert_ledger_agrees_with_slack,
    run,
    subscribe_all,
    weekly_posts,
)


def to(channel: str):
    return lambda params: params.get("channel") == channel


def post_calls(api, channel: str):
    return [c for c in api.calls("chat.postMessage") if c.params.get("channel") == channel]


# -- 429 -----------------------------------------------------------------------------------


def test_a_429_holds_back_its_workspace_until_retry_after(store, client, slack_api):
    # Each channel gets one post, so a 429 in a fan-out is the workspace's limit, not a
    # channel's: nothing more goes to that workspace until Retry-After has passed.
    subscribe_all(store, ["C0", "C1", "C2"])
    slack_api.fail("chat.postMessage", status=429, retry_after=1, when=to("C0"))
    report = run(store, client, MONDAY_SLOT, policy=replace(FAST, workers=1))

    assert sorted(o.channel_id for o in report.posted) == ["C0", "C1", "C2"]
    limited, retried = post_calls(slack_api, "C0")
    assert (limited.status, retried.status) == (429, 200)
    assert retried.at - limited.at >= 1.0  # Retry-After respected
    others = post_calls(slack_api, "C1") + post_calls(slack_api, "C2")
    assert not [c for c in others if limited.at < c.at < limited.at + 0.99]
    assert report.retries == 1
    assert_ledger_agrees_with_slack(store, slack_api)


def test_a_channel_rate_limited_past_the_bound_is_left_for_the_next_tick(store, client, slack_api):
    (sub,) = subscribe_all(store, ["C0"])
    slack_api.fail("chat.postMessage", status=429, retry_after=0.1, times=3)
    policy = replace(FAST, rate_limit_waits=2)
    report = run(store, client, MONDAY_SLOT, policy=policy)
    assert report.posted == [] and "rate limited" in report.failed[0].detail
    assert store.deliveries(subscription_id=sub.id) == []  # the claim was released
    assert len(run(store, client, MONDAY_SLOT + timedelta(seconds=30), policy=policy).posted) == 1
    assert len(weekly_posts(slack_api, "C0")) == 1


def test_a_retry_after_longer_than_the_cap_leaves_the_slot_for_later(store, client, slack_api):
    subscribe_all(store, ["C0"])
    slack_api.fail("chat.postMessage", status=429, retry_after=120)
    report = run(store, client, MONDAY_SLOT)
    assert report.posted == [] and "120" in report.failed[0].detail
    assert len(post_calls(slack_api, "C0")) == 1


# -- 5xx and timeouts ----------------------------------------------------------------------------


def test_a_5xx_is_retried_with_backoff_and_posted_once(store, client, slack_api):
    subscribe_all(store, ["C0"])
    slack_api.fail("chat.postMessage", status=503, retry_after=None, times=2)
    report = run(store, client, MONDAY_SLOT, policy=replace(FAST, backoff_seconds=0.2))
    assert len(report.posted) == 1 and report.retries == 2
    first, second, third = post_calls(slack_api, "C0")
    assert (first.status, second.status, third.status) == (503, 503, 200)
    assert second.at - first.at >= 0.2 and third.at - second.at >= 0.4  # doubling backoff
    # before each re-post the channel was checked for a post that landed after all
    assert len(slack_api.calls("conversations.history")) >= 2
    assert len(weekly_posts(slack_api, "C0")) == 1


def test_persistent_5xx_gives_up_after_the_bound_and_the_next_tick_posts(store, client, slack_api):
    (sub,) = subscribe_all(store, ["C0", "C1"])[:1]
    slack_api.fail("chat.postMessage", status=500, retry_after=None, times=3, when=to("C0"))
    report = run(store, client, MONDAY_SLOT)
    assert [o.channel_id for o in report.posted] == ["C1"]
    assert [o.channel_id for o in report.failed] == ["C0"]
    assert len(post_calls(slack_api, "C0")) == FAST.attempts
    assert store.deliveries(subscription_id=sub.id) == []  # released: nothing was posted
    later = run(store, client, MONDAY_SLOT + timedelta(seconds=30))
    assert [o.channel_id for o in later.posted] == ["C0"]
    assert len(weekly_posts(slack_api, "C0")) == 1
    assert_ledger_agrees_with_slack(store, slack_api)


@pytest.mark.parametrize("lands_after", [0.8, 2.5], ids=["soon", "after any retry would have"])
def test_a_timed_out_post_is_never_posted_twice_however_late_it_lands(
    store, slack_api, lands_after
):
    # Slack is slow to answer; the client gives up after 0.5 s, but the post lands.
    impatient = WebClient(
        token="xoxb-t", base_url=slack_api.base_url, timeout=0.5, retry_handlers=[]
    )
    (sub,) = subscribe_all(store, ["C0"])
    slack_api.fail("chat.postMessage", delay=lands_after)
    first = run(store, impatient, MONDAY_SLOT)
    assert first.posted == [] and "outcome unknown" in first.failed[0].detail
    # Neither a retry nor the next ticks post it again while it may be in flight...
    for seconds in (30, 60, 90):
        assert run(store, impatient, MONDAY_SLOT + timedelta(seconds=seconds)).posted == []
    slack_api.wait_for("chat.postMessage", timeout=5)  # ...and the slow post lands
    assert store.deliveries(subscription_id=sub.id)[0].state is DeliveryState.CLAIMED
    # after the lease, reconciliation finds it in the channel and records it
    settled = run(store, impatient, MONDAY_SLOT + FAST.lease + timedelta(seconds=1))
    assert len(settled.reconciled) == 1 and settled.posted == []
    assert len(post_calls(slack_api, "C0")) == 1
    assert_ledger_agrees_with_slack(store, slack_api)


def test_a_refused_connection_is_retried_then_released_for_the_next_tick(store, caplog):
    dead_end = WebClient(
        token="xoxb-t", base_url="http://127.0.0.1:9/api/", timeout=1, retry_handlers=[]
    )
    (sub,) = subscribe_all(store, ["C0"])
    report = run(store, dead_end, MONDAY_SLOT)
    assert report.posted == [] and len(report.failed) == 1
    assert report.retries == FAST.attempts - 1
    # A refused connection never reached Slack: the slot is free for the next tick.
    assert store.deliveries(subscription_id=sub.id) == []


# -- channels that cannot receive -----------------------------------------------------------------


@pytest.mark.parametrize("code", ["channel_not_found", "is_archived", "not_in_channel"])
def test_an_unusable_channel_pauses_its_subscription_and_the_run_goes_on(
    store, client, slack_api, code
):
    subscribe_all(store, ["C0", "C1", "C2"])
    slack_api.fail("chat.postMessage", error=code, when=to("C1"))
    report = run(store, client, MONDAY_SLOT)
    assert sorted(o.channel_id for o in report.posted) == ["C0", "C2"]
    assert [(o.channel_id, o.detail) for o in report.paused] == [("C1", code)]
    paused = store.workspace(WS).subscription("C1")
    assert paused.paused_reason == code and not paused.receiving
    (row,) = store.deliveries(subscription_id=paused.id)
    assert (row.state, row.reason) == (DeliveryState.FAILED, code)
    # later runs leave the paused channel alone
    run(store, client, MONDAY_SLOT + timedelta(days=7))
    assert len(post_calls(slack_api, "C1")) == 1
    assert_ledger_agrees_with_slack(store, slack_api)


def test_another_slack_error_releases_the_slot_and_the_others_post(store, client, slack_api):
    (_, sub, _) = subscribe_all(store, ["C0", "C1", "C2"])
    slack_api.fail("chat.postMessage", error="restricted_action", when=to("C1"))
    report = run(store, client, MONDAY_SLOT)
    assert sorted(o.channel_id for o in report.posted) == ["C0", "C2"]
    assert [(o.channel_id, o.detail) for o in report.failed] == [("C1", "restricted_action")]
    assert store.deliveries(subscription_id=sub.id) == []
    assert store.workspace(WS).subscription("C1").receiving


def test_a_revoked_token_stops_the_run_and_leaves_every_slot_open(store, client, slack_api):
    subs = subscribe_all(store, [f"C{n}" for n in range(6)])
    slack_api.fail("chat.postMessage", error="token_revoked", times=100)
    report = run(store, client, MONDAY_SLOT, policy=replace(FAST, workers=1))
    assert report.posted == [] and len(report.failed) == 6
    assert len(slack_api.calls("chat.postMessage")) == 1  # no point trying the rest
    assert all(store.deliveries(subscription_id=s.id) == [] for s in subs)


# -- 200 channels, every fault at once -------------------------------------------------------------


def test_fan_out_to_200_channels_with_mixed_faults_posts_each_slot_once_or_reports_it(
    store, slack_api
):
    channels = [f"C{n:03d}" for n in range(200)]
    subscribe_all(store, channels)
    rng = random.Random(20260105)
    shuffled = rng.sample(channels, len(channels))
    # Five 429s: each holds the whole workspace for its Retry-After (1 s), one after another.
    rate_limited, flaky, slow = shuffled[15:20], shuffled[20:40], shuffled[40:44]
    gone = {
        "channel_not_found": shuffled[44:48],
        "is_archived": shuffled[48:52],
        "not_in_channel": shuffled[52:56],
    }
    for channel in rate_limited:
        slack_api.fail("chat.postMessage", status=429, retry_after=1, when=to(channel))
    for channel in flaky:
        slack_api.fail("chat.postMessage", status=502, retry_after=None, times=2, when=to(channel))
    for channel in slow:
        slack_api.fail("chat.postMessage", delay=0.8, when=to(channel))
    for code, group in gone.items():
        for channel in group:
            slack_api.fail("chat.postMessage", error=code, when=to(channel))
    slack_api.latency = 0.002

    client = WebClient(token="xoxb-t", base_url=slack_api.base_url, timeout=0.5, retry_handlers=[])
    policy = DeliveryPolicy(workers=8, backoff_seconds=0.6)
    report = run(store, client, MONDAY_SLOT, policy=policy)

    paused = {c for group in gone.values() for c in group}
    assert {o.channel_id for o in report.paused} == paused
    # the timed-out posts are in doubt until the lease passes; nothing else is left over
    assert {o.channel_id for o in report.failed} == set(slow) and report.taken == []
    posted = {o.channel_id for o in report.posted}
    assert posted == set(channels) - paused - set(slow)
    assert len(report.posted) == len(posted)  # no channel reported twice
    slack_api.wait_for(
        lambda c: c.method == "chat.postMessage" and c.params["channel"] in slow,
        count=len(slow),
        timeout=5,
    )
    after_lease = run(store, client, MONDAY_SLOT + policy.lease + timedelta(seconds=1))
    assert {o.channel_id for o in after_lease.reconciled} == set(slow)
    for channel in channels:
        assert len(weekly_posts(slack_api, channel)) == (0 if channel in paused else 1), channel
    assert_ledger_agrees_with_slack(store, slack_api)

    again = run(store, client, MONDAY_SLOT + policy.lease * 2, policy=policy)
    assert again.posted == [] and again.paused == []
    assert sum(len(weekly_posts(slack_api, c)) for c in channels) == 200 - len(paused)
