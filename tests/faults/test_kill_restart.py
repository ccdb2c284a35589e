"""The delivering process killed with SIGKILL in the middle of a fan-out to 200
channels, then started again: `post-due` (as cron or an operator runs it) and
the `clock` process (as the Procfile runs it, including the moment a restart
overlaps the old dyno). Afterwards every due slot is posted exactly once, and
the ledger agrees with what the stand-in Slack API received."""

from __future__ import annotations

import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bot.store import DeliveryState, open_store
from tests.faults.ledger import LEASE_PASSED, unsettled
from tests.faults.processes import bot_env, due_a_few_minutes_ago, start_bot, wait_until
from tests.support.slack_api import FakeSlackApi
from tests.weekly.helpers import MONDAY_SLOT, subscribe_all, weekly_posts

CHANNELS = [f"C{n:03d}" for n in range(200)]


def posted_count(api: FakeSlackApi) -> int:
    return sum(len(weekly_posts(api, channel)) for channel in CHANNELS)


def ledger_states(store) -> dict[DeliveryState, int]:
    counts: dict[DeliveryState, int] = {}
    for sub in store.subscriptions(receiving_only=False):
        for row in store.deliveries(subscription_id=sub.id):
            counts[row.state] = counts.get(row.state, 0) + 1
    return counts


def assert_exactly_once(store, api: FakeSlackApi) -> None:
    for channel in CHANNELS:
        assert len(weekly_posts(api, channel)) == 1, channel
    assert unsettled(store) == []
    for sub in store.subscriptions(receiving_only=False):
        rows = store.deliveries(subscription_id=sub.id)
        in_ledger = {(r.slot_key, r.message_ts) for r in rows if r.state is DeliveryState.POSTED}
        in_slack = {
            (m["metadata"]["event_payload"]["slot"], m["ts"])
            for m in weekly_posts(api, sub.channel_id)
        }
        assert in_ledger == in_slack, f"{sub.channel_id}: ledger {rows}, Slack {in_slack}"


def run_post_due(env: dict[str, str], cwd: Path, at: datetime) -> str:
    with tempfile.TemporaryFile() as log:
        process = start_bot(["post-due", "--at", at.isoformat()], env, cwd=cwd, log=log)
        assert process.finish() == 0, process.output()
        return process.output()


def test_post_due_killed_mid_fan_out_and_run_again_posts_each_slot_once(
    database_url, slack_api, tmp_path
):
    store = open_store(database_url)
    subscribe_all(store, CHANNELS)
    slack_api.latency = 0.05  # 200 posts over 8 workers: well over a second
    env = bot_env(slack_api.base_url, database_url)

    with tempfile.TemporaryFile() as log:
        first = start_bot(["post-due", "--at", MONDAY_SLOT.isoformat()], env, cwd=tmp_path, log=log)
        try:
            wait_until(lambda: posted_count(slack_api) >= 60, timeout=60, what="60 posts")
            first.kill()  # with posts in flight: claimed, some already at Slack
        finally:
            first.close()
    orphans = ledger_states(store).get(DeliveryState.CLAIMED, 0)
    assert orphans > 0  # the kill left claims whose outcome nobody recorded
    assert posted_count(slack_api) < len(CHANNELS)

    # Started again for the same instant: what nobody claimed is posted; the
    # orphans are within their lease and left alone.
    again = run_post_due(env, tmp_path, MONDAY_SLOT)
    states = ledger_states(store)
    assert states.get(DeliveryState.CLAIMED, 0) == orphans
    assert states.get(DeliveryState.POSTED, 0) == len(CHANNELS) - orphans
    # A tick after the lease settles each orphan: found in the channel, or posted.
    later = run_post_due(env, tmp_path, MONDAY_SLOT + LEASE_PASSED)
    assert "Traceback" not in again + later
    # Each orphan was either found in the channel (Slack had it before the kill
    # landed) or posted now; none was skipped or left over.
    found = re.search(r"post-due at .*: posted (\d+), already posted (\d+)", later)
    assert found and int(found[1]) + int(found[2]) == orphans, later

    assert_exactly_once(store, slack_api)
    store.close()


def test_the_clock_killed_mid_fan_out_while_its_replacement_starts_posts_each_slot_once(
    database_url, slack_api, tmp_path
):
    """Heroku's restart: the new clock dyno starts while the old one still runs,
    then the old one is killed. Two schedulers overlap; neither doubles a post."""
    store = open_store(database_url)
    schedule, subscribed = due_a_few_minutes_ago()
    subscribe_all(store, CHANNELS, schedule=schedule, now=subscribed)
    slack_api.latency = 0.05
    env = bot_env(slack_api.base_url, database_url, TICK_SECONDS="1")

    with tempfile.TemporaryFile() as old_log, tempfile.TemporaryFile() as new_log:
        old = start_bot(["clock"], env, cwd=tmp_path, log=old_log)
        new = None
        try:
            wait_until(lambda: posted_count(slack_api) >= 40, timeout=60, what="40 posts")
            new = start_bot(["clock"], env, cwd=tmp_path, log=new_log)
            wait_until(lambda: posted_count(slack_api) >= 80, timeout=60, what="80 posts")
            old.kill()
            # The new clock posts what is left unclaimed; the old one's orphans
            # wait out their lease.
            wait_until(
                lambda: (
                    ledger_states(store).get(DeliveryState.POSTED, 0)
                    + ledger_states(store).get(DeliveryState.CLAIMED, 0)
                    == len(CHANNELS)
                ),
                timeout=60,
                what="every slot posted or claimed",
            )
            assert new.terminate() == 0, new.output()
            new_output = new.output()
        finally:
            old.close()
            if new is not None:
                new.close()
    assert "Traceback" not in new_output

    later = run_post_due(env, tmp_path, datetime.now(UTC) + LEASE_PASSED)
    assert "Traceback" not in later
    assert_exactly_once(store, slack_api)
    store.close()
