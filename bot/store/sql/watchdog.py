"""Watchdogs for PostgreSQL connections whose peer went silent.

A failover or a network partition can swallow bytes without a reset: the driver
then waits for ever, and the tick that waits blocks every later tick. Each
pooled connection is pinged with a deadline before use, and each transaction
has a deadline of its own; past either, the socket is shut down, so the wait
turns into an error and the pool opens fresh connections.

One thread per process keeps every deadline (`WATCHDOG`): a timer thread per
transaction cost a fifth of a clock's CPU in a fan-out to 1,000 workspaces.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, exc

log = logging.getLogger(__name__)

PING_DEADLINE_SECONDS = 3.0  # a healthy ping takes milliseconds
FRESH_SECONDS = 1.0  # a connection checked in this recently is not pinged again
LAST_USED = "pmtip_checked_in_at"  # in the pool record's info: when it was given back
TRANSACTION_DEADLINE_SECONDS = 8.0  # the store's transactions take milliseconds


class Watchdog:
    """Runs an action when its deadline passes, unless its event was set first.

    One daemon thread, started in the process that first arms it (and again after a
    fork: gunicorn's workers do not inherit threads). Finished deadlines are dropped
    when they come up, so the heap holds at most the deadlines of the last few
    seconds."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._due: list[tuple[float, int, threading.Event, Callable[[], None]]] = []
        self._order = itertools.count()
        self._pid: int | None = None
        # A fork may happen while the parent's thread holds the lock: the child starts
        # with a fresh lock and no deadlines (its connections are its own).
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._changed = threading.Condition()
        self._due, self._pid = [], None

    def arm(self, seconds: float, done: threading.Event, action: Callable[[], None]) -> None:
        entry = (time.monotonic() + seconds, next(self._order), done, action)
        with self._changed:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                threading.Thread(target=self._run, daemon=True, name="pmtip-db-watchdog").start()
            heapq.heappush(self._due, entry)
            if self._due[0] is entry:  # sooner than all the others: wake the thread
                self._changed.notify()

    def _run(self) -> None:
        while True:
            with self._changed:
                while True:
                    while self._due and self._due[0][2].is_set():
                        heapq.heappop(self._due)
                    now = time.monotonic()
                    if self._due and self._due[0][0] <= now:
                        _, _, done, action = heapq.heappop(self._due)
                        break
                    self._changed.wait(self._due[0][0] - now if self._due else None)
            if not done.is_set():
                try:
                    action()
                except Exception:  # the watchdog must outlive any one action
                    log.exception("a database watchdog action failed")


WATCHDOG = Watchdog()


def ping_with_a_deadline(engine: Engine) -> Callable[[Any, Any, Any], None]:
    """Check each pooled PostgreSQL connection before use, and give up on it in time.

    SQLAlchemy's own pre-ping waits for ever on a connection whose peer went
    silent (a failover, a partition: bytes swallowed, no reset), and the tick that
    waits blocks every later tick. Here a timer shuts the socket down if the ping
    takes too long. The connections opened alongside it are presumably as dead, so
    the whole pool is marked stale, and the pool opens fresh connections.
    """

    def ping(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        # A connection given back moments ago answered then: no round trip to ask
        # again (a fan-out checks connections out thousands of times a minute). One
        # that went silent since is still cut by its transaction's deadline.
        if time.monotonic() - record.info.get(LAST_USED, float("-inf")) < FRESH_SECONDS:
            return
        answered = threading.Event()
        WATCHDOG.arm(
            PING_DEADLINE_SECONDS,
            answered,
            functools.partial(shut_down, dbapi_connection, answered),
        )
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.rollback()
        except Exception as error:
            engine.pool._invalidate(proxy, error, _checkin=False)  # mark the whole pool stale
            raise exc.DisconnectionError(f"pooled connection failed its ping: {error}") from error
        finally:
            answered.set()  # a late deadline must not cut a connection already handed out

    return ping


def remember_checkin(_dbapi_connection: Any, record: Any) -> None:
    """When a connection goes back to the pool (see `ping_with_a_deadline`)."""
    if record is not None:
        record.info[LAST_USED] = time.monotonic()


def shut_down(dbapi_connection: Any, answered: threading.Event) -> None:
    if answered.is_set():
        return
    log.warning("a database connection stopped answering; dropping it")
    try:  # a duplicate descriptor: shutdown reaches the shared socket, close only the copy
        with socket.socket(fileno=os.dup(dbapi_connection.pgconn.socket)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except Exception:  # already closed or lost: the ping has failed or is about to
        log.debug("the silent connection was already gone")


@contextmanager
def transaction_deadline(connection: Connection) -> Iterator[None]:
    """Cut the transaction's connection if it outlives TRANSACTION_DEADLINE_SECONDS.

    Every transaction here takes milliseconds. One that takes seconds is waiting
    on a peer gone silent, which no driver timeout notices: cutting the socket
    turns the wait into an error, the pool drops the connection, and the next
    tick starts afresh instead of queueing behind a wait that never ends.
    """
    finished = threading.Event()
    dbapi_connection = connection.connection.dbapi_connection
    WATCHDOG.arm(
        TRANSACTION_DEADLINE_SECONDS,
        finished,
        functools.partial(shut_down, dbapi_connection, finished),
    )
    try:
        yield
    finally:
        finished.set()
