"""Fan-out for many workspaces: `python -m bot post-due` for 1,000 workspaces x 10
channels, with one clock process and then with two at once.

One deployment serving many workspaces (SLACK_CLIENT_ID/SECRET, no bot token), on
a fresh PostgreSQL database per run (several clocks need a real server). Each
workspace is installed (its own bot token) and has 10 subscribed channels. The
stand-in Web API on 127.0.0.1 takes 50 ms over every call and answers 5% of posts
429 with `Retry-After: 1`, which holds back that workspace: a call from it that
arrives during the hold is counted as an early retry (and refused again).

Reported per run: posts per second, duplicates and misses (from what the stand-in
received), 429s and early retries, the most calls in flight (over all and to one
workspace), the clocks' peak memory and the most database connections open.

    .venv/bin/python benchmarks/workspaces.py --postgres URL [--workspaces 1000]
        [--channels 10] [--smoke]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from datetime import time as clock_time
from typing import Any

import common
from fanout import LATENCY, RATE_LIMITED, RETRY_AFTER, RUN_AT, SLOT, SUBSCRIBED_AT, fresh_database

from bot.core.delivery_rules import DEFAULT_POLICY
from bot.core.schedule import WeeklySchedule
from bot.core.workspace import Workspace
from bot.settings import load_settings
from bot.wiring import build_parts

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "bench-client-secret"  # a stand-in's, not a secret
TARGET_POSTS_PER_SECOND = 200


def many_env(api_base_url: str, database_url: str) -> dict[str, str]:
    env = common.bench_env(api_base_url, database_url=database_url)
    env.update(SLACK_BOT_TOKEN="", SLACK_CLIENT_ID=CLIENT_ID, SLACK_CLIENT_SECRET=CLIENT_SECRET)
    return env


def install_and_subscribe(env: dict[str, str], teams: list[str], channels: int) -> None:
    """Every workspace installed, with `channels` subscribed channels, through pmtip's
    own store and slack_sdk's installation store (as an install and /pmtip would)."""
    parts = build_parts(load_settings(env, mode="http"))
    if parts.installs is None:
        raise SystemExit("the settings did not switch on many-workspace mode")
    installs, store = parts.installs, parts.store
    schedule = WeeklySchedule(day=SLOT.weekday(), at=clock_time(9, 0), timezone="UTC")

    def one(team: str) -> None:
        installs.store.save(common.bench_installation(team))
        view = store.workspace(Workspace(team))
        for n in range(channels):
            view.subscribe(
                channel_id=f"C{n:03d}",  # the same ids in every workspace, on purpose
                schedule=schedule,
                topics=(),
                subscribed_by="UBENCH",
                now=SUBSCRIBED_AT,
            )

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(one, teams))
    finally:
        store.close()


