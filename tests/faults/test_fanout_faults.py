"""A fan-out to 200 channels while Slack and the network misbehave all at once:
429 bursts, 5xx, channels that are gone, posts that land after the client gave
up, and, between pmtip and Slack, connections reset, swallowed, stalled until
the client times out, or cut after Slack acted. The clock keeps ticking
(instants passed in) until the ledger settles. Afterwards every due slot is
posted exactly once or reported, the ledger agrees with what the stand-in
received, no post came back before its Retry-After, and the connections open
at once stayed bounded.

tests/weekly/test_slack_faults.py covers each Slack fault alone; this is the
storm, plus the network."""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from datetime import timedelta

import pytest
from slack_sdk import WebClient

from bot.core.delivery_rules import DeliveryPolicy
from bot.store import open_store
from bot.weekly.post_due import post_due
from tests.faults.ledger import (
    LEASE_PASSED,
    Outcomes,
    assert_each_slot_posted_once_or_reported,
    instants_after,
    unsettled,
)
from tests.faults.proxy import Fate, TcpProxy
from tests.support.slack_api import FakeSlackApi
from tests.weekly.helpers import CATALOGUE, MONDAY_SLOT, subscribe_all

CHANNELS = [f"C{n:03d}" for n in range(200)]
WORKERS = 8
# Generous, so that only the stalls below time out, never a busy CI machine.
CLIENT_TIMEOUT = 2.0
POLICY = DeliveryPolicy(workers=WORKERS, backoff_seconds=0.2)
RETRY_AFTER = 1.0


def to(*channels: str):
    wanted = set(channels)
    return lambda params: params.get("channel") in wanted


def network_fates(seed: int, *, faulty_connections: int):
    """The fate of each new connection: the first `faulty_connections` are a storm
    (about one in six broken one way or another), then the network heals."""

    def decide(number: int) -> Fate:
        if number >= faulty_connections:
            return Fate.FORWARD
        roll = random.Random(seed * 1_000_003 + number).random()
        if roll < 0.05:
            return Fate.RESET
        if roll < 0.08:
            return Fate.SWALLOW
        if roll < 0.11:
            return Fate.STALL
        if roll < 0.16:
            return Fate.CUT_ANSWER
        return Fate.FORWARD

    return decide


def settle(
    store,
    client: WebClient,
    *,
    start=MONDAY_SLOT,
    runs: int = 8,
    outcomes: Outcomes | None = None,
    proxy: TcpProxy | None = None,
) -> Outcomes:
    """Tick until nothing is left claimed or failed (or `runs` ticks have passed).

    The instants jump minutes ahead while only milliseconds pass here, so before
    each tick the proxy is left to drain: a request Slack is still working on
    would, in real minutes, long have been answered.
    """
    outcomes = outcomes or Outcomes()
    for now in instants_after(start, runs=runs):
        if proxy is not None:
            proxy.wait_until_idle(timeout=10)
        report = post_due(
            store=store,
            client=client,
            catalogue=CATALOGUE,
            now=now,
            catchup_hours=12,
            policy=POLICY,
        )
        outcomes.add(report)
        if not report.failed and not unsettled(store) and now > start:
            break
    return outcomes


def assert_retry_after_respected(api: FakeSlackApi) -> int:
    """No channel's post came back sooner than the Retry-After of its last 429.
    Returns how many 429s there were."""
    by_channel = defaultdict(list)
    for call in api.calls("chat.postMessage"):
        by_channel[call.params.get("channel")].append(call)
    throttled = 0
    for channel, calls in by_channel.items():
        for earlier, later in itertools.pairwise(calls):
            if earlier.status == 429:
                throttled += 1
                waited = later.at - earlier.at
                assert waited >= RETRY_AFTER - 0.05, f"{channel} retried after {waited:.3f}s"
    return throttled


