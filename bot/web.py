"""HTTP mode: Bolt's `/slack/events` as a WSGI app, served by gunicorn.

The WSGI wrapper refuses oversized bodies before Bolt reads them, answers a
health check for the platform, and never lets an exception become a 500 page
with a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # Slack's own payloads are far smaller
EVENTS_PATH = "/slack/events"

StartResponse = Callable[..., Any]


def create_wsgi_app(app: App) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path in ("/healthz", "/") and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return _plain(start_response, "200 OK", "ok")
        if path != EVENTS_PATH:
            return _plain(start_response, "404 Not Found", "not found")
        if environ.get("REQUEST_METHOD") != "POST":
            return _plain(start_response, "405 Method Not Allowed", "POST only")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _plain(start_response, "400 Bad Request", "bad content length")
        if length > MAX_BODY_BYTES:
            return _plain(start_response, "413 Payload Too Large", "request body too large")
        stamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        if stamp is not None and not (stamp.isascii() and stamp.isdigit()):
            # Bolt's signature check would raise on it and answer 500; it is simply unsigned.
            return _plain(start_response, "401 Unauthorized", "invalid request signature")
        try:
            return slack(environ, start_response)
        except Exception:  # Bolt answers bad input itself; this is the last guard
            log.exception("request to %s failed", EVENTS_PATH)
            return _plain(start_response, "400 Bad Request", "bad request")

    return application


def _plain(start_response: StartResponse, status: str, body: str) -> list[bytes]:
    data = body.encode()
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))]
    )
    return [data]


def serve(
    wsgi_app: Callable[..., Iterable[bytes]],
    *,
    port: int,
    workers: int,
    threads: int,
    log_level: str,
    on_worker_start: Callable[[], None] | None = None,
) -> None:
    """Run the WSGI app under gunicorn's threaded workers, bound to 0.0.0.0:port.

    `on_worker_start` runs in each worker right after the fork: the place to
    start background threads, which a fork does not carry over.
    """
    from gunicorn.app.base import BaseApplication

    class _Server(BaseApplication):
        def load_config(self) -> None:
            options = {
                "bind": f"0.0.0.0:{port}",
                "workers": workers,
                "worker_class": "gthread",
                "threads": threads,
                "loglevel": log_level.lower(),
                "accesslog": None,
                "timeout": 30,
                "graceful_timeout": 25,  # Heroku sends SIGKILL 30 s after SIGTERM
            }
            if on_worker_start is not None:
                options["post_fork"] = lambda _server, _worker: on_worker_start()
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Callable[..., Iterable[bytes]]:
            return wsgi_app

    _Server().run()
