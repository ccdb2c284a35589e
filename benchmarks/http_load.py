"""HTTP under load: the production web process against a bare Bolt app, same server.

pmtip runs as the Procfile runs it (`python -m bot http`: gunicorn, ASGI
workers); the baseline is benchmarks/bare_app.py (Bolt's own ASGI adapter)
served by the same `bot.web.serve` with the same worker count. Both answer on
127.0.0.1 and call a stand-in Web API there. 50 clients (threads in a few
processes, keep-alive connections) send signed slash commands, cycling through
a topic, free words and an unknown topic. The two servers take turns, in
halves, so slow drift on the machine hits both alike. The load generator runs
on the same cores as the servers, so it costs them CPU: read the figures as
"this machine, both sides loaded the same way". The server processes' CPU time
per request is given too: on a shared machine it varies less than req/s.

With `--slow-clients N`, N more connections are held open against the server
under load for its whole turn, each sending its request a few bytes a second
and never finishing it (half trickle their headers, half their body): the
attack a server that gives each connection a thread cannot survive.

    .venv/bin/python benchmarks/http_load.py [--seconds 20] [--clients 50]
        [--slow-clients 50] [--smoke]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import multiprocessing
import os
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import common

TARGET_P99_MS = 100.0
TARGET_THROUGHPUT_RATIO = 1.5
EVENTS_PATH = "/slack/events"


@dataclass
class ClientTally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)  # exceptions by type


def run_client(
    port: int, deadline: float, offset: int, texts: list[str], tally: ClientTally
) -> None:
    """One keep-alive client sending signed commands until the deadline."""
    bodies = [common.slash_command_body(text, user_id=f"U{offset % 50:04d}") for text in texts]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    sent = offset
    while time.monotonic() < deadline:
        body = bodies[sent % len(bodies)]
        sent += 1
        headers = common.signed_headers(body)
        started = time.perf_counter()
        try:
            connection.request("POST", EVENTS_PATH, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as error:
            tally.failures[type(error).__name__] += 1
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            continue
        tally.latencies.append(time.perf_counter() - started)
        tally.statuses[response.status] += 1
    connection.close()


def run_clients(port: int, clients: int, seconds: float, first: int, texts: list[str]) -> dict:
    """A worker process's share of the clients; returns plain data for the parent."""
    deadline = time.monotonic() + seconds
    tallies = [ClientTally() for _ in range(clients)]
    threads = [
        threading.Thread(target=run_client, args=(port, deadline, first + i, texts, tallies[i]))
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "latencies": [x for t in tallies for x in t.latencies],
        "statuses": dict(sum((t.statuses for t in tallies), Counter())),
        "failures": dict(sum((t.failures for t in tallies), Counter())),
    }


@contextlib.contextmanager
def slow_clients(port: int, count: int) -> Iterator[None]:
    """`count` connections trickling a request they never finish, while the block runs."""
    connections = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
    for i, connection in enumerate(connections):
        head = "POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if i % 2 == 0:  # this one trickles its body
            head += (
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 4000\r\n\r\n"
            )
        connection.sendall(head.encode())
    stop = threading.Event()

    def trickle() -> None:
        sent = 0
        while not stop.wait(1.0):
            sent += 1
            for i, connection in enumerate(connections):
                chunk = "&t=1" if i % 2 == 0 else f"X-Slow-{sent}: 1\r\n"
                with contextlib.suppress(OSError):  # a server may hang up on it
                    connection.sendall(chunk.encode())

    feeder = threading.Thread(target=trickle, daemon=True)
    feeder.start()
    try:
        yield
    finally:
        stop.set()
        feeder.join()
        for connection in connections:
            connection.close()


def server_cpu_seconds(pid: int) -> float:
    """User and system CPU time of a server process and its live children (Linux /proc)."""
    pids = [pid]
    with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{pid}/children") as children:
        pids += [int(child) for child in children.read().split()]
    ticks = 0
    for each in pids:
        with contextlib.suppress(OSError), open(f"/proc/{each}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def load(
    pool,
    port: int,
    *,
    clients: int,
    processes: int,
    seconds: float,
    texts: list[str],
    server_pid: int | None = None,
    slow: int = 0,
) -> dict:
    """`clients` clients spread over the pool's processes, for `seconds`."""
    shares = [
        clients // processes + (1 if i < clients % processes else 0) for i in range(processes)
    ]
    firsts = [sum(shares[:i]) for i in range(processes)]
    with slow_clients(port, slow):
        cpu = server_cpu_seconds(server_pid) if server_pid else 0.0
        started = time.monotonic()
        parts = pool.starmap(
            run_clients,
            [
                (port, share, seconds, first, texts)
                for share, first in zip(shares, firsts, strict=True)
            ],
        )
        wall = time.monotonic() - started
        cpu = server_cpu_seconds(server_pid) - cpu if server_pid else 0.0
    latencies = [x for part in parts for x in part["latencies"]]
    statuses: Counter[int] = Counter()
    failures: Counter[str] = Counter()
    for part in parts:
        statuses.update({int(k): v for k, v in part["statuses"].items()})
        failures.update(part["failures"])
    return {
        "latencies": latencies,
        "statuses": statuses,
        "failures": failures,
        "wall": wall,
        "cpu": cpu,
    }


