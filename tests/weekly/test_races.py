"""Two schedulers by mistake: racing post-due runs, as threads and as real
`python -m bot post-due` processes, on one SQLite file and one PostgreSQL database.
Each slot is posted once. And a real process killed while Slack is answering."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from slack_sdk import WebClient

from bot.store import DeliveryState, open_store
from bot.weekly.report import DeliveryReport
from tests.support.app_server import TIPS_PATH
from tests.weekly.helpers import (
    MONDAY_SLOT,
    assert_ledger_agrees_with_slack,
    run,
    subscribe_all,
    weekly_posts,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
CHANNELS = [f"C{n:02d}" for n in range(30)]


def bot_env(slack_api, database_url: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TZ")}
    return keep | {
        "SLACK_BOT_TOKEN": "xoxb-race-test",
        "SLACK_API_BASE_URL": slack_api.base_url,
        "DATABASE_URL": database_url,
        "TIPS_PATH": str(TIPS_PATH),
        "PYTHONPATH": str(REPO_ROOT),
        "LOG_LEVEL": "WARNING",
    }


def post_due_process(env: dict[str, str], cwd: Path, at: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "post-due", "--at", at],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_threads_racing_post_each_slot_once(store, client, slack_api):
    subscribe_all(store, CHANNELS)
    slack_api.latency = 0.003  # widen the window between claim and post
    barrier = threading.Barrier(2)
    reports: list[DeliveryReport] = []

    def scheduler() -> None:
        barrier.wait()
        reports.append(run(store, client, MONDAY_SLOT))

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(len(r.posted) for r in reports) == len(CHANNELS)
    assert sum(len(r.posted) + len(r.taken) for r in reports) >= len(CHANNELS)
    for channel in CHANNELS:
        assert len(weekly_posts(slack_api, channel)) == 1, channel
    assert_ledger_agrees_with_slack(store, slack_api)


def test_two_post_due_processes_racing_on_one_database_post_each_slot_once(
    database_url, slack_api, tmp_path
):
    store = open_store(database_url)  # migrated and subscribed before the race
    subscribe_all(store, CHANNELS)
    slack_api.latency = 0.003
    env = bot_env(slack_api, database_url)
    at = MONDAY_SLOT.isoformat()

    processes = [post_due_process(env, tmp_path, at) for _ in range(2)]
    outputs = [process.communicate(timeout=60) for process in processes]

    assert [p.returncode for p in processes] == [0, 0], outputs
    assert all("Traceback" not in err for _, err in outputs), outputs
    posted_lines = [
        line for out, _ in outputs for line in out.splitlines() if line.startswith("posted:")
    ]
    assert len(posted_lines) == len(CHANNELS)
    for channel in CHANNELS:
        assert len(weekly_posts(slack_api, channel)) == 1, channel
    assert_ledger_agrees_with_slack(store, slack_api)

    # and a third run for the same instant posts nothing
    third = post_due_process(env, tmp_path, at)
    out, err = third.communicate(timeout=60)
    assert third.returncode == 0, err
    assert "posted 0," in out
    store.close()


def test_a_process_killed_while_slack_is_answering_is_settled_by_the_next_run(
    database_url, slack_api, tmp_path
):
    """The real crash: the post reaches Slack, the process dies before recording it."""
    store = open_store(database_url)
    (sub,) = subscribe_all(store, ["C0"])
    slack_api.fail("chat.postMessage", delay=3)  # Slack answers slowly; the post lands
    process = post_due_process(bot_env(slack_api, database_url), tmp_path, MONDAY_SLOT.isoformat())
    deadline = time.monotonic() + 20
    while not store.deliveries(subscription_id=sub.id):
        assert time.monotonic() < deadline, "the process never claimed the slot"
        time.sleep(0.02)
    time.sleep(0.5)  # it is now waiting for Slack's (3 s) answer, claim in hand
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    (orphan,) = store.deliveries(subscription_id=sub.id)
    assert orphan.state is DeliveryState.CLAIMED

    deadline = time.monotonic() + 10
    while not weekly_posts(slack_api, "C0"):  # Slack finishes the post the dead process sent
        assert time.monotonic() < deadline
        time.sleep(0.05)

    client = WebClient(token="xoxb-t", base_url=slack_api.base_url, timeout=2, retry_handlers=[])
    report = run(store, client, MONDAY_SLOT + timedelta(minutes=11))
    assert len(report.reconciled) == 1 and report.posted == []
    assert len(weekly_posts(slack_api, "C0")) == 1
    assert_ledger_agrees_with_slack(store, slack_api)
    store.close()
