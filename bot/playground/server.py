"""The playground's HTTP server, on 127.0.0.1 only: the page, its actions, and the
two doors through which pmtip reaches "Slack" (the Web API and response_urls).

    GET  /                 the page
    GET  /state?since=N    the changing parts of the page, once the World is past N
    POST /action/<name>    what the person did (JSON): type, click, as, home, clock, reset
    GET  /static/<file>    the page's CSS and script
    *    /api/<method>     the Web API stand-in, for the bot's WebClient (token checked)
    POST /response/<key>   a response_url (the key is unguessable and per request)

A threaded stdlib server: pmtip calls /api/ on this same server while a page request
is still waiting for its acknowledgement. It serves one person on their own machine,
so it refuses any other Host (a page elsewhere cannot rebind a name to it) and any
action that is not a JSON POST from its own origin (another site cannot forge one).
"""

from __future__ import annotations

import json
import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.playground import actions
from bot.playground.config import DEFAULT_DATA_DIR
from bot.playground.driver import Playground
from bot.playground.standin import SlackError, read_params
from bot.settings import Settings

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
BODY_MAX = 1024 * 1024
LONG_POLL_SECONDS = 20.0
STATIC = {
    "blockkit.css": "text/css; charset=utf-8",
    "playground.css": "text/css; charset=utf-8",
    "playground.js": "text/javascript; charset=utf-8",
}


class PortInUse(OSError):
    pass


class PlaygroundServer(ThreadingHTTPServer):
    daemon_threads = True
    playground: Playground

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line, not socketserver's traceback on standard error."""
        log.warning("playground: a request from %s failed", client_address[0])

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"


def bind(port: int) -> PlaygroundServer:
    """A server bound to 127.0.0.1:port (0: any free port), not yet serving."""
    try:
        return PlaygroundServer((HOST, port), _Handler)
    except OSError as error:
        raise PortInUse(f"cannot listen on {HOST}:{port}: {error.strerror or error}") from None


def start(
    base: Settings, *, port: int, data_dir: Path = DEFAULT_DATA_DIR, tips_path: Path | None = None
) -> tuple[PlaygroundServer, threading.Thread]:
    """Serve the playground in a thread, the app built and ready: (server, thread)."""
    server = bind(port)
    server.playground = Playground(
        base=base, base_url=server.base_url, data_dir=data_dir, tips_path=tips_path
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="playground-http"
    )
    thread.daemon = True
    thread.start()
    try:
        server.playground.start()  # Bolt calls auth.test on the stand-in: it must be served
    except BaseException:
        stop(server)
        raise
    return server, thread


def stop(server: PlaygroundServer) -> None:
    server.shutdown()
    server.playground.close()
    server.server_close()


def serve(base: Settings, *, data_dir: Path, tips_path: Path | None) -> int:
    """`python -m bot playground`: serve until Ctrl-C (or SIGTERM, as SystemExit)."""
    server, thread = start(base, port=base.port, data_dir=data_dir, tips_path=tips_path)
    print(f"pmtip playground: open {server.base_url}/ in a browser (Ctrl-C stops it)", flush=True)
    try:
        while thread.is_alive():
            thread.join(timeout=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop(server)
    return 0


class _Handler(BaseHTTPRequestHandler):
    server: PlaygroundServer
    server_version = "pmtip-playground"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def _route(self, method: str) -> None:
        try:
            self._dispatch(method, urlsplit(self.path))
        except (BrokenPipeError, ConnectionResetError):
            return  # the browser went away (a reload during a long poll): nobody to answer
        except Exception:  # never a traceback page: one line in the log, a plain 500
            log.exception("playground request %s %s failed", method, self.path)
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, b"something went wrong", "text/plain")

    def _dispatch(self, method: str, url: Any) -> None:
        path: str = url.path
        if path.startswith("/api/"):
            self._web_api(path.removeprefix("/api/"), url.query)
        elif path.startswith("/response/") and method == "POST":
            self._response_url(path.removeprefix("/response/"))
        elif not self._own_host():
            self._send(HTTPStatus.MISDIRECTED_REQUEST, b"use http://127.0.0.1", "text/plain")
        elif path == "/" and method == "GET":
            html = actions.page(self.server.playground)
            self._send(HTTPStatus.OK, html.encode(), "text/html; charset=utf-8")
        elif path == "/state" and method == "GET":
            since = parse_qs(url.query).get("since", ["-1"])[0]
            answer = actions.state(self.server.playground, since=since, wait=LONG_POLL_SECONDS)
            self._json(HTTPStatus.OK, answer)
        elif path.startswith("/action/") and method == "POST":
            self._action(path.removeprefix("/action/"))
        elif path.startswith("/static/") and method == "GET":
            self._static(path.removeprefix("/static/"))
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")

    def _own_host(self) -> bool:
        port = self.server.port
        return self.headers.get("Host", "") in (f"{HOST}:{port}", f"localhost:{port}")

    def _body(self) -> bytes | None:
        length = self.headers.get("Content-Length", "0")
        if not length.isdigit() or int(length) > BODY_MAX:
            self._send(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, b"too large", "text/plain")
            return None
        return self.rfile.read(int(length))

    def _action(self, name: str) -> None:
        origin = self.headers.get("Origin")
        same_origin = origin is None or origin in (f"http://{self.headers.get('Host', '')}",)
        json_body = (self.headers.get("Content-Type") or "").startswith("application/json")
        if not (same_origin and json_body):
            self._send(HTTPStatus.FORBIDDEN, b"actions come from the page only", "text/plain")
            return
        body = self._body()
        if body is None:
            return
        status, answer = actions.act(self.server.playground, name, body)
        self._json(status, answer)

    def _web_api(self, method: str, query: str) -> None:
        body = self._body() if self.command == "POST" else b""
        if body is None:
            return
        standin = self.server.playground.session.standin
        try:
            params = read_params(body, content_type=self.headers.get("Content-Type"), query=query)
        except SlackError as error:
            self._json(HTTPStatus.OK, {"ok": False, "error": error.code})
            return
        self._json(
            HTTPStatus.OK,
            standin.call(method, params, authorization=self.headers.get("Authorization")),
        )

    def _response_url(self, key: str) -> None:
        body = self._body()
        if body is None:
            return
        try:
            message = json.loads(body or b"{}")
        except ValueError:
            message = None
        if not isinstance(message, dict):
            self._send(HTTPStatus.BAD_REQUEST, b"invalid_payload", "text/plain")
            return
        status, text = self.server.playground.session.standin.respond(key, message)
        self._send(HTTPStatus(status), text.encode(), "text/plain")

    def _static(self, name: str) -> None:
        content_type = STATIC.get(name)
        if content_type is None:
            self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
            return
        data = files("bot.playground").joinpath("static", name).read_bytes()
        self._send(HTTPStatus.OK, data, content_type)

    def _json(self, status: HTTPStatus, value: Any) -> None:
        self._send(status, json.dumps(value).encode(), "application/json")

    def _send(self, status: HTTPStatus, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if content_type.startswith("text/html"):
            self.send_header(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
            )
        self.end_headers()
        self.wfile.write(data)
