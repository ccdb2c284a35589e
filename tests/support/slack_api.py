"""A stand-in for Slack's Web API on 127.0.0.1, for end-to-end tests.

It answers the methods pmtip calls with plausible bodies, records every call
(Web API methods and posts to `response_url`s alike), and can be told to fail:
rate limits, Slack errors, slow answers, or a handler of the test's own.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml

from tests.support.slack_arguments import argument_error
from tests.support.slack_oauth import OAuthWorkspaces

REPO_ROOT = Path(__file__).resolve().parents[2]
RESPONSE_URL = "response_url"  # the `method` of a recorded post to a response_url
TEAM_ID = "T1"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
# Methods called with an app-level token (xapp-...) rather than a bot token.
_APP_TOKEN_METHODS = ("apps.connections.open",)
# Parameters slack_sdk sends as JSON strings inside form bodies.
_JSON_PARAMS = ("blocks", "attachments", "metadata", "view")

Handler = Callable[[dict[str, Any]], tuple[int, dict[str, str], dict[str, Any]]]


@dataclass(frozen=True)
class Call:
    method: str  # "chat.postMessage", or RESPONSE_URL for a post to a response_url
    params: dict[str, Any]
    headers: dict[str, str]  # lower-cased names
    at: float  # time.monotonic() when it arrived
    name: str | None = None  # the response_url's name, for RESPONSE_URL calls
    status: int = 200  # the HTTP status the stand-in answered with


@dataclass
class _Fault:
    method: str
    when: Callable[[dict[str, Any]], bool]
    remaining: int
    status: int
    retry_after: int | None
    error: str | None
    delay: float | None


@dataclass
class _Channel:
    info: dict[str, Any]
    messages: list[dict[str, Any]] = field(default_factory=list)  # oldest first


class FakeSlackApi(OAuthWorkspaces):
    """Start it (or use it as a context manager), then aim the app at `base_url`.
    Many workspaces: see tests/support/slack_oauth.py (installs, per-workspace tokens)."""

    def __init__(self, *, token: str | None = None) -> None:
        self._init_oauth()
        self.token = token  # when set, any other bearer token is `invalid_auth`
        self.latency = 0.0  # seconds added to every call
        self.users: dict[str, dict[str, Any]] = {}  # user id -> fields over the default user
        self.channels: dict[str, dict[str, Any]] = {}  # channel id -> fields over the default
        self.scopes: frozenset[str] = manifest_bot_scopes()  # what the installed app was granted
        self._calls: list[Call] = []
        self._faults: list[_Fault] = []
        self._handlers: dict[str, Handler] = {}
        self._history: dict[str, _Channel] = {}
        self._lock = threading.Lock()
        self._ts = itertools.count(100)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> FakeSlackApi:
        server = _QuietServer(("127.0.0.1", 0), _make_request_handler(self))
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSlackApi:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the stand-in Slack API is not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "default") -> str:
        return f"http://127.0.0.1:{self.port}/response/{name}"

    # -- what happened -------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def responses(self, name: str | None = None) -> list[Call]:
        """Posts to response_urls, to the one called `name` if given."""
        return [c for c in self.calls(RESPONSE_URL) if name is None or c.name == name]

    def wait_for(
        self,
        method_or_predicate: str | Callable[[Call], bool],
        *,
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[Call]:
        """Wait until `count` calls match (much of the bot answers after the ack)."""
        if isinstance(method_or_predicate, str):
            method = method_or_predicate

            def matches(call: Call) -> bool:
                return call.method == method
        else:
            matches = method_or_predicate
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.calls() if matches(c)]
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                seen = ", ".join(c.method + (f"/{c.name}" if c.name else "") for c in self.calls())
                raise AssertionError(
                    f"waited {timeout}s for {count} matching call(s), got {len(found)}; "
                    f"calls seen: {seen or 'none'}"
                )
            time.sleep(0.01)

    def wait_for_responses(self, name: str, *, count: int = 1, timeout: float = 5.0) -> list[Call]:
        return self.wait_for(
            lambda c: c.method == RESPONSE_URL and c.name == name, count=count, timeout=timeout
        )

    def team_of_call(self, call: Call) -> str | None:
        """The workspace whose installed token made the call (None: another token)."""
        return self.team_of_token(_bearer(call.headers, call.params))

    def clear(self) -> None:
        """Forget the calls recorded so far (faults, users and history stay)."""
        with self._lock:
            self._calls.clear()

    def posted(self, channel: str) -> list[dict[str, Any]]:
        """Messages posted to `channel`, oldest first."""
        with self._lock:
            record = self._history.get(channel)
            return [dict(m) for m in record.messages] if record else []

    # -- programming it ------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = 1,
        error: str | None = None,
        delay: float | None = None,
        times: int = 1,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """Queue a fault for the next `times` calls of `method` whose params pass `when`.

        With `error`, Slack's own failure: HTTP 200 and {"ok": false, "error": error}.
        With `delay`, a slow answer (the normal one, after `delay` seconds).
        Otherwise HTTP `status`, with Retry-After when `retry_after` is set.
        """
        with self._lock:
            self._faults.append(
                _Fault(
                    method=method,
                    when=when or (lambda params: True),
                    remaining=times,
                    status=status,
                    retry_after=retry_after,
                    error=error,
                    delay=delay,
                )
            )

    def add_message(self, channel: str, **fields: Any) -> str:
        """Put a message in the channel's history as someone else wrote it; its ts."""
        with self._lock:
            message = {"type": "message", "ts": self._next_ts(), **fields}
            self._channel(channel).messages.append(message)
        return str(message["ts"])

    def set_handler(self, method: str, handler: Handler) -> None:
        """Answer `method` with handler(params) -> (status, headers, body)."""
        with self._lock:
            self._handlers[method] = handler

    # -- serving -------------------------------------------------------------

    def _take_fault(self, method: str, params: dict[str, Any]) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method == method and fault.remaining > 0 and fault.when(params):
                    fault.remaining -= 1
                    return fault
        return None

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def _answer_api(
        self, method: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        if self.latency:
            time.sleep(self.latency)
        auth_error = self._auth_error(headers, params, method)
        if auth_error:
            return 200, {}, {"ok": False, "error": auth_error}
        refused = argument_error(method, params)  # Slack's documented limits, as Slack answers
        if refused:
            return 200, {}, {"ok": False, "error": refused}
        fault = self._take_fault(method, params)
        if fault is not None:
            if fault.delay is not None:
                time.sleep(fault.delay)
            elif fault.error is not None:
                return 200, {}, {"ok": False, "error": fault.error}
            else:
                # Slack gives whole seconds, and slack_sdk reads them with int()
                extra = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
                error = "ratelimited" if fault.status == 429 else "fatal_error"
                return fault.status, extra, {"ok": False, "error": error}
        with self._lock:
            handler = self._handlers.get(method)
        if handler is not None:
            return handler(params)
        if method == "oauth.v2.access":
            return 200, {}, self.oauth_v2_access(params, headers)
        if method == "auth.test" and (found := self.auth_test_for(_bearer(headers, params))):
            return 200, {}, found
        default = _DEFAULTS.get(method)
        if default is None:
            return 200, {}, {"ok": False, "error": "unknown_method"}
        answer = default(self, params)
        if method == "chat.postMessage" and answer.get("ok"):
            self._written_by_installed_bot(_bearer(headers, params), answer)
        return 200, {}, answer

    def _written_by_installed_bot(self, token: str, answer: dict[str, Any]) -> None:
        """A post made with a workspace's installed token is by that workspace's bot."""
        team_id = self.team_of_token(token)
        if team_id is None:
            return
        team = self.team(team_id)
        with self._lock:
            for message in self._channel(str(answer["channel"])).messages:
                if message["ts"] == answer["ts"]:
                    message.update(user=team.bot_user_id, bot_id=team.bot_id)
        answer["message"].update(user=team.bot_user_id, bot_id=team.bot_id)

    def _auth_error(
        self, headers: dict[str, str], params: dict[str, Any], method: str = ""
    ) -> str | None:
        if method == "oauth.v2.access":
            return None  # the app's client id and secret, checked by its answer
        token = _bearer(headers, params)
        if not token:
            return "not_authed"
        if self.team_of_token(token) is not None:  # issued by an install: per workspace
            return self.token_error(token)
        if method in _APP_TOKEN_METHODS:  # these take an app-level token, and only that
            return None if token.startswith("xapp-") else "not_allowed_token_type"
        if not token.startswith("xox") or (self.token is not None and token != self.token):
            return "invalid_auth"
        return None

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    # -- default answers, one per method ------------------------------------

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://pmtip-test.slack.com/",
            "team": "pmtip test",
            "user": "pmtip",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("text") and not params.get("blocks"):
            return {"ok": False, "error": "no_text"}
        with self._lock:
            info = dict(self._channel(channel).info)
        if not info.get("is_member", True):  # Slack: the bot posts only where it is a member,
            if info.get("is_private"):  # unless chat:write.public lets it into public ones
                return {"ok": False, "error": "channel_not_found"}
            if "chat:write.public" not in self.scopes:
                return {"ok": False, "error": "not_in_channel"}
        message: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "text": params.get("text", ""),
            "ts": self._next_ts(),
        }
        if params.get("blocks"):
            message["blocks"] = params["blocks"]
        if params.get("metadata"):
            message["metadata"] = params["metadata"]
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        with self._lock:
            self._channel(channel).messages.append(message)
        shown = {k: v for k, v in message.items() if k != "metadata"}
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": shown}

    def _post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("channel") or not params.get("user"):
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(params.get("channel") or ""), str(params.get("ts") or "")
        with self._lock:
            record = self._history.get(channel)
            target = next((m for m in record.messages if m["ts"] == ts), None) if record else None
            if target is None:
                return {"ok": False, "error": "message_not_found"}
            for key in ("text", "blocks", "metadata"):
                if key in params:
                    target[key] = params[key]
            shown = {k: v for k, v in target.items() if k != "metadata"}
        return {"ok": True, "channel": channel, "ts": ts, "text": shown["text"], "message": shown}

    def _users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        """The people in `users` (set up by the test), a page of `limit` at a time."""
        with self._lock:
            ids = sorted(self.users)
        start = int(params.get("cursor") or 0)
        limit = int(params.get("limit") or 200)
        page = ids[start : start + limit]
        members = [self._users_info({"user": uid})["user"] for uid in page]
        more = start + limit < len(ids)
        return {
            "ok": True,
            "members": members,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user") or "")
        if not user_id:
            return {"ok": False, "error": "user_not_found"}
        with self._lock:
            overrides = dict(self.users.get(user_id, {}))
        user = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": user_id.lower(),
            "real_name": f"User {user_id}",
            "tz": "UTC",
            "tz_label": "Coordinated Universal Time",
            "tz_offset": 0,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_bot": False,
            "deleted": False,
        } | overrides
        return {"ok": True, "user": user}

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        with self._lock:
            return {"ok": True, "channel": dict(self._channel(channel).info)}

    def _conversations_join(self, params: dict[str, Any]) -> dict[str, Any]:
        result = self._conversations_info(params)
        if result["ok"]:
            with self._lock:
                self._channel(str(params["channel"])).info["is_member"] = True
            result["channel"]["is_member"] = True
        return result

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel") or "")
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        limit = int(params.get("limit") or 100)
        oldest = float(params.get("oldest") or 0)
        latest = float(params.get("latest") or "inf")
        messages = [
            m if with_metadata else {k: v for k, v in m.items() if k != "metadata"}
            for m in reversed(self.posted(channel))
            if oldest < float(m["ts"]) <= latest
        ]
        return {"ok": True, "messages": messages[:limit], "has_more": len(messages) > limit}

    def _users_conversations(self, params: dict[str, Any]) -> dict[str, Any]:
        """The channels the bot knows of and is in (tests that need a person's set a handler)."""
        with self._lock:
            ids = sorted(c for c, record in self._history.items() if record.info.get("is_member"))
        return {
            "ok": True,
            "channels": [{"id": c} for c in ids],
            "response_metadata": {"next_cursor": ""},
        }

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("user_id") or not params.get("view"):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "view": {"id": "V1", "team_id": TEAM_ID, **params["view"]}}

    def _get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(params.get("channel") or ""), str(params.get("message_ts") or "")
        return {
            "ok": True,
            "channel": channel,
            "permalink": f"https://pmtip-test.slack.com/archives/{channel}/p{ts.replace('.', '')}",
        }

    def _channel(self, channel: str) -> _Channel:
        """The channel's record; call with the lock held."""
        record = self._history.get(channel)
        if record is None:
            info = {
                "id": channel,
                "name": f"channel-{channel.lower()}",
                "is_channel": True,
                "is_private": False,
                "is_archived": False,
                "is_member": True,
            } | self.channels.get(channel, {})
            record = self._history[channel] = _Channel(info=info)
        return record


