"""Fan-out: `python -m bot post-due` for 1,000 subscribed channels.

The stand-in Web API on 127.0.0.1 takes 50 ms over every call and answers 5%
of `chat.postMessage` calls with 429 and `Retry-After: 1` (at random, seeded).
The run is the real command line, against a fresh SQLite database (or a fresh
PostgreSQL database created on `--postgres SERVER_URL` and dropped after).
Reported: wall time, posts per second, duplicates and misses (from what the
stand-in received), the most calls in flight at once, and any post retried
before its Retry-After had passed.

    .venv/bin/python benchmarks/fanout.py [--channels 1000] [--postgres URL] [--smoke]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from datetime import time as clock_time

import common

from bot.core.delivery_rules import DEFAULT_POLICY
from bot.core.schedule import WeeklySchedule
from bot.store import DeliveryState, Workspace, open_store

WORKSPACE = Workspace(team_id="T1")  # the stand-in's one workspace

SUBSCRIBED_AT = datetime(2026, 1, 1, tzinfo=UTC)
SLOT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday
RUN_AT = SLOT.replace(second=30)
LATENCY = 0.05
RATE_LIMITED = 0.05
RETRY_AFTER = 1


@contextlib.contextmanager
def fresh_database(postgres_server: str | None) -> Iterator[str]:
    """A SQLAlchemy URL of an empty database, removed afterwards."""
    if postgres_server is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield common.sqlite_url(tmp)
        return
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(postgres_server.replace("postgres://", "postgresql://", 1))
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"pmtip_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def subscribe(database_url: str, channels: list[str]) -> None:
    store = open_store(database_url)
    schedule = WeeklySchedule(day=SLOT.weekday(), at=clock_time(9, 0), timezone="UTC")
    try:
        for channel in channels:
            store.workspace(WORKSPACE).subscribe(
                channel_id=channel,
                schedule=schedule,
                topics=(),
                subscribed_by="UBENCH",
                now=SUBSCRIBED_AT,
            )
    finally:
        store.close()


def posted_in_ledger(database_url: str) -> int:
    store = open_store(database_url, migrate_schema=False)
    try:
        return sum(
            1
            for sub in store.subscriptions(receiving_only=False)
            for row in store.deliveries(subscription_id=sub.id)
            if row.state is DeliveryState.POSTED
        )
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--postgres", metavar="SERVER_URL", help="run on a fresh PostgreSQL db")
    common.add_common_arguments(parser, smoke="60 channels, for CI")
    args = parser.parse_args(argv)
    count = 60 if args.smoke else args.channels
    channels = [f"C{n:05d}" for n in range(count)]

    with (
        fresh_database(args.postgres) as database_url,
        common.StandinSlackApi(
            latency=LATENCY, rate_limited=RATE_LIMITED, retry_after=RETRY_AFTER
        ) as api,
    ):
        subscribe(database_url, channels)
        env = common.bench_env(api.base_url, database_url=database_url)
        started = time.monotonic()
        server = common.start_process(
            [sys.executable, "-m", "bot", "post-due", "--at", RUN_AT.isoformat()], env=env
        )
        try:
            status = server.process.wait(timeout=600)
        finally:
            wall = time.monotonic() - started
            output = server.output()
            common.stop_process(server)
        if status != 0:
            print(output, file=sys.stderr)
            raise SystemExit(f"post-due exited with {status}")
        ledger = posted_in_ledger(database_url)

    per_channel = Counter(post.channel for post in api.posts)
    duplicates = sum(n - 1 for n in per_channel.values() if n > 1)
    misses = sum(1 for channel in channels if per_channel[channel] == 0)
    first = min(post.at for post in api.posts)
    last = max(post.at for post in api.posts)
    fan_out = last - started
    serial = count * LATENCY + api.throttled * (LATENCY + RETRY_AFTER)
    targets = {
        "0 duplicates": duplicates == 0,
        "0 misses": misses == 0,
        "Retry-After respected": api.early_retries == 0,
        f"at most {DEFAULT_POLICY.workers} calls in flight": api.max_in_flight
        <= DEFAULT_POLICY.workers,
    }
    results = {
        "channels": count,
        "wall_seconds": round(wall, 2),
        "first_post_after_seconds": round(first - started, 2),
        "last_post_after_seconds": round(fan_out, 2),
        "posts_per_second": round(len(api.posts) / (last - first), 1) if last > first else None,
        "posts": len(api.posts),
        "posted_in_ledger": ledger,
        "duplicates": duplicates,
        "misses": misses,
        "rate_limited_answers": api.throttled,
        "early_retries": api.early_retries,
        "max_calls_in_flight": api.max_in_flight,
        "api_calls": api.calls,
        "one_call_at_a_time_estimate_seconds": round(serial, 1),
    }

    print(
        f"Fan-out: post-due for {count} channels, {LATENCY * 1000:g} ms per call, "
        f"{RATE_LIMITED:.0%} of posts answered 429 Retry-After {RETRY_AFTER}"
    )
    common.print_table(
        ["channels", "wall s", "posts/s", "posts", "dupes", "misses", "429s", "max in flight"],
        [
            [
                count,
                results["wall_seconds"],
                results["posts_per_second"],
                len(api.posts),
                duplicates,
                misses,
                api.throttled,
                api.max_in_flight,
            ]
        ],
    )
    print(
        f"\n(wall includes process start-up; first post after {results['first_post_after_seconds']}"
        f" s; one call at a time would take about {serial:.0f} s)"
    )
    for target, ok in targets.items():
        print(f"  {target}: {common.verdict(ok)}")
    path = common.write_results(
        "fanout",
        {
            "mode": "smoke" if args.smoke else "full",
            "database": "postgresql" if args.postgres else "sqlite",
            "stand_in": {
                "latency_seconds": LATENCY,
                "rate_limited_fraction": RATE_LIMITED,
                "retry_after_seconds": RETRY_AFTER,
            },
            "delivery_workers": DEFAULT_POLICY.workers,
            "results": results,
            "targets": targets,
            "all_targets_met": all(targets.values()),
        },
        directory=args.results_dir,
    )
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
