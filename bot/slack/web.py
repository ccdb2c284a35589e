"""HTTP mode: Bolt's `/slack/events` as an ASGI app, served by gunicorn's asyncio workers.

The event loop reads each request whole (headers and body, however slowly they
come) before a thread runs Bolt, so a client that trickles its request ties up
a socket, not a thread. Bodies over a megabyte are refused from their
Content-Length before any of them is read; `/healthz` answers the platform; the
signature is checked before the body is parsed (bot.slack.verified_request); and no
exception becomes a 500 or a traceback page.

With many workspaces, the two OAuth pages (`/slack/install`, `/slack/oauth_redirect`)
are served here too: unsigned GETs, so they go straight to Bolt's OAuth flow, on the
same threads, never through the signature check or the body parser.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.slack.request_token import in_own_context
from bot.slack.verified_request import Refusal, verified_request

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # Slack's own payloads are far smaller
EVENTS_PATH = "/slack/events"
INVALID_SIGNATURE = '{"error": "invalid request"}'  # what Bolt answers, word for word

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class Reply:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()  # more: Set-Cookie, Location, Cache-Control


def create_asgi_app(app: App, *, signing_secret: str, threads: int) -> AsgiApp:
    """The web front of the Bolt app; Bolt runs on `threads` threads per process."""
    slack = SlackEndpoint(app, signing_secret=signing_secret)
    # No thread starts until the first request, so each forked worker makes its own.
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="web")

    async def application(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, on_shutdown=lambda: pool.shutdown(wait=False))
            return
        if scope["type"] != "http":
            return  # pmtip speaks no WebSocket
        headers = _headers(scope)
        method, path = scope["method"], scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        loop = asyncio.get_running_loop()
        reply: Reply | None
        if path in slack.oauth_paths:  # an unsigned GET from a browser: no body to read
            reply = Reply(405, "GET only")
            if method == "GET":
                reply = await loop.run_in_executor(pool, slack.oauth_page, path, query, headers)
            await _send(send, reply, head_only=False)
            return
        reply = _route(method, path, headers)
        if reply is None:
            body = await _read_body(receive)
            if body is None:
                return  # the client went away
            if len(body) > MAX_BODY_BYTES:  # sent without a Content-Length
                reply = Reply(413, "request body too large")
            else:
                reply = await loop.run_in_executor(pool, slack.answer, body, headers, query)
        await _send(send, reply, head_only=method == "HEAD")

    return application


async def _lifespan(receive: Receive, send: Send, *, on_shutdown: Callable[[], None]) -> None:
    """The server's start and stop: Bolt's threads go when the server stops."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            on_shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}


def _route(method: str, path: str, headers: dict[str, str]) -> Reply | None:
    """The answer for anything but a POST to EVENTS_PATH of a sensible size; None for that."""
    if path in ("/healthz", "/") and method in ("GET", "HEAD"):
        return Reply(200, "ok")
    if path != EVENTS_PATH:
        return Reply(404, "not found")
    if method != "POST":
        return Reply(405, "POST only")
    length = headers.get("content-length", "0").lstrip("0") or "0"
    if not (length.isascii() and length.isdigit()):
        return Reply(400, "bad content length")
    if len(length) > len(str(MAX_BODY_BYTES)) or int(length) > MAX_BODY_BYTES:
        return Reply(413, "request body too large")
    return None


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body, or None if the client disconnected. Reading stops past the limit."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY_BYTES or not message.get("more_body", False):
            return b"".join(chunks)