_DEFAULTS: dict[str, Callable[[FakeSlackApi, dict[str, Any]], dict[str, Any]]] = {
    "auth.test": FakeSlackApi._auth_test,
    "chat.postMessage": FakeSlackApi._post_message,
    "chat.postEphemeral": FakeSlackApi._post_ephemeral,
    "chat.update": FakeSlackApi._update,
    "users.info": FakeSlackApi._users_info,
    "users.list": FakeSlackApi._users_list,
    "conversations.info": FakeSlackApi._conversations_info,
    "conversations.join": FakeSlackApi._conversations_join,
    "conversations.history": FakeSlackApi._conversations_history,
    "users.conversations": FakeSlackApi._users_conversations,
    "views.publish": FakeSlackApi._views_publish,
    "chat.getPermalink": FakeSlackApi._get_permalink,
}


def _bearer(headers: dict[str, str], params: dict[str, Any]) -> str:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        token = str(params.get("token") or "")  # Slack also takes it as a parameter
    return token


def manifest_bot_scopes() -> frozenset[str]:
    manifest = yaml.safe_load((REPO_ROOT / "manifest.yml").read_text(encoding="utf-8"))
    return frozenset(manifest["oauth_config"]["scopes"]["bot"])


def parse_params(body: bytes, content_type: str, query: str) -> dict[str, Any]:
    """The parameters of a call: query string, then a JSON or form body over it."""
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if not body:
        return params
    if content_type.startswith("application/json"):
        decoded = json.loads(body.decode("utf-8"))
        if isinstance(decoded, dict):
            params.update(decoded)
        return params
    params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    for key in _JSON_PARAMS:
        if isinstance(params.get(key), str):
            with contextlib.suppress(ValueError):  # if not JSON, left as sent
                params[key] = json.loads(params[key])
    return params


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up on a slow answer closes its socket; that is the
        # point of a delay fault, not a failure of the stand-in.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _make_request_handler(api: FakeSlackApi) -> type[BaseHTTPRequestHandler]:
    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self._serve()

        def do_GET(self) -> None:
            self._serve()

        def _serve(self) -> None:
            arrived = time.monotonic()
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                params = parse_params(body, headers.get("content-type", ""), parts.query)
            except ValueError:
                self._send(400, {}, {"ok": False, "error": "invalid_json"})
                return
            if parts.path.startswith("/response/"):
                name = parts.path.removeprefix("/response/")
                api._record(Call(RESPONSE_URL, params, headers, arrived, name=name))
                self._send_text(200, "ok")
                return
            if not parts.path.startswith("/api/"):
                self._send_text(404, "not found")
                return
            method = parts.path.removeprefix("/api/")
            status, extra_headers, answer = api._answer_api(method, params, headers)
            api._record(Call(method, params, headers, arrived, status=status))
            self._send(status, extra_headers, answer)

        def _send(self, status: int, headers: dict[str, str], body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status, HTTPStatus(status).phrase)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _send_text(self, status: int, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the recorded calls say everything a test needs

    return RequestHandler
