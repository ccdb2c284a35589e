"""A stand-in for Slack's Socket Mode WebSocket endpoint on 127.0.0.1, for end-to-end tests.

Stdlib only (socket + threading). It speaks just enough RFC 6455 for a Socket
Mode client: the opening handshake (Sec-WebSocket-Accept), unmasked text frames
to the client, masked frames from it (text, ping, pong, close; fragments are
joined), a pong for every ping and a close for a close. Like Slack, it sends a
`hello` on each new connection, then whatever envelopes the test hands it, and
records every message the client sends back (the acknowledgements).

Aim the app at it through the Web API stand-in:

    api.set_handler("apps.connections.open", server.connections_open)

slack_sdk's built-in client (slack_sdk/socket_mode/builtin) opens a plain TCP
socket whenever the URL's port is not 443 (whatever the scheme), so the
`ws://127.0.0.1:PORT/link` URL this server hands out needs no TLS. That client
waits for more bytes when a frame is 2 bytes or shorter, so every control frame
this server sends carries a payload (a close always has its status code).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.support.signing import event_body, slash_command_body

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455, section 1.3
OP_CONTINUATION, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA
CLOSE_NORMAL, CLOSE_PROTOCOL_ERROR = 1000, 1002
MAX_HANDSHAKE = 16 * 1024


def accept_key(key: str) -> str:
    """The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def encode_frame(opcode: int, payload: bytes, *, mask: bytes | None = None) -> bytes:
    """One final frame; masked when `mask` (4 bytes) is given, as a client must."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, length)
    if mask is None:
        return header + payload
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return header[:1] + bytes([header[1] | 0x80]) + header[2:] + mask + masked


class ProtocolError(Exception):
    pass


@dataclass(frozen=True)
class Handshake:
    path: str  # the request target, query included
    headers: dict[str, str]  # lower-cased names


@dataclass(frozen=True)
class Received:
    message: dict[str, Any]  # a text frame from the client, as JSON
    connection: int  # which connection (0 = the first) it came on
    at: float  # time.monotonic()


@dataclass
class _Connection:
    number: int
    sock: socket.socket
    send_lock: threading.Lock = field(default_factory=threading.Lock)
    open: bool = True
    close_sent: bool = False
    pongs: list[bytes] = field(default_factory=list)

    def send_frame(self, opcode: int, payload: bytes) -> None:
        with self.send_lock:
            if opcode == OP_CLOSE:
                if self.close_sent:
                    return
                self.close_sent = True
            self.sock.sendall(encode_frame(opcode, payload))


class SocketModeServer:
    """Start it (or use it as a context manager), then hand out `url`."""

    def __init__(self, *, path: str = "/link", app_id: str = "A1") -> None:
        self.path = path
        self.app_id = app_id
        self.handshakes: list[Handshake] = []
        self.connections_opened = 0  # apps.connections.open calls answered
        self._received: list[Received] = []
        self._connections: list[_Connection] = []
        self._changed = threading.Condition()
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._ids = itertools.count(1)

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> SocketModeServer:
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(0.05)
        self._listener = listener
        self._spawn(self._accept_loop, listener)
        return self

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        for connection in self._snapshot():
            self._close(connection, CLOSE_NORMAL, "server stopping")
        for thread in self._threads:
            thread.join(timeout=2)

    def __enter__(self) -> SocketModeServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._listener is None:
            raise RuntimeError("the Socket Mode stand-in is not started")
        return self._listener.getsockname()[1]

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{self.path}?ticket={uuid.uuid4()}"

    def connections_open(
        self, params: dict[str, Any]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        """A FakeSlackApi handler for `apps.connections.open`: a fresh URL to this server."""
        with self._changed:
            self.connections_opened += 1
        return 200, {}, {"ok": True, "url": self.url}

    # -- what the test does ----------------------------------------------------------

    def wait_until_connected(self, *, count: int = 1, timeout: float = 10.0) -> None:
        """Wait until `count` connections have been opened (and greeted) in all."""
        self._wait(lambda: len(self._connections) >= count, timeout, f"{count} connection(s)")

    def wait_until_disconnected(self, *, timeout: float = 10.0) -> None:
        """Wait until no connection is open (the client closed or went away)."""
        self._wait(lambda: not any(c.open for c in self._connections), timeout, "no connection")

    @property
    def open_connections(self) -> int:
        return sum(1 for c in self._snapshot() if c.open)

    def send(self, message: dict[str, Any]) -> None:
        """Send a JSON text frame on the newest open connection."""
        self._newest_open().send_frame(OP_TEXT, json.dumps(message).encode())

    def envelope(
        self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool, **extra: Any
    ) -> str:
        """Send an envelope as Slack does; its envelope_id."""
        envelope_id = f"{uuid.uuid4()}-{next(self._ids)}"
        self.send(
            {
                "envelope_id": envelope_id,
                "payload": payload,
                "type": kind,
                "accepts_response_payload": accepts_response_payload,
                **extra,
            }
        )
        return envelope_id

    def slash_command(self, text: str, *, response_url: str, **fields: Any) -> str:
        """`/pmtip <text>` with every field Slack sends (tests.support.signing's)."""
        body = slash_command_body(text, response_url=response_url, **fields)
        payload = dict(parse_qsl(body.decode(), keep_blank_values=True))
        return self.envelope("slash_commands", payload, accepts_response_payload=True)

    def interactive(self, payload: dict[str, Any]) -> str:
        """An `interactive` envelope (block_actions and the like)."""
        return self.envelope("interactive", payload, accepts_response_payload=False)

    def event(self, event: dict[str, Any], **fields: Any) -> str:
        """An `events_api` envelope around an event_callback (tests.support.signing's)."""
        payload = json.loads(event_body(event, **fields))
        return self.envelope(
            "events_api",
            payload,
            accepts_response_payload=False,
            retry_attempt=0,
            retry_reason="",
        )

    def disconnect_request(self, reason: str = "refresh_requested") -> None:
        """Slack's warning that it will close this connection; the client should reconnect."""
        self.send({"type": "disconnect", "reason": reason, "debug_info": {"host": "stand-in"}})

    def ping(self, payload: bytes = b"stand-in-ping", *, timeout: float = 5.0) -> None:
        """Ping the newest connection and wait for its pong with the same payload."""
        connection = self._newest_open()
        connection.send_frame(OP_PING, payload)
        self._wait(lambda: payload in connection.pongs, timeout, "a pong")

    def received(self) -> list[Received]:
        with self._changed:
            return list(self._received)

    def ack(self, envelope_id: str, *, timeout: float = 5.0) -> dict[str, Any]:
        """Wait for the client's acknowledgement of `envelope_id`; the whole message."""

        def found() -> dict[str, Any] | None:
            return next(
                (r.message for r in self._received if r.message.get("envelope_id") == envelope_id),
                None,
            )

        self._wait(lambda: found() is not None, timeout, f"the ack of {envelope_id}")
        with self._changed:
            acked = found()
        assert acked is not None
        return acked

    # -- serving ---------------------------------------------------------------------

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _snapshot(self) -> list[_Connection]:
        with self._changed:
            return list(self._connections)

    def _newest_open(self) -> _Connection:
        open_ones = [c for c in self._snapshot() if c.open]
        if not open_ones:
            raise AssertionError("no client is connected to the Socket Mode stand-in")
        return open_ones[-1]

    def _wait(self, ready: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not ready():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"waited {timeout}s for {what}; connections: {len(self._connections)}, "
                        f"messages from the client: {[r.message for r in self._received]}"
                    )
                self._changed.wait(min(left, 0.05))

    def _accept_loop(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed by stop()
            sock.settimeout(None)
            self._spawn(self._serve, sock)

    def _serve(self, sock: socket.socket) -> None:
        reader = _Reader(sock)
        try:
            handshake = self._handshake(sock, reader)
        except (ProtocolError, OSError):
            sock.close()
            return
        with self._changed:
            connection = _Connection(number=len(self._connections), sock=sock)
            self.handshakes.append(handshake)
        connection.send_frame(OP_TEXT, json.dumps(self._hello()).encode())
        with self._changed:
            self._connections.append(connection)
            self._changed.notify_all()
        try:
            self._read_frames(connection, reader)
        except ProtocolError as error:
            self._close(connection, CLOSE_PROTOCOL_ERROR, str(error)[:100])
        except OSError:
            pass
        finally:
            with self._changed:
                connection.open = False
                self._changed.notify_all()
            sock.close()

    def _handshake(self, sock: socket.socket, reader: _Reader) -> Handshake:
        head = reader.read_until(b"\r\n\r\n", limit=MAX_HANDSHAKE).decode("latin-1")
        request_line, *header_lines = head.split("\r\n")
        headers = {}
        for line in header_lines:
            name, colon, value = line.partition(":")
            if colon:
                headers[name.strip().lower()] = value.strip()
        method, target, version = [*request_line.split(" "), "", "", ""][:3]
        key = headers.get("sec-websocket-key", "")
        problem = None
        if method != "GET" or version != "HTTP/1.1":
            problem = "not an HTTP/1.1 GET"
        elif urlsplit(target).path != self.path:
            problem = f"no Socket Mode endpoint at {target}"
        elif (
            headers.get("upgrade", "").lower() != "websocket"
            or "upgrade" not in headers.get("connection", "").lower()
        ):
            problem = "not a WebSocket upgrade"
        elif headers.get("sec-websocket-version") != "13":
            problem = "only WebSocket version 13 is spoken here"
        elif len(_b64decode(key)) != 16:
            problem = "Sec-WebSocket-Key is not 16 bytes in base64"
        if problem:
            body = problem.encode()
            sock.sendall(
                b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            raise ProtocolError(problem)
        sock.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\n"
                "Upgrade: websocket\r\n"
                "Connection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept_key(key)}\r\n\r\n"
            ).encode()
        )
        return Handshake(path=target, headers=headers)

    def _hello(self) -> dict[str, Any]:
        return {
            "type": "hello",
            "num_connections": self.open_connections + 1,
            "debug_info": {
                "host": "applink-stand-in",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.app_id},
        }

    def _read_frames(self, connection: _Connection, reader: _Reader) -> None:
        fragments: list[bytes] = []
        fragment_opcode: int | None = None
        while True:
            fin, opcode, payload = _read_frame(reader)
            if opcode == OP_PING:
                connection.send_frame(OP_PONG, payload)
            elif opcode == OP_PONG:
                with self._changed:
                    connection.pongs.append(payload)
                    self._changed.notify_all()
            elif opcode == OP_CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else CLOSE_NORMAL
                connection.send_frame(OP_CLOSE, struct.pack("!H", code))  # echo, then hang up
                return
            elif opcode in (OP_TEXT, OP_BINARY, OP_CONTINUATION):
                if opcode == OP_CONTINUATION:
                    if fragment_opcode is None:
                        raise ProtocolError("continuation without a first fragment")
                elif fragment_opcode is not None:
                    raise ProtocolError("a new message inside a fragmented one")
                else:
                    fragment_opcode = opcode
                fragments.append(payload)
                if fin:
                    data, kind = b"".join(fragments), fragment_opcode
                    fragments, fragment_opcode = [], None
                    if kind == OP_TEXT:
                        self._record(connection, data)
            else:
                raise ProtocolError(f"unknown opcode {opcode:#x}")

    def _record(self, connection: _Connection, data: bytes) -> None:
        try:
            message = json.loads(data.decode("utf-8"))
        except ValueError as error:
            raise ProtocolError(f"a text frame that is not JSON: {data[:80]!r}") from error
        if not isinstance(message, dict):
            raise ProtocolError(f"a JSON message that is not an object: {message!r}")
        with self._changed:
            self._received.append(Received(message, connection.number, time.monotonic()))
            self._changed.notify_all()

    def _close(self, connection: _Connection, code: int, reason: str) -> None:
        if connection.open:
            with contextlib.suppress(OSError):
                connection.send_frame(OP_CLOSE, struct.pack("!H", code) + reason.encode())
            with contextlib.suppress(OSError):
                connection.sock.shutdown(socket.SHUT_RDWR)  # its reader sees the end


class _Reader:
    """Buffered exact reads from a socket; EOF is a ConnectionError."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = b""

    def _fill(self) -> None:
        chunk = self._sock.recv(65536)
        if not chunk:
            raise ConnectionError("the client closed the connection")
        self._buffer += chunk

    def read_until(self, marker: bytes, *, limit: int) -> bytes:
        while marker not in self._buffer:
            if len(self._buffer) > limit:
                raise ProtocolError("the handshake is too long")
            self._fill()
        head, _, self._buffer = self._buffer.partition(marker)
        return head

    def read(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill()
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def _read_frame(reader: _Reader) -> tuple[bool, int, bytes]:
    """(fin, opcode, unmasked payload) of the next client frame."""
    first, second = reader.read(2)
    if first & 0x70:
        raise ProtocolError("reserved bits set without an extension")
    fin, opcode = bool(first & 0x80), first & 0x0F
    if not second & 0x80:
        raise ProtocolError("a client frame must be masked")  # RFC 6455, section 5.1
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", reader.read(2))
    elif length == 127:
        (length,) = struct.unpack("!Q", reader.read(8))
    if opcode >= OP_CLOSE and (length > 125 or not fin):
        raise ProtocolError("a control frame must be final and at most 125 bytes")
    mask = reader.read(4)
    payload = reader.read(length)
    return fin, opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _b64decode(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        return b""
