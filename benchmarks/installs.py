"""A `/pmtip` lookup when one deployment serves many workspaces: does it cost more with
1,000 installed workspaces than with one?

Three apps, in process, take turns request by request (as in dispatch.py): the bare
Bolt app (one token), pmtip serving many workspaces with 1 installation, and pmtip
with 1,000 installations, each request from one of its installed workspaces at
random. Each pmtip app has its own fresh SQLite database holding the installations
(slack_sdk's store, pmtip's tables). Bolt finds the request's installation through
pmtip's bounded cache; the first request from each workspace reads the database,
and that cold cost is reported on its own.

    .venv/bin/python benchmarks/installs.py [--requests N] [--workspaces 1000] [--smoke]
"""

from __future__ import annotations

import argparse
import logging
import random
import tempfile
import time
from pathlib import Path

import common
from bare_app import build_bare_app
from dispatch import timed_dispatch
from slack_bolt import App

from bot.settings import load_settings
from bot.wiring import build_app, build_parts

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "bench-client-secret"  # not a secret: a stand-in's
TARGET_RATIO = 1.2  # 1,000 installs against one: the median may differ by noise only


def many_workspace_app(
    api_base_url: str, directory: Path, teams: list[str]
) -> tuple[App, list[float]]:
    """pmtip serving many workspaces with `teams` installed; and the seconds that
    each installation took to save (for information)."""
    env = common.bench_env(api_base_url, database_url=common.sqlite_url(directory))
    env.update(SLACK_BOT_TOKEN="", SLACK_CLIENT_ID=CLIENT_ID, SLACK_CLIENT_SECRET=CLIENT_SECRET)
    parts = build_parts(load_settings(env, mode="http"))
    if parts.installs is None:
        raise SystemExit("the settings did not switch on many-workspace mode")
    saves = []
    for team in teams:
        started = time.perf_counter()
        parts.installs.store.save(common.bench_installation(team))
        saves.append(time.perf_counter() - started)
    return build_app(parts), saves


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000, help="samples per app")
    parser.add_argument("--workspaces", type=int, default=1000)
    common.add_common_arguments(parser, smoke="100 workspaces, a few hundred samples, for CI")
    args = parser.parse_args(argv)
    rounds = 300 if args.smoke else args.requests
    count = 100 if args.smoke else args.workspaces
    logging.basicConfig(level=logging.WARNING)
    rng = random.Random(7)
    many = [f"T{n:06d}" for n in range(count)]

    with common.StandinSlackApi() as api, tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "one").mkdir()
        (Path(tmp) / "many").mkdir()
        one_token = common.bench_env(api.base_url, database_url=common.sqlite_url(tmp))
        bare = build_bare_app(load_settings(one_token, mode="http"))
        one_app, _ = many_workspace_app(api.base_url, Path(tmp) / "one", ["T000000"])
        many_app, saves = many_workspace_app(api.base_url, Path(tmp) / "many", many)

        def body(team: str) -> bytes:
            return common.slash_command_body("ai-failure", team_id=team)

        # Cold: the first request from each workspace (a database read, then cached).
        cold = [timed_dispatch(many_app, body(team)) for team in many]
        samples: dict[str, list[float]] = {"bare Bolt": [], "1 install": [], "many": []}
        for round_number in range(rounds + 50):
            team = rng.choice(many)
            cases = [
                ("bare Bolt", bare, body("T000000")),
                ("1 install", one_app, body("T000000")),
                ("many", many_app, body(team)),
            ]
            if round_number % 2:
                cases.reverse()
            for name, app, payload in cases:
                elapsed = timed_dispatch(app, payload)
                if round_number >= 50:
                    samples[name].append(elapsed)

    summaries = {name: common.latency_summary(values) for name, values in samples.items()}
    cold_summary = common.latency_summary(cold)
    ratio = summaries["many"]["median_ms"] / summaries["1 install"]["median_ms"]
    print(f"A /pmtip lookup, many-workspace mode: 1 install against {count} installs")
    rows = [
        [name, len(samples[name]), s["median_ms"], s["p99_ms"], s["max_ms"]]
        for name, s in summaries.items()
    ]
    rows[2][0] = f"{count} installs (warm)"
    rows.append(
        [
            f"{count} installs, first request each",
            len(cold),
            cold_summary["median_ms"],
            cold_summary["p99_ms"],
            cold_summary["max_ms"],
        ]
    )
    common.print_table(["app", "samples", "median ms", "p99 ms", "max ms"], rows)
    met = ratio <= TARGET_RATIO
    print(f"\nmedian with {count} installs / with 1: {ratio:.2f} (target <= {TARGET_RATIO})")
    print(f"  costs no more with {count} installs: {common.verdict(met)}")
    path = common.write_results(
        "installs",
        {
            "mode": "smoke" if args.smoke else "full",
            "workspaces": count,
            "latency": summaries,
            "first_request_per_workspace": cold_summary,
            "install_save_seconds": common.latency_summary(saves),
            "ratio_many_to_one": round(ratio, 3),
            "target_ratio": TARGET_RATIO,
            "all_targets_met": met,
        },
        directory=args.results_dir,
    )
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
