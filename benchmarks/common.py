"""What every benchmark shares: a stand-in Slack Web API on 127.0.0.1, signed
slash commands, latency statistics, the machine's description, and the table
and JSON output.

Benchmarks are scripts (`python benchmarks/<name>.py`); this file sits beside
them and is imported as `common`. It must not import tests/: the benchmarks
stand on their own.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import itertools
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
TIPS_PATH = REPO_ROOT / "content" / "tips.yaml"
BOT_TOKEN = "xoxb-bench-0000-not-a-real-token"
SIGNING_SECRET = "bench-signing-secret-0123456789abcdef"

# The three slash commands the issue asks about: a topic, free words, a miss.
COMMAND_CASES: dict[str, str] = {
    "topic": "ai-failure",
    "free words": "monitoring models drift",
    "unknown topic": "quantum blockchain synergy",
}


# -- signed requests ------------------------------------------------------------


def signed_headers(body: bytes, *, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """The headers Slack puts on a request with this body, signed now."""
    stamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": "v0=" + digest.hexdigest(),
    }


_trigger_ids = itertools.count(1)


def slash_command_body(
    text: str, *, user_id: str = "U0BENCH", channel_id: str = "C0BENCH", team_id: str = "T0BENCH"
) -> bytes:
    """A `/pmtip` form body with every field Slack sends."""
    return urlencode(
        {
            "token": "deprecated",
            "team_id": team_id,
            "team_domain": "bench",
            "channel_id": channel_id,
            "channel_name": "bench",
            "user_id": user_id,
            "user_name": "bench",
            "command": "/pmtip",
            "text": text,
            "api_app_id": "A0BENCH",
            "is_enterprise_install": "false",
            "response_url": "http://127.0.0.1:9/response/unused",
            "trigger_id": f"{next(_trigger_ids)}.1700000000.bench",
        }
    ).encode()


def bench_installation(team: str) -> Any:
    """A workspace's installation as an "Add to Slack" would save it; its bot token is
    `xoxb-<team>` (what the stand-in's `teams` maps back to the workspace)."""
    from slack_sdk.oauth.installation_store import Installation

    return Installation(
        app_id="ABENCH",
        team_id=team,
        bot_token=f"xoxb-{team}",
        bot_id=f"B{team}",
        bot_user_id=f"U{team}",
        bot_scopes="commands,chat:write",
        user_id="UINSTALLER",
    )


def bench_env(api_base_url: str, *, database_url: str, **extra: str) -> dict[str, str]:
    """The environment a pmtip process needs to run against the stand-in."""
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_BASE_URL": api_base_url,
        "TIPS_PATH": str(TIPS_PATH),
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def sqlite_url(directory: str | Path) -> str:
    """A fresh SQLite database in `directory` (a benchmark's temporary directory)."""
    return f"sqlite:///{Path(directory) / 'pmtip-bench.sqlite3'}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- a stand-in for Slack's Web API -------------------------------------------------

DEFAULT_TEAM = "T0BENCH"
HEARD = 0.05  # seconds for a 429 to reach the client: calls sent before then are fair


@dataclass
class PostRecord:
    channel: str
    ts: str
    metadata: Any
    at: float  # time.monotonic() when it was accepted
    team: str = DEFAULT_TEAM


@dataclass
class StandinSlackApi:
    """Answers every Web API method `ok`, records chat.postMessage, and can be slow
    (`latency` seconds per call) or rate limited (`rate_limited` of the posts get a
    429 with `Retry-After`, which holds back the whole workspace, as Slack's limits are
    per workspace). Channels named in `missing_channels` do not exist.

    `teams` maps bot tokens to workspaces (team ids) for a many-workspace run; any
    other token is the one workspace `DEFAULT_TEAM`. A call that arrives while its
    workspace is held (after the client could have heard the 429) is an early retry:
    counted, and refused with 429 again, as Slack would."""

    latency: float = 0.0
    rate_limited: float = 0.0
    retry_after: int = 1
    seed: int = 5
    missing_channels: frozenset[str] = frozenset()
    teams: dict[str, str] = field(default_factory=dict)
    posts: list[PostRecord] = field(default_factory=list)
    throttled: int = 0
    calls: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    team_in_flight: dict[str, int] = field(default_factory=dict)
    max_team_in_flight: int = 0
    throttled_at: dict[str, float] = field(default_factory=dict)  # team -> monotonic
    early_retries: int = 0  # calls that came while their workspace was held
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _rng: random.Random = field(init=False)
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))
    _server: ThreadingHTTPServer | None = None

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def start(self) -> StandinSlackApi:
        server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._server = server
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> StandinSlackApi:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("start the stand-in first")
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def answer(
        self, method: str, params: dict[str, Any], token: str = ""
    ) -> tuple[int, dict[str, str], dict]:
        team = self.teams.get(token, DEFAULT_TEAM)
        arrived = time.monotonic()
        with self._lock:
            self.calls += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.team_in_flight[team] = self.team_in_flight.get(team, 0) + 1
            self.max_team_in_flight = max(self.max_team_in_flight, self.team_in_flight[team])
        try:
            if self.latency:
                time.sleep(self.latency)
            return self._answer(method, params, team, arrived)
        finally:
            with self._lock:
                self.in_flight -= 1
                self.team_in_flight[team] -= 1

    def _answer(
        self, method: str, params: dict[str, Any], team: str, arrived: float
    ) -> tuple[int, dict[str, str], dict]:
        if method == "auth.test":
            return 200, {}, {"ok": True, "team_id": team, "user_id": "UBOT", "bot_id": "BBOT"}
        if method != "chat.postMessage":
            return 200, {}, {"ok": True}
        channel = str(params.get("channel") or "")
        limited = (
            429,
            {"Retry-After": str(self.retry_after)},
            {"ok": False, "error": "ratelimited"},
        )
        with self._lock:
            held_since = self.throttled_at.get(team)
            # A call sent before the client could hear the 429 (in flight with it) is fair.
            if held_since is not None and HEARD < arrived - held_since < self.retry_after - HEARD:
                self.early_retries += 1
                return limited
            if self.rate_limited and self._rng.random() < self.rate_limited:
                self.throttled += 1
                self.throttled_at[team] = time.monotonic()
                return limited
            if channel in self.missing_channels:
                return 200, {}, {"ok": False, "error": "channel_not_found"}
            ts = f"1700000000.{next(self._ts):06d}"
            self.posts.append(PostRecord(channel, ts, params.get("metadata"), arrived, team))
        return 200, {}, {"ok": True, "channel": channel, "ts": ts}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler_for(api: StandinSlackApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            params: dict[str, Any] = dict(parse_qsl(parts.query))
            if raw and self.headers.get("Content-Type", "").startswith("application/json"):
                params.update(json.loads(raw))
            elif raw:
                params.update(parse_qsl(raw.decode()))
            method = parts.path.rsplit("/", 1)[-1]
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            status, headers, answer = api.answer(method, params, token)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


# -- statistics and output ------------------------------------------------------


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """The value at `fraction` (0..1) of an ascending sequence, nearest rank."""
    if not sorted_values:
        return float("nan")
    rank = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """Median, p99 and max in milliseconds."""
    ordered = sorted(seconds)
    return {
        "n": len(ordered),
        "median_ms": round(percentile(ordered, 0.5) * 1000, 4),
        "p99_ms": round(percentile(ordered, 0.99) * 1000, 4),
        "max_ms": round((ordered[-1] if ordered else float("nan")) * 1000, 4),
    }


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def add_common_arguments(parser: argparse.ArgumentParser, *, smoke: str) -> None:
    parser.add_argument("--smoke", action="store_true", help=smoke)
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=RESULTS_DIR,
        help="where to write <name>.json (default: benchmarks/results)",
    )


