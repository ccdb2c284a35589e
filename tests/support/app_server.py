"""The real pmtip app, served over HTTP on 127.0.0.1 in a thread, for end-to-end tests.

It is built the way `python -m bot http` builds it (bot.wiring.http_process:
settings, parts, Bolt app, the ASGI front in bot.slack.web); only the server
differs: uvicorn in a thread in place of gunicorn's ASGI workers, so a test can
reach the app's parts (its store, its catalogue) directly.
tests/slack/test_http_process.py runs the production server itself.
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import uvicorn

from bot.settings import load_settings
from bot.slack.web import EVENTS_PATH
from bot.wiring import Clock, Parts, http_process, utc_now
from tests.support.signing import block_actions_body, signed_headers, slash_command_body
from tests.support.slack_api import FakeSlackApi

REPO_ROOT = Path(__file__).resolve().parents[2]
TIPS_PATH = REPO_ROOT / "content" / "tips.yaml"
BOT_TOKEN = "xoxb-test-0000-bot-token"
SIGNING_SECRET = "test-signing-secret-0123456789abcdef"


@dataclass(frozen=True)
class HttpReply:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes
    response_name: str | None = None  # the stand-in response_url the request carried

    @property
    def json(self) -> Any:
        """The body as JSON, or None when it is empty or not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None


def default_env(api: FakeSlackApi) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_BASE_URL": api.base_url,
        "TIPS_PATH": str(TIPS_PATH),
    }


class RunningApp:
    """The app under test; `with RunningApp(api, env={...}) as app: app.command("help")`."""

    def __init__(
        self,
        api: FakeSlackApi,
        *,
        env: Mapping[str, str] | None = None,
        seed: int = 2,
        now: Clock = utc_now,
    ) -> None:
        self.api = api
        self.seed = seed  # the app's tip choices are random; seeded, a run repeats exactly
        self.now = now  # the wiring's clock (the playground passes its own)
        self._scratch = tempfile.TemporaryDirectory(prefix="pmtip-app-")
        # Each app gets its own database unless a test names one: no state leaks
        # between tests, and nothing is written into the checkout.
        own_database = {"DATABASE_URL": f"sqlite:///{self._scratch.name}/pmtip.sqlite3"}
        self.env = default_env(api) | own_database | dict(env or {})
        self.settings = load_settings(self.env, mode="http")
        self.signing_secret = self.settings.signing_secret.reveal()
        self.parts: Parts | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._names = 0
        self._lock = threading.Lock()

    def start(self) -> RunningApp:
        process = http_process(self.settings, now=self.now, rng=random.Random(self.seed))
        self.parts = process.parts
        asgi_app = process.asgi_app
        self._socket = socket.create_server(("127.0.0.1", 0))
        config = uvicorn.Config(
            asgi_app, lifespan="on", http="h11", log_level="warning", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._socket.close()
            self._server = None
        self._scratch.cleanup()

    def __enter__(self) -> RunningApp:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._socket is None:
            raise RuntimeError("the app is not started")
        return self._socket.getsockname()[1]

    def new_response_url(self) -> tuple[str, str]:
        """A fresh (name, url) on the stand-in, so each request's replies can be told apart."""
        with self._lock:
            self._names += 1
            name = f"r{self._names}"
        return name, self.api.response_url(name)

    # -- sending requests ---------------------------------------------------------

    def request(
        self, method: str, path: str, body: bytes = b"", headers: Mapping[str, str] | None = None
    ) -> HttpReply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=dict(headers or {}))
            response = connection.getresponse()
            return HttpReply(
                status=response.status,
                headers={k.lower(): v for k, v in response.getheaders()},
                body=response.read(),
            )
        finally:
            connection.close()

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> HttpReply:
        return self.request("GET", path, b"", headers)

    def post(self, body: bytes, headers: Mapping[str, str]) -> HttpReply:
        return self.request("POST", EVENTS_PATH, body, headers)

    def post_signed(self, body: bytes, *, timestamp: int | None = None, **kwargs: Any) -> HttpReply:
        return self.post(body, signed_headers(body, self.signing_secret, timestamp, **kwargs))

    def command(self, text: str, *, timestamp: int | None = None, **fields: Any) -> HttpReply:
        """Send `/pmtip <text>`, signed, with a fresh response_url on the stand-in."""
        name, url = self.new_response_url()
        body = slash_command_body(text, response_url=url, **fields)
        return replace(self.post_signed(body, timestamp=timestamp), response_name=name)

    def action(self, action_id: str, value: str, **fields: Any) -> HttpReply:
        """Click a button, signed, with a fresh response_url on the stand-in."""
        name, url = self.new_response_url()
        body = block_actions_body(action_id, value, response_url=url, **fields)
        return replace(self.post_signed(body), response_name=name)

    def responses(self, reply: HttpReply, *, count: int = 1) -> list[dict[str, Any]]:
        """Wait for `count` posts to the request's response_url; their JSON bodies."""
        if reply.response_name is None:
            raise ValueError("that reply did not come from command() or action()")
        calls = self.api.wait_for_responses(reply.response_name, count=count)
        return [call.params for call in calls]
