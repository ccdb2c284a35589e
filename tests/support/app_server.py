"""The real pmtip app, served over HTTP on 127.0.0.1 in a thread, for end-to-end tests.

It is built the way `python -m bot http` builds it (settings, services, Bolt
app, the WSGI wrapper); only the server differs: a threaded wsgiref server in
place of gunicorn, so a test can reach the app's services directly.
"""

from __future__ import annotations

import http.client
import json
import random
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from bot.settings import load_settings
from bot.slack_app import Services, build_app, build_services
from bot.web import EVENTS_PATH, create_wsgi_app
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


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


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
        self, api: FakeSlackApi, *, env: Mapping[str, str] | None = None, seed: int = 2
    ) -> None:
        self.api = api
        self.seed = seed  # the app's tip choices are random; seeded, a run repeats exactly
        self._scratch = tempfile.TemporaryDirectory(prefix="pmtip-app-")
        # Each app gets its own database unless a test names one: no state leaks
        # between tests, and nothing is written into the checkout.
        own_database = {"DATABASE_URL": f"sqlite:///{self._scratch.name}/pmtip.sqlite3"}
        self.env = default_env(api) | own_database | dict(env or {})
        self.settings = load_settings(self.env, mode="http")
        self.signing_secret = self.settings.signing_secret.reveal()
        self.services: Services | None = None
        self._server: _ThreadingWSGIServer | None = None
        self._names = 0
        self._lock = threading.Lock()

    def start(self) -> RunningApp:
        self.services = build_services(self.settings)
        self.services.rng = random.Random(self.seed)
        wsgi_app = create_wsgi_app(build_app(self.services))
        server = make_server(
            "127.0.0.1", 0, wsgi_app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self._server = server  # type: ignore[assignment]
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._scratch.cleanup()

    def __enter__(self) -> RunningApp:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the app is not started")
        return self._server.server_address[1]

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
