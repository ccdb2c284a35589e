"""A TCP proxy on 127.0.0.1 that a test can break: refuse connections (nothing
listening), reset them, swallow a request, cut the answer after the upstream has
acted on it, or sever every live connection. Put it in front of the stand-in
Slack API or of PostgreSQL to fail the network between pmtip and either."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable
from enum import Enum


class Fate(Enum):
    FORWARD = "forward"
    RESET = "reset"  # accepted, then an immediate RST: nothing reached the upstream
    SWALLOW = "swallow"  # the request is read, never forwarded, and the connection closed
    CUT_ANSWER = "cut_answer"  # forwarded; the upstream's answer is dropped and the line cut
    STALL = "stall"  # the request is read and held, unanswered, until the client gives up


class TcpProxy:
    """`TcpProxy(port_of_upstream).start()`; `decide(n)` picks the fate of connection n."""

    def __init__(
        self,
        upstream_port: int,
        *,
        upstream_host: str = "127.0.0.1",
        decide: Callable[[int], Fate] | None = None,
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.decide = decide or (lambda n: Fate.FORWARD)
        self.port = 0
        self.connections = 0  # accepted so far
        self.live = 0
        self.max_live = 0  # the most connections open at once
        self._listener: socket.socket | None = None
        self._reserved: socket.socket | None = None  # the port, held while refusing
        self._open: set[socket.socket] = set()
        self._silenced: set[socket.socket] = set()
        self._cut_below = 0  # connections numbered below this were severed
        self._lock = threading.Lock()

    # -- lifecycle ----------------------------------------------------------------

    def start(self) -> TcpProxy:
        """Listen (again, on the same port after `refuse`)."""
        listener, self._reserved = self._reserved, None
        if listener is None:
            listener = _bound_socket(self.port)
        listener.listen(128)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept_loop, args=(listener,), daemon=True).start()
        return self

    def refuse(self) -> None:
        """Stop listening: new connections are refused, as by a host with nothing on the
        port. The port stays bound (not listening), so no other process can take it
        meanwhile and answer in the proxy's place."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
            self._reserved = _bound_socket(self.port)

    def sever(self) -> None:
        """Cut every live connection, both ways, as a lost network would."""
        with self._lock:
            doomed = list(self._open)
            # Connections accepted before now but still dialling upstream are not in
            # `_open` yet: they are cut as they register (see `_track`).
            self._cut_below = self.connections
        for sock in doomed:
            _hard_close(sock)

    def silence(self) -> None:
        """Every live connection goes quiet for good: still open, its bytes swallowed,
        never answered, with no RST to tell either end. A database that failed over
        to another host, or a partition that never heals, looks like this. New
        connections are forwarded as before."""
        with self._lock:
            self._silenced |= self._open

    def wait_until_idle(self, *, timeout: float) -> None:
        """Return once no connection is open through the proxy."""
        deadline = time.monotonic() + timeout
        while self.live:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.live} connection(s) still open after {timeout}s")
            time.sleep(0.01)

    def stop(self) -> None:
        """Refuse and sever: the far end is gone (call `start` to bring it back)."""
        self.refuse()
        self.sever()

    def close(self) -> None:
        """Stop for good and let the port go."""
        self.stop()
        reserved, self._reserved = self._reserved, None
        if reserved is not None:
            reserved.close()

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def url_host(self) -> str:
        return f"127.0.0.1:{self.port}"

    # -- serving ------------------------------------------------------------------

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # refused() closed the listener
            with self._lock:
                number = self.connections
                self.connections += 1
            threading.Thread(target=self._serve, args=(client, number), daemon=True).start()

    def _serve(self, client: socket.socket, number: int) -> None:
        fate = self.decide(number)
        if fate is Fate.RESET:
            _hard_close(client)
            return
        if fate in (Fate.SWALLOW, Fate.STALL):
            with contextlib.suppress(OSError):
                client.settimeout(2)
                client.recv(65536)
                if fate is Fate.STALL:
                    client.settimeout(30)
                    while client.recv(65536):  # until the client hangs up
                        pass
            client.close()
            return
        try:
            upstream = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            _hard_close(client)
            return
        upstream.settimeout(None)
        if not self._track(client, upstream, opened=True, number=number):
            _hard_close(client)
            _hard_close(upstream)
            return
        try:
            back = threading.Thread(
                target=self._pump,
                args=(upstream, client, fate is Fate.CUT_ANSWER),
                daemon=True,
            )
            back.start()
            self._pump(client, upstream, False)
            back.join()
        finally:
            self._track(client, upstream, opened=False)
            client.close()
            upstream.close()

    def _pump(self, source: socket.socket, sink: socket.socket, cut: bool) -> None:
        try:
            while data := source.recv(65536):
                if cut:  # the upstream has acted and answered; the answer never arrives
                    _hard_close(sink)
                    _hard_close(source)
                    return
                if source in self._silenced:
                    continue  # swallowed: the other end waits for ever
                sink.sendall(data)
        except OSError:
            pass
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def _track(
        self, client: socket.socket, upstream: socket.socket, *, opened: bool, number: int = -1
    ) -> bool:
        """Register or forget a forwarded pair; False when it was severed while dialling."""
        with self._lock:
            if opened and number < self._cut_below:
                return False
            if opened:
                self._open |= {client, upstream}
                self.live += 1
                self.max_live = max(self.max_live, self.live)
            else:
                self._open -= {client, upstream}
                self._silenced -= {client, upstream}
                self.live -= 1
        return True


def _bound_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


def _hard_close(sock: socket.socket) -> None:
    """Close with an RST rather than a polite FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
