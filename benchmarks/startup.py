"""Start-up and footprint of the web process, as the Procfile runs it.

Start-up: from just before `python -m bot http` is spawned until a signed
slash command is first answered 200 (the process must import, load the
catalogue, open and migrate the database, call auth.test, bind and fork its
workers). Several starts; each gets a fresh SQLite database, so each start
pays for the schema migration.

Footprint: after 10,000 signed commands, the resident memory of gunicorn's
master and its workers, read from /proc. RSS counts pages the workers share
with the master once per process; PSS splits shared pages between them, so
the PSS sum is what the processes really take together.

    .venv/bin/python benchmarks/startup.py [--starts 5] [--requests 10000] [--smoke]
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import threading
from pathlib import Path

import common

TARGET_STARTUP_S = 2.0
TARGET_RSS_MB = 100.0


def children_of(pid: int) -> list[int]:
    """Direct children of `pid`, from each process's /proc/<pid>/stat."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # it exited while we looked
        # The command name sits in parentheses and may hold spaces; the fields follow it.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def memory_mb(pid: int) -> dict[str, float]:
    """RSS (from /proc/<pid>/status) and PSS (from smaps_rollup) in MB."""
    values = {"rss_mb": float("nan"), "pss_mb": float("nan")}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            values["rss_mb"] = round(int(line.split()[1]) / 1024, 1)
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                values["pss_mb"] = round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass  # an older kernel: no rollup, RSS only
    return values


def process_memory(master: int) -> dict[str, dict[str, float]]:
    """Memory of gunicorn's master and each of its workers."""
    return {f"master {master}": memory_mb(master)} | {
        f"worker {pid}": memory_mb(pid) for pid in children_of(master)
    }


def send_commands(port: int, total: int, *, clients: int = 8) -> dict[str, int]:
    """`total` signed commands over `clients` keep-alive connections; statuses counted."""
    counts: dict[str, int] = {}
    lock = threading.Lock()
    texts = list(common.COMMAND_CASES.values())

    def client(share: int, offset: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for i in range(share):
            body = common.slash_command_body(texts[(offset + i) % len(texts)], user_id=f"U{i % 97}")
            try:
                connection.request(
                    "POST", "/slack/events", body=body, headers=common.signed_headers(body)
                )
                response = connection.getresponse()
                response.read()
                key = str(response.status)
            except (OSError, http.client.HTTPException) as error:
                key = type(error).__name__
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            with lock:
                counts[key] = counts.get(key, 0) + 1
        connection.close()

    shares = [total // clients + (1 if i < total % clients else 0) for i in range(clients)]
    threads = [threading.Thread(target=client, args=(s, i)) for i, s in enumerate(shares)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5, help="how many cold starts to time")
    parser.add_argument("--requests", type=int, default=10_000, help="before reading memory")
    common.add_common_arguments(parser, smoke="one start and 300 requests, for CI")
    args = parser.parse_args(argv)
    starts, requests = (1, 300) if args.smoke else (args.starts, args.requests)

    startup_seconds: list[float] = []
    with common.StandinSlackApi() as api:
        for attempt in range(starts):
            with tempfile.TemporaryDirectory() as tmp:
                port = common.free_port()
                env = common.bench_env(
                    api.base_url, database_url=common.sqlite_url(tmp), PORT=str(port)
                )
                server = common.start_process([sys.executable, "-m", "bot", "http"], env=env)
                try:
                    ready = common.wait_until_serving(server, port, timeout=60)
                    startup_seconds.append(ready - server.started)
                    if attempt < starts - 1:
                        continue
                    # A tenth first, then the rest: the difference shows any growth.
                    statuses = send_commands(port, requests // 10)
                    early = process_memory(server.pid)
                    for status, n in send_commands(port, requests - requests // 10).items():
                        statuses[status] = statuses.get(status, 0) + n
                    memory = process_memory(server.pid)
                finally:
                    common.stop_process(server)

    total_rss = round(sum(m["rss_mb"] for m in memory.values()), 1)
    total_pss = round(sum(m["pss_mb"] for m in memory.values()), 1)
    early_rss = round(sum(m["rss_mb"] for m in early.values()), 1)
    errors = sum(n for status, n in statuses.items() if status != "200")
    targets = {
        f"start-up < {TARGET_STARTUP_S:g} s": max(startup_seconds) < TARGET_STARTUP_S,
        f"RSS after {requests} requests < {TARGET_RSS_MB:g} MB": total_rss < TARGET_RSS_MB,
    }

    print(f"Start-up of `python -m bot http`, {starts} cold start(s) (s)")
    common.print_table(
        ["median", "min", "max"],
        [[statistics.median(startup_seconds), min(startup_seconds), max(startup_seconds)]],
    )
    print(f"\nMemory after {requests} signed commands ({errors} errors), MB")
    common.print_table(
        ["process", "RSS", "PSS"],
        [[name, m["rss_mb"], m["pss_mb"]] for name, m in memory.items()]
        + [["total", total_rss, total_pss]],
    )
    print(f"RSS total after the first {requests // 10} requests: {early_rss} MB")
    print()
    for target, ok in targets.items():
        print(f"  {target}: {common.verdict(ok)}")
    path = common.write_results(
        "startup",
        {
            "mode": "smoke" if args.smoke else "full",
            "server": common.server_settings(),
            "startup_seconds": {
                "starts": [round(s, 3) for s in startup_seconds],
                "median": round(statistics.median(startup_seconds), 3),
                "max": round(max(startup_seconds), 3),
            },
            "requests": requests,
            "statuses": statuses,
            "errors": errors,
            "memory_mb": memory,
            "total_rss_mb": total_rss,
            "total_pss_mb": total_pss,
            "total_rss_mb_after_first_tenth": early_rss,
            "targets": targets,
            "all_targets_met": all(targets.values()),
        },
        directory=args.results_dir,
    )
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
