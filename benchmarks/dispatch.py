"""Slash-command dispatch in process: pmtip's Bolt app against a bare Bolt app.

Both apps get the same client (aimed at a stand-in Web API on 127.0.0.1, which
answers the `auth.test` Bolt makes at construction), the same signing secret and
`process_before_response=True`. Each sample builds a BoltRequest from a signed
raw body, as the WSGI adapter does, and times `app.dispatch`. The apps take
turns, request by request, so both see the same machine at the same moment.

For information it also times `process_before_response=False`, Bolt's default,
where the listener runs on a thread pool and Bolt polls for the ack.

    .venv/bin/python benchmarks/dispatch.py [--requests N] [--smoke]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time

import common
from bare_app import build_bare_app
from slack_bolt import App, BoltRequest

from bot.settings import Settings, load_settings
from bot.slack import routes
from bot.wiring import build_app, build_parts, listeners

TARGET_MEDIAN_RATIO = 1.5


def pmtip_app_without_inline_processing(settings: Settings) -> App:
    """pmtip's listeners on an app with Bolt's default `process_before_response=False`."""
    parts = build_parts(settings)
    app = App(
        client=parts.client,
        signing_secret=settings.signing_secret.reveal(),
        process_before_response=False,
        logger=logging.getLogger("bench.pmtip-threaded"),
    )
    routes.register(app, listeners(parts))
    return app


def timed_dispatch(app: App, body: bytes) -> float:
    """Seconds from raw signed body to Bolt's response; fails loudly on a non-200."""
    headers = common.signed_headers(body)
    started = time.perf_counter()
    response = app.dispatch(BoltRequest(body=body.decode(), headers=headers))
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise RuntimeError(f"dispatch answered {response.status}: {response.body[:200]}")
    return elapsed


def alternate(
    apps: dict[str, App], bodies: dict[str, bytes], *, rounds: int, warmup: int
) -> dict[tuple[str, str], list[float]]:
    """Samples per (app, case): each round sends every case to every app in turn."""
    samples: dict[tuple[str, str], list[float]] = {(a, c): [] for a in apps for c in bodies}
    for round_number in range(warmup + rounds):
        # Swap who goes first each round so neither app always runs on a warm cache.
        order = list(apps.items()) if round_number % 2 == 0 else list(reversed(apps.items()))
        for case, body in bodies.items():
            for name, app in order:
                elapsed = timed_dispatch(app, body)
                if round_number >= warmup:
                    samples[(name, case)].append(elapsed)
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000, help="samples per app and case")
    common.add_common_arguments(parser, smoke="a few hundred samples, for CI")
    args = parser.parse_args(argv)
    rounds = 200 if args.smoke else args.requests
    threaded_rounds = 20 if args.smoke else min(300, args.requests)
    logging.basicConfig(level=logging.WARNING)

    bodies = {case: common.slash_command_body(text) for case, text in common.COMMAND_CASES.items()}
    with common.StandinSlackApi() as api, tempfile.TemporaryDirectory() as tmp:
        env = common.bench_env(api.base_url, database_url=common.sqlite_url(tmp))
        settings = load_settings(env, mode="http")
        apps = {"pmtip": build_app(build_parts(settings)), "bare": build_bare_app(settings)}
        samples = alternate(apps, bodies, rounds=rounds, warmup=min(200, rounds))
        threaded = {
            "pmtip": pmtip_app_without_inline_processing(settings),
            "bare": build_bare_app(settings, process_before_response=False),
        }
        threaded_samples = alternate(
            threaded, {"topic": bodies["topic"]}, rounds=threaded_rounds, warmup=5
        )

    results: dict[str, dict] = {}
    rows = []
    for case in bodies:
        ours = common.latency_summary(samples[("pmtip", case)])
        bare = common.latency_summary(samples[("bare", case)])
        ratio = ours["median_ms"] / bare["median_ms"]
        results[case] = {
            "command": f"/pmtip {common.COMMAND_CASES[case]}",
            "pmtip": ours,
            "bare": bare,
            "median_ratio": round(ratio, 3),
            "p99_ratio": round(ours["p99_ms"] / bare["p99_ms"], 3),
            "target_met": ratio <= TARGET_MEDIAN_RATIO,
        }
        rows.append(
            [
                case,
                ours["median_ms"],
                ours["p99_ms"],
                bare["median_ms"],
                bare["p99_ms"],
                round(ratio, 2),
                common.verdict(ratio <= TARGET_MEDIAN_RATIO),
            ]
        )
    threaded_results = {
        name: common.latency_summary(threaded_samples[(name, "topic")]) for name in threaded
    }

    print(f"Slash-command dispatch in process, {rounds} samples per app and case (ms)")
    common.print_table(
        ["case", "pmtip median", "pmtip p99", "bare median", "bare p99", "ratio", "target <= 1.5"],
        rows,
    )
    print()
    print(f"process_before_response=False (Bolt's default), topic case, {threaded_rounds} samples")
    common.print_table(
        ["app", "median", "p99"],
        [[name, r["median_ms"], r["p99_ms"]] for name, r in threaded_results.items()],
    )
    path = common.write_results(
        "dispatch",
        {
            "mode": "smoke" if args.smoke else "full",
            "samples_per_case": rounds,
            "targets": {"median_ratio_max": TARGET_MEDIAN_RATIO},
            "cases": results,
            "process_before_response_false": {
                "case": "topic",
                "samples": threaded_rounds,
                **threaded_results,
            },
            "all_targets_met": all(r["target_met"] for r in results.values()),
        },
        directory=args.results_dir,
    )
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