def test_a_storm_during_a_fan_out_to_200_channels_ends_with_each_slot_posted_once_or_reported(
    database_url, slack_api
):
    store = open_store(database_url)
    subscribe_all(store, CHANNELS)
    rng = random.Random(5)
    shuffled = rng.sample(CHANNELS, len(CHANNELS))
    gone, flaky, slow = set(shuffled[:5]), shuffled[5:25], shuffled[25:29]

    # Slack's own faults, on top of 10 ms per call.
    slack_api.latency = 0.01
    slack_api.fail("chat.postMessage", status=429, retry_after=RETRY_AFTER, times=40)  # a burst
    for channel in gone:  # gone for good: every post there is refused
        slack_api.fail("chat.postMessage", error="channel_not_found", when=to(channel), times=99)
    slack_api.fail("chat.postMessage", status=503, retry_after=None, when=to(*flaky), times=20)
    for channel in slow:  # each lands half a second after the client gave up on it
        slack_api.fail("chat.postMessage", delay=CLIENT_TIMEOUT + 0.5, when=to(channel))

    with TcpProxy(slack_api.port, decide=network_fates(5, faulty_connections=300)) as proxy:
        client = WebClient(
            token="xoxb-storm",
            base_url=f"http://{proxy.url_host}/api/",
            timeout=CLIENT_TIMEOUT,
            retry_handlers=[],
        )
        outcomes = settle(store, client, proxy=proxy)

    assert_each_slot_posted_once_or_reported(
        store, slack_api, outcomes, channels=CHANNELS, gone=gone
    )
    assert assert_retry_after_respected(slack_api) >= 40
    # One call at a time per worker, plus the slow posts, which stay open at the
    # proxy until the stand-in answers them after the client has gone.
    assert proxy.max_live <= WORKERS + len(slow)
    assert outcomes.runs <= 8
    store.close()


def test_slack_refusing_connections_for_a_while_delays_the_fan_out_but_loses_nothing(
    database_url, slack_api
):
    store = open_store(database_url)
    subscribe_all(store, CHANNELS[:40])
    proxy = TcpProxy(slack_api.port).start()
    port = proxy.port
    client = WebClient(
        token="xoxb-refused",
        base_url=f"http://127.0.0.1:{port}/api/",
        timeout=CLIENT_TIMEOUT,
        retry_handlers=[],
    )
    try:
        proxy.refuse()  # Slack unreachable: every connection refused
        down = post_due(
            store=store,
            client=client,
            catalogue=CATALOGUE,
            now=MONDAY_SLOT,
            catchup_hours=12,
            policy=POLICY,
        )
        assert down.posted == [] and len(down.failed) == 40
        assert slack_api.calls("chat.postMessage") == []

        # A refused connection sent nothing, so no slot is left in doubt: each is
        # open again for the next tick.
        assert unsettled(store) == []

        proxy.start()  # back, on the same port
        outcomes = settle(store, client, start=MONDAY_SLOT + timedelta(minutes=1))
        outcomes.add(down)
    finally:
        proxy.close()
    assert_each_slot_posted_once_or_reported(
        store, slack_api, outcomes, channels=CHANNELS[:40], gone=set()
    )
    store.close()


@pytest.mark.parametrize(
    "policy",
    [DeliveryPolicy(backoff_seconds=0.2), DeliveryPolicy(attempts=1)],
    ids=["three attempts", "one attempt"],
)
def test_a_post_that_lands_after_the_client_gave_up_is_posted_once(database_url, slack_api, policy):
    store = open_store(database_url)
    subscribe_all(store, ["C1"])
    # Slack takes 2 s over the first post; the client gives up after 0.5 s. A
    # look at the history soon after would not find it yet.
    slack_api.fail("chat.postMessage", delay=2.0, when=to("C1"))
    client = WebClient(
        token="xoxb-late", base_url=slack_api.base_url, timeout=0.5, retry_handlers=[]
    )
    outcomes = Outcomes()
    for now in (MONDAY_SLOT, MONDAY_SLOT + timedelta(minutes=1)):
        outcomes.add(
            post_due(
                store=store,
                client=client,
                catalogue=CATALOGUE,
                now=now,
                catchup_hours=12,
                policy=policy,
            )
        )
    slack_api.wait_for("chat.postMessage", timeout=5)  # recorded once it has landed
    settle(store, client, start=MONDAY_SLOT + LEASE_PASSED, runs=2, outcomes=outcomes)
    assert_each_slot_posted_once_or_reported(
        store, slack_api, outcomes, channels=["C1"], gone=set()
    )
    store.close()