def write_results(name: str, data: dict[str, Any], *, directory: Path = RESULTS_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    payload = {
        "benchmark": name,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(),
        **data,
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[str(h) for h in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for index, row in enumerate(cells):
        print("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


# -- server processes ------------------------------------------------------------


@dataclass
class ServerProcess:
    """A child process in the repository root; its output goes to a file, never a pipe
    that could fill up and stall it under load."""

    process: subprocess.Popen[bytes]
    log: IO[bytes]
    started: float  # time.monotonic() just before it was spawned

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


def start_process(argv: Sequence[str], *, env: dict[str, str]) -> ServerProcess:
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop_process)
    started = time.monotonic()
    process = subprocess.Popen(
        list(argv), cwd=REPO_ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
    )
    return ServerProcess(process, log, started)


def post_command(port: int, text: str, *, timeout: float = 5.0) -> tuple[int, bytes]:
    """One signed `/pmtip <text>` to 127.0.0.1:port; (status, body)."""
    body = slash_command_body(text)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", "/slack/events", body=body, headers=signed_headers(body))
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_until_serving(server: ServerProcess, port: int, *, timeout: float) -> float:
    """Poll with signed commands until one is answered 200; the monotonic time it was."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"the server exited with {server.process.returncode}:\n{server.output()}"
            )
        try:
            status, _ = post_command(port, "help", timeout=1.0)
        except OSError:
            time.sleep(0.005)
            continue
        if status == 200:
            return time.monotonic()
        time.sleep(0.005)
    raise RuntimeError(f"nothing answered on port {port} within {timeout} s:\n{server.output()}")


def stop_process(server: ServerProcess) -> None:
    """SIGTERM, then SIGKILL if it lingers (gunicorn stops its workers on SIGTERM)."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    server.log.close()


def server_settings() -> dict[str, int]:
    """The gunicorn worker and thread counts a server started here will use."""
    from bot.settings import load_settings

    env = bench_env("http://127.0.0.1:1/api/", database_url="sqlite://")
    settings = load_settings({**os.environ, **env}, mode="http")
    return {"workers": settings.web_concurrency, "threads": settings.web_threads}
