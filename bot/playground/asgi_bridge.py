"""pmtip's ASGI front (`bot.slack.web.create_asgi_app`), driven in-process as a server drives it.

One event loop on a thread of its own runs the ASGI lifespan (started with the app,
shut down with it, which stops Bolt's threads) and one coroutine per request. The
playground hands it the signed request bodies it builds, with the headers a server
would pass on: so each one meets the same size limits, signature check, body
parsing (`bot.slack.verified_request`) and Bolt dispatch as a request from Slack, without a
socket in between.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from bot.slack.web import EVENTS_PATH, AsgiApp

REQUEST_SECONDS = 30.0  # far beyond Slack's 3: only a hung app is cut off


@dataclass(frozen=True, slots=True)
class AsgiReply:
    status: int
    content_type: str
    body: bytes


class InProcessAsgi:
    def __init__(self, app: AsgiApp) -> None:
        self._app = app
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="playground-asgi", daemon=True
        )
        self._thread.start()
        self._lifespan_in: asyncio.Queue[MutableMapping[str, Any]] | None = None
        self._lifespan_out: asyncio.Queue[MutableMapping[str, Any]] | None = None
        self._lifespan_task: asyncio.Future[None] | None = None

    def start(self) -> None:
        """The ASGI lifespan's startup, as a server sends it before any request."""
        self._run(self._start_lifespan())

    def close(self) -> None:
        """Lifespan shutdown (Bolt's thread pool goes), then the loop and its thread."""
        if self._loop.is_closed():
            return
        if self._lifespan_task is not None:
            self._run(self._stop_lifespan())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def post_event(self, *, body: bytes, headers: dict[str, str]) -> AsgiReply:
        """POST a Slack request to /slack/events and wait for the answer."""
        reply: AsgiReply = self._run(self._request("POST", EVENTS_PATH, body, headers))
        return reply

    def _run(self, coroutine: Any) -> Any:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout=REQUEST_SECONDS)

    async def _start_lifespan(self) -> None:
        self._lifespan_in, self._lifespan_out = asyncio.Queue(), asyncio.Queue()

        async def send(message: MutableMapping[str, Any]) -> None:
            assert self._lifespan_out is not None
            await self._lifespan_out.put(message)

        scope = {"type": "lifespan", "asgi": {"version": "3.0"}}
        self._lifespan_task = asyncio.ensure_future(self._app(scope, self._lifespan_in.get, send))
        await self._lifespan_in.put({"type": "lifespan.startup"})
        answer = await self._lifespan_out.get()
        if answer["type"] != "lifespan.startup.complete":
            raise RuntimeError(f"the app did not start: {answer}")

    async def _stop_lifespan(self) -> None:
        assert self._lifespan_in is not None and self._lifespan_out is not None
        await self._lifespan_in.put({"type": "lifespan.shutdown"})
        await self._lifespan_out.get()
        if self._lifespan_task is not None:
            await self._lifespan_task

    async def _request(
        self, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> AsgiReply:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(k.lower().encode(), v.encode("latin-1")) for k, v in headers.items()],
            "client": ("127.0.0.1", 0),
            "server": ("127.0.0.1", 0),
        }
        delivered = False

        async def receive() -> MutableMapping[str, Any]:
            nonlocal delivered
            if delivered:  # read again after the whole body: the client has gone
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        status, content_type, chunks = 0, "", []

        async def send(message: MutableMapping[str, Any]) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = int(message["status"])
                found = dict(message.get("headers") or [])
                content_type = found.get(b"content-type", b"").decode("latin-1")
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))

        await self._app(scope, receive, send)
        return AsgiReply(status, content_type, b"".join(chunks))
