"""`python -m bot http`, the production web process, as a subprocess on 127.0.0.1.

Its output goes to a file rather than a pipe, so a talkative server can never
stall on a full pipe, and a test can read what it logged at any moment.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from bot.slack.web import EVENTS_PATH
from tests.support.app_server import SIGNING_SECRET, TIPS_PATH
from tests.support.signing import signed_headers

PROCESS_TOKEN = "xoxb-e2e-process-token-5f3a9c"
# Settings a developer's environment might carry into the child; none may leak in.
SETTINGS = ("SLACK_", "PORT", "TIPS_PATH", "LOG_LEVEL", "WEB_", "DATABASE_URL", "ADMIN_")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class BotProcess:
    """`with BotProcess(api_base_url, workdir) as bot: bot.post_signed(body)`."""

    def __init__(self, api_base_url: str, workdir: Path, **settings: str) -> None:
        self.port = free_port()
        self.workers = int(settings.get("WEB_CONCURRENCY", "2"))  # pmtip's default
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS)}
        self.env = inherited | {
            "PYTHONUNBUFFERED": "1",
            "SLACK_BOT_TOKEN": PROCESS_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_BASE_URL": api_base_url,
            "TIPS_PATH": str(TIPS_PATH),
            "DATABASE_URL": f"sqlite:///{workdir}/pmtip.sqlite3",
            "PORT": str(self.port),
            **settings,
        }
        self.workdir = workdir
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> BotProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "http"],
            env=self.env,
            cwd=self.workdir,  # no developer's .env can fill in the settings
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_serving(timeout=30)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> int:
        """SIGTERM, as Heroku stops a dyno; SIGKILL only if it lingers past 30 s."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def output(self) -> str:
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def _wait_until_serving(self, *, timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"`python -m bot http` exited early:\n{self.output()}")
            try:
                url = f"http://127.0.0.1:{self.port}/healthz"
                with urllib.request.urlopen(url, timeout=1) as reply:
                    if reply.status == 200 and self._all_workers_listening():
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"`python -m bot http` did not answer in {timeout}s:\n{self.output()}")

    def _all_workers_listening(self) -> bool:
        # One worker may answer before the others have booted; a test that reads
        # the log must not see their start-up lines arrive in the middle of it.
        return self.output().count("ASGI server listening on") >= self.workers

    def post(
        self, body: bytes, headers: Mapping[str, str], *, timeout: float = 10
    ) -> tuple[int, bytes]:
        """POST to /slack/events on a fresh connection; (status, body)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request("POST", EVENTS_PATH, body=body, headers=dict(headers))
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def post_signed(self, body: bytes, *, timeout: float = 10, **kwargs: str) -> tuple[int, bytes]:
        return self.post(body, signed_headers(body, SIGNING_SECRET, **kwargs), timeout=timeout)