def merge(runs: list[dict]) -> dict:
    latencies = [x for run in runs for x in run["latencies"]]
    statuses = sum((run["statuses"] for run in runs), Counter())
    failures = sum((run["failures"] for run in runs), Counter())
    wall = sum(run["wall"] for run in runs)
    cpu = sum(run["cpu"] for run in runs)
    errors = sum(v for k, v in statuses.items() if k != 200) + sum(failures.values())
    summary = common.latency_summary(latencies)
    return {
        "requests": len(latencies),
        "seconds": round(wall, 2),
        "requests_per_second": round(len(latencies) / wall, 1),
        "p50_ms": summary["median_ms"],
        "p99_ms": summary["p99_ms"],
        "max_ms": summary["max_ms"],
        "errors": errors,
        "server_cpu_us_per_request": round(1e6 * cpu / max(len(latencies), 1), 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "connection_failures": dict(failures),
    }


def take_turns(
    servers: dict[str, common.ServerProcess],
    ports: dict[str, int],
    *,
    clients: int,
    processes: int,
    seconds: float,
    warmup: float,
    texts: list[str],
    slow: int,
) -> dict[str, list[dict]]:
    """A warm-up for each server, then two halves each, in opposite orders."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        for name in servers:
            load(
                pool, ports[name], clients=clients, processes=processes, seconds=warmup, texts=texts
            )
        runs: dict[str, list[dict]] = {name: [] for name in servers}
        for half in range(2):
            order = list(servers) if half == 0 else list(reversed(servers))
            for name in order:
                run = load(
                    pool,
                    ports[name],
                    clients=clients,
                    processes=processes,
                    seconds=seconds / 2,
                    texts=texts,
                    server_pid=servers[name].pid,
                    slow=slow,
                )
                runs[name].append(run)
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="load time per server")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--processes", type=int, default=2, help="load-generator processes")
    parser.add_argument(
        "--case",
        choices=["mixed", *common.COMMAND_CASES],
        default="mixed",
        help="send one kind of command only (default: all three in turn)",
    )
    parser.add_argument(
        "--slow-clients",
        type=int,
        default=0,
        help="connections trickling a request they never finish, held during each turn",
    )
    common.add_common_arguments(parser, smoke="1 s of 8 clients and 4 slow ones, for CI")
    args = parser.parse_args(argv)
    texts = (
        list(common.COMMAND_CASES.values())
        if args.case == "mixed"
        else [common.COMMAND_CASES[args.case]]
    )
    seconds, clients = (1.0, 8) if args.smoke else (args.seconds, args.clients)
    slow = 4 if args.smoke else args.slow_clients
    warmup = 0.5 if args.smoke else 2.0

    with common.StandinSlackApi() as api, tempfile.TemporaryDirectory() as tmp:
        ports = {"pmtip": common.free_port(), "bare": common.free_port()}
        env = {
            name: common.bench_env(
                api.base_url, database_url=common.sqlite_url(tmp), PORT=str(port)
            )
            for name, port in ports.items()
        }
        servers = {
            "pmtip": common.start_process([sys.executable, "-m", "bot", "http"], env=env["pmtip"]),
            "bare": common.start_process(
                [sys.executable, "benchmarks/bare_app.py"], env=env["bare"]
            ),
        }
        try:
            for name, server in servers.items():
                common.wait_until_serving(server, ports[name], timeout=30)
            runs = take_turns(
                servers,
                ports,
                clients=clients,
                processes=args.processes,
                seconds=seconds,
                warmup=warmup,
                texts=texts,
                slow=slow,
            )
        finally:
            for server in servers.values():
                common.stop_process(server)

    results = {name: merge(name_runs) for name, name_runs in runs.items()}
    ours, bare = results["pmtip"], results["bare"]
    ratio = bare["requests_per_second"] / ours["requests_per_second"]
    targets = {
        "no errors": ours["errors"] == 0,
        f"p99 < {TARGET_P99_MS:g} ms": ours["p99_ms"] < TARGET_P99_MS,
        f"throughput within {TARGET_THROUGHPUT_RATIO}x of bare": ratio <= TARGET_THROUGHPUT_RATIO,
    }
    settings = common.server_settings()
    print(
        f"HTTP load ({args.case} commands): {clients} clients, {seconds:g} s per server, "
        f"{slow} slow clients; gunicorn ASGI workers: {settings['workers']} workers, "
        f"pmtip's Bolt on {settings['threads']} threads each (bare: in the event loop)"
    )
    common.print_table(
        ["server", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "errors", "CPU µs/req"],
        [
            [
                name,
                r["requests"],
                r["requests_per_second"],
                r["p50_ms"],
                r["p99_ms"],
                r["max_ms"],
                r["errors"],
                r["server_cpu_us_per_request"],
            ]
            for name, r in results.items()
        ],
    )
    print(f"\nthroughput ratio bare/pmtip: {ratio:.2f}")
    for target, ok in targets.items():
        print(f"  {target}: {common.verdict(ok)}")
    path = common.write_results(
        "http_load",
        {
            "mode": "smoke" if args.smoke else "full",
            "clients": clients,
            "slow_clients": slow,
            "commands": args.case,
            "seconds_per_server": seconds,
            "load_processes": args.processes,
            "server": settings,
            "results": results,
            "throughput_ratio": round(ratio, 3),
            "targets": targets,
            "all_targets_met": all(targets.values()),
        },
        directory=args.results_dir,
    )
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