async def _send(send: Send, reply: Reply, *, head_only: bool) -> None:
    data = reply.body.encode()
    await send(
        {
            "type": "http.response.start",
            "status": reply.status,
            "headers": [
                (b"content-type", reply.content_type.encode("latin-1")),
                (b"content-length", str(len(data)).encode()),
                *(
                    (name.encode("latin-1"), value.encode("latin-1"))
                    for name, value in reply.headers
                ),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"" if head_only else data})


class SlackEndpoint:
    """Runs on a pool thread: signature, body, Bolt, and Bolt's answer as a Reply."""

    def __init__(self, app: App, *, signing_secret: str) -> None:
        self._app = app
        self._verifier = SignatureVerifier(signing_secret)
        flow = app.oauth_flow
        self.oauth_paths: dict[str, Callable[[BoltRequest], BoltResponse]] = (
            {}
            if flow is None
            else {
                flow.install_path: flow.handle_installation,
                flow.redirect_uri_path: flow.handle_callback,
            }
        )

    def oauth_page(self, path: str, query: str, headers: dict[str, str]) -> Reply:
        """The install page, or the outcome of an install (Bolt checks the state)."""
        try:
            request = BoltRequest(body="", query=query, headers=dict(headers.items()))
            response = self.oauth_paths[path](request)
        except Exception:  # a database that is down, say: a page that says so, no traceback
            log.exception("the OAuth page %s failed", path)
            return Reply(503, "pmtip could not complete this; try again in a minute.")
        return _page_reply(response)

    def answer(self, raw: bytes, headers: dict[str, str], query: str) -> Reply:
        try:
            return self._answer(raw, headers, query)
        except Exception:  # Bolt answers bad input itself; this is the last guard
            log.exception("request to %s failed", EVENTS_PATH)
            return Reply(400, "bad request")

    def _answer(self, raw: bytes, headers: dict[str, str], query: str) -> Reply:
        request = verified_request(raw=raw, headers=headers, query=query, verifier=self._verifier)
        if isinstance(request, Refusal):
            # One short line: unsigned junk must not be able to flood the log.
            log.warning(
                "refused a request to %s (%d): %s", EVENTS_PATH, request.status, request.reason
            )
            if request.status == 401:
                return Reply(401, INVALID_SIGNATURE, "application/json")
            return Reply(request.status, "bad request")
        response = in_own_context(self._app.dispatch, request)  # its token stays with it
        content_type = next(iter(response.headers.get("content-type", ())), "text/plain")
        return Reply(response.status, response.body, content_type)


def _page_reply(response: BoltResponse) -> Reply:
    """Bolt's answer to an OAuth page as a Reply, its cookies and redirect kept."""
    content_type = next(iter(response.headers.get("content-type", ())), "text/html")
    extra = [
        (name, value)
        for name in ("set-cookie", "location")
        for value in response.headers.get(name, ())
    ]
    # The install page carries a one-time state: no cache may keep or share it.
    extra += [("cache-control", "no-store"), ("x-content-type-options", "nosniff")]
    return Reply(response.status, response.body, content_type, tuple(extra))


def serve(
    asgi_app: AsgiApp,
    *,
    port: int,
    workers: int,
    log_level: str,
    on_worker_start: Callable[[], None] | None = None,
) -> None:
    """Run the app under gunicorn's ASGI workers, bound to 0.0.0.0:port.

    `on_worker_start` runs in each worker right after the fork: the place to
    start background threads, which a fork does not carry over.
    """
    from gunicorn.app.base import BaseApplication

    class _Server(BaseApplication):  # type: ignore[misc]  # gunicorn has no type hints
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": f"0.0.0.0:{port}",
                "workers": workers,
                "worker_class": "asgi",
                "loglevel": log_level.lower(),
                "accesslog": None,
                "timeout": 30,
                "graceful_timeout": 25,  # Heroku sends SIGKILL 30 s after SIGTERM
                # gunicorn 25+ opens a control socket at one fixed path per user
                # ($HOME/.gunicorn/gunicorn.ctl), which a second server on the host
                # would take over; pmtip does not use it.
                "control_socket_disable": True,
                # Header lines up to 4 KB (Slack's are far shorter). gunicorn 27's ASGI
                # parser reads Content-Length with int(), which raises past 4,300
                # digits: unanswered, with a traceback in the log per request.
                "limit_request_field_size": 4096,
            }
            if on_worker_start is not None:
                options["post_fork"] = lambda _server, _worker: on_worker_start()
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> AsgiApp:
            return asgi_app

    _Server().run()