class Sampler:
    """Samples the clocks' resident memory and the database's open connections."""

    def __init__(self, pids: list[int], database_url: str) -> None:
        self.pids = pids
        self.database_url = database_url
        self.peak_rss_mb: dict[int, float] = {pid: 0.0 for pid in pids}
        self.peak_connections = 0
        self.cpu_seconds: dict[int, float] = {pid: 0.0 for pid in pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        import psycopg
        from sqlalchemy.engine import make_url

        url = make_url(self.database_url)
        name = url.database
        admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True) as connection:
            while not self._stop.wait(0.2):
                row = connection.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                    "pg_backend_pid()",
                    (name,),
                ).fetchone()
                self.peak_connections = max(self.peak_connections, int(row[0]) if row else 0)
                for pid in self.pids:
                    self.peak_rss_mb[pid] = max(self.peak_rss_mb[pid], _rss_mb(pid))
                    self.cpu_seconds[pid] = max(self.cpu_seconds[pid], _cpu_seconds(pid))


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_run(postgres: str, *, teams: list[str], channels: int, clocks: int) -> dict[str, Any]:
    api = common.StandinSlackApi(
        latency=LATENCY,
        rate_limited=RATE_LIMITED,
        retry_after=RETRY_AFTER,
        teams={f"xoxb-{team}": team for team in teams},
    )
    with fresh_database(postgres) as database_url, api:
        env = many_env(api.base_url, database_url)
        started = time.monotonic()
        install_and_subscribe(env, teams, channels)
        setup_seconds = time.monotonic() - started
        started = time.monotonic()
        argv = [sys.executable, "-m", "bot", "post-due", "--at", RUN_AT.isoformat()]
        processes = [common.start_process(argv, env=env) for _ in range(clocks)]
        try:
            with Sampler([p.process.pid for p in processes], database_url) as sampler:
                statuses = [p.process.wait(timeout=900) for p in processes]
        finally:
            outputs = [p.output() for p in processes]
            for p in processes:
                common.stop_process(p)
        if any(status not in (0,) for status in statuses):
            for output in outputs:
                print(output[-3000:], file=sys.stderr)
            raise SystemExit(f"post-due exited with {statuses}")
    expected = {(team, f"C{n:03d}") for team in teams for n in range(channels)}
    received = Counter((post.team, post.channel) for post in api.posts)
    first = min(post.at for post in api.posts)
    last = max(post.at for post in api.posts)
    return {
        "clocks": clocks,
        "workspaces": len(teams),
        "channels": len(expected),
        "setup_seconds": round(setup_seconds, 1),
        "posts": len(api.posts),
        "posts_per_second": round(len(api.posts) / (last - first), 1) if last > first else None,
        "last_post_after_seconds": round(last - started, 2),
        "duplicates": sum(n - 1 for n in received.values() if n > 1),
        "misses": len(expected - set(received)),
        "rate_limited_answers": api.throttled,
        "early_retries": api.early_retries,
        "max_calls_in_flight": api.max_in_flight,
        "max_calls_in_flight_one_workspace": api.max_team_in_flight,
        "peak_rss_mb_per_clock": [round(v, 1) for v in sampler.peak_rss_mb.values()],
        "peak_database_connections": sampler.peak_connections,
        # CPU the clocks used per post (sampled every 0.2 s, so slightly under):
        # on a machine of 2 cores shared with the stand-in and PostgreSQL, this is
        # what bounds the rate, not Slack's 50 ms.
        "clock_cpu_ms_per_post": round(
            sum(sampler.cpu_seconds.values()) * 1000 / max(1, len(api.posts)), 2
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=10, help="per workspace")
    parser.add_argument(
        "--postgres",
        metavar="SERVER_URL",
        default=os.environ.get("TEST_DATABASE_URL"),
        help="a PostgreSQL server to create the run's databases on (default TEST_DATABASE_URL)",
    )
    common.add_common_arguments(parser, smoke="20 workspaces x 3 channels, for CI")
    args = parser.parse_args(argv)
    if not args.postgres:
        print("workspaces.py needs PostgreSQL: pass --postgres URL or set TEST_DATABASE_URL")
        return 2
    workspaces, channels = (20, 3) if args.smoke else (args.workspaces, args.channels)
    teams = [f"T{n:06d}" for n in range(workspaces)]
    runs = [
        one_run(args.postgres, teams=teams, channels=channels, clocks=clocks) for clocks in (1, 2)
    ]
    one, two = runs
    targets = {
        "0 duplicates": all(r["duplicates"] == 0 for r in runs),
        "0 misses": all(r["misses"] == 0 for r in runs),
        "Retry-After respected per workspace": all(r["early_retries"] == 0 for r in runs),
        f"at most {DEFAULT_POLICY.per_workspace} calls in flight to one workspace per clock": all(
            r["max_calls_in_flight_one_workspace"] <= DEFAULT_POLICY.per_workspace * r["clocks"]
            for r in runs
        ),
    }
    if not args.smoke:
        targets[f">= {TARGET_POSTS_PER_SECOND} posts/s with one clock"] = (
            one["posts_per_second"] or 0
        ) >= TARGET_POSTS_PER_SECOND
        targets["more with two clocks"] = (two["posts_per_second"] or 0) > (
            one["posts_per_second"] or 0
        )
    print(
        f"Fan-out for {workspaces} workspaces x {channels} channels: post-due, "
        f"{LATENCY * 1000:g} ms per call, {RATE_LIMITED:.0%} of posts answered 429 "
        f"Retry-After {RETRY_AFTER} (for that workspace), PostgreSQL"
    )
    common.print_table(
        [
            "clocks",
            "posts",
            "posts/s",
            "dupes",
            "misses",
            "429s",
            "early",
            "in flight",
            "to one ws",
            "peak MB/clock",
            "db conns",
            "CPU ms/post",
        ],
        [
            [
                r["clocks"],
                r["posts"],
                r["posts_per_second"],
                r["duplicates"],
                r["misses"],
                r["rate_limited_answers"],
                r["early_retries"],
                r["max_calls_in_flight"],
                r["max_calls_in_flight_one_workspace"],
                "/".join(f"{v:g}" for v in r["peak_rss_mb_per_clock"]),
                r["peak_database_connections"],
                r["clock_cpu_ms_per_post"],
            ]
            for r in runs
        ],
    )
    for target, ok in targets.items():
        print(f"  {target}: {common.verdict(ok)}")
    path = common.write_results(
        "workspaces",
        {
            "mode": "smoke" if args.smoke else "full",
            "stand_in": {
                "latency_seconds": LATENCY,
                "rate_limited_fraction": RATE_LIMITED,
                "retry_after_seconds": RETRY_AFTER,
            },
            "policy": {
                "workers": DEFAULT_POLICY.workers,
                "per_workspace": DEFAULT_POLICY.per_workspace,
            },
            "run_at": RUN_AT.astimezone(UTC).isoformat(),
            "measured_at": datetime.now(UTC).isoformat(),
            "runs": runs,
            "targets": targets,
            "all_targets_met": all(targets.values()),
        },
        directory=args.results_dir,
    )
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
