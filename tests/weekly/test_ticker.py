"""The metronome and the command line: APScheduler ticks call post_due, the clock
process stops cleanly on SIGTERM, and `post-due` reports and fails clearly."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.catalogue.source import CatalogueSource
from bot.core.schedule import EARLIEST_INSTANT, LATEST_INSTANT, WeeklySchedule
from bot.store import StoreUnavailable, open_store
from bot.weekly.ticker import WeeklyTicker, start_background, stop
from tests.support.app_server import TIPS_PATH
from tests.support.workspaces import WS
from tests.weekly.helpers import FAST, MONDAY_SLOT, subscribe_all, weekly_posts
from tests.weekly.test_races import bot_env

ONE_AT_A_TIME = replace(FAST, workers=1)


def due_a_few_minutes_ago() -> tuple[WeeklySchedule, datetime]:
    """A schedule whose latest slot was five minutes ago, in UTC, and a subscription time."""
    slot = (datetime.now(UTC) - timedelta(minutes=5)).replace(second=0, microsecond=0)
    schedule = WeeklySchedule(day=slot.weekday(), at=slot.time(), timezone="UTC")
    return schedule, slot - timedelta(hours=1)


def loaded_catalogue() -> CatalogueSource:
    source = CatalogueSource(TIPS_PATH)
    assert source.reload().ok
    return source


def test_a_tick_posts_what_is_due_at_the_clocks_now(store, client, slack_api):
    subscribe_all(store, ["C1"])
    ticker = WeeklyTicker(
        store=store,
        client=client,
        catalogue=loaded_catalogue(),
        catchup_hours=12,
        now=lambda: MONDAY_SLOT,
    )
    assert len(ticker.tick().posted) == 1
    assert ticker.tick().posted == []


def test_a_tick_that_fails_is_logged_and_the_next_tick_still_runs(client, slack_api, caplog):
    class BrokenStore:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise StoreUnavailable("database error: connection refused")

            return fail

    ticker = WeeklyTicker(
        store=BrokenStore(),
        client=client,
        catalogue=loaded_catalogue(),
        catchup_hours=12,
        now=lambda: MONDAY_SLOT,
    )
    assert ticker.tick() is None
    assert ticker.tick() is None
    assert sum("connection refused" in r.getMessage() for r in caplog.records) == 2


def test_the_background_scheduler_ticks_at_once_and_stops_cleanly(store, client, slack_api):
    schedule, subscribed = due_a_few_minutes_ago()
    subscribe_all(store, ["C1"], schedule=schedule, now=subscribed)
    ticker = WeeklyTicker(
        store=store, client=client, catalogue=loaded_catalogue(), catchup_hours=12
    )
    scheduler = start_background(ticker, tick_seconds=1)
    try:
        slack_api.wait_for("chat.postMessage", timeout=10)
        time.sleep(2.5)  # more ticks come and find nothing new
    finally:
        stop(scheduler, ticker)
    assert not scheduler.running and ticker.cancel.is_set()
    assert len(weekly_posts(slack_api, "C1")) == 1
    assert ticker.tick() is None  # a stopped ticker posts nothing


def test_a_cancelled_run_releases_what_it_did_not_post(store, client, slack_api):
    subscribe_all(store, [f"C{n}" for n in range(5)])
    ticker = WeeklyTicker(
        store=store,
        client=client,
        catalogue=loaded_catalogue(),
        catchup_hours=12,
        now=lambda: MONDAY_SLOT,
        policy=ONE_AT_A_TIME,
    )
    slack_api.fail("chat.postMessage", delay=0.5)  # the first post is slow...
    runner = threading.Thread(target=ticker.tick)
    runner.start()
    deadline = time.monotonic() + 5
    while not any(store.deliveries(subscription_id=s.id) for s in store.subscriptions()):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    ticker.cancel.set()  # ...and SIGTERM arrives meanwhile
    runner.join(timeout=10)
    posted = sum(len(weekly_posts(slack_api, f"C{n}")) for n in range(5))
    claimed = [d for s in store.subscriptions() for d in store.deliveries(subscription_id=s.id)]
    assert posted == 1
    assert len(claimed) == posted  # nothing left claimed: released or posted


def test_the_clock_process_posts_and_stops_cleanly_on_sigterm(database_url, slack_api, tmp_path):
    store = open_store(database_url)
    schedule, subscribed = due_a_few_minutes_ago()
    subscribe_all(store, ["C1"], schedule=schedule, now=subscribed)
    env = bot_env(slack_api, database_url) | {"TICK_SECONDS": "1", "LOG_LEVEL": "INFO"}
    clock = subprocess.Popen(
        [sys.executable, "-m", "bot", "clock"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        slack_api.wait_for("chat.postMessage", timeout=20)
        time.sleep(2)
        clock.send_signal(signal.SIGTERM)
        out, err = clock.communicate(timeout=15)
    finally:
        if clock.poll() is None:
            clock.kill()
    assert clock.returncode == 0, err
    assert "Traceback" not in err
    assert "scheduler stopped" in err
    assert "xoxb-race-test" not in out + err  # the token never reaches the log
    assert len(weekly_posts(slack_api, "C1")) == 1
    store.close()


# -- `python -m bot post-due` ---------------------------------------------------------------


def post_due(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "post-due", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_post_due_prints_what_it_posted_and_skipped(database_url, slack_api, tmp_path):
    store = open_store(database_url)
    subscribe_all(store, ["C1", "C2"])
    store.pause(
        subscription_id=store.workspace(WS).subscription("C2").id,
        reason="is_archived",
        now=MONDAY_SLOT,
    )
    env = bot_env(slack_api, database_url)
    done = post_due(env, tmp_path, "--at", "2026-01-05T09:30:00-05:00")
    assert done.returncode == 0, done.stderr
    assert "posted: C1 2026-W02" in done.stdout
    assert "posted 1," in done.stdout
    late = post_due(env, tmp_path, "--at", "2026-01-13T09:00:00Z")  # Tuesday of the next week
    assert late.returncode == 0
    assert "skipped: C1 2026-W03" in late.stdout and "CATCHUP_HOURS" in late.stdout
    store.close()


def test_post_due_with_a_bad_instant_says_what_it_wants_and_exits_2(slack_api, tmp_path):
    env = bot_env(slack_api, f"sqlite:///{tmp_path}/x.sqlite3")
    done = post_due(env, tmp_path, "--at", "next monday")
    assert done.returncode == 2
    assert "ISO-8601" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "x.sqlite3").exists()  # refused before touching anything


@pytest.mark.parametrize("edge", [EARLIEST_INSTANT, LATEST_INSTANT.replace(second=0)])
def test_post_due_works_at_the_first_and_last_instant_it_accepts(
    edge, database_url, slack_api, tmp_path
):
    store = open_store(database_url)
    schedule = WeeklySchedule(day=edge.weekday(), at=edge.time(), timezone="UTC")
    store.workspace(WS).subscribe(
        channel_id="C1",
        schedule=schedule,
        topics=(),
        subscribed_by="U1",
        now=edge - timedelta(days=1),
    )
    store.close()
    done = post_due(bot_env(slack_api, database_url), tmp_path, "--at", edge.isoformat())
    assert done.returncode == 0, done.stderr
    assert "posted 1," in done.stdout and "Traceback" not in done.stderr


def test_post_due_with_the_database_unreachable_exits_2_with_one_clear_line(slack_api, tmp_path):
    env = bot_env(slack_api, "postgres://pmtip:hunter2@127.0.0.1:9/pmtip")
    done = post_due(env, tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "cannot use the database at postgresql+psycopg://pmtip:***@127.0.0.1:9" in done.stderr
    assert "hunter2" not in done.stderr
    assert slack_api.calls("chat.postMessage") == []


def test_post_due_without_database_url_uses_the_sqlite_file_under_data(slack_api, tmp_path):
    env = bot_env(slack_api, "")
    done = post_due(env, tmp_path, "--at", "2026-01-05T14:00:00Z")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "data" / "pmtip.sqlite3").exists()
