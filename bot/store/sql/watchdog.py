"""Watchdogs for PostgreSQL connections whose peer went silent.

A failover or a network partition can swallow bytes without a reset: the driver
then waits for ever, and the tick that waits blocks every later tick. Each
pooled connection is pinged with a deadline before use, and each transaction
has a deadline of its own; past either, the socket is shut down, so the wait
turns into an error and the pool opens fresh connections.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, exc

log = logging.getLogger(__name__)

PING_DEADLINE_SECONDS = 3.0  # a healthy ping takes milliseconds
TRANSACTION_DEADLINE_SECONDS = 8.0  # the store's transactions take milliseconds


def ping_with_a_deadline(engine: Engine) -> Callable[[Any, Any, Any], None]:
    """Check each pooled PostgreSQL connection before use, and give up on it in time.

    SQLAlchemy's own pre-ping waits for ever on a connection whose peer went
    silent (a failover, a partition: bytes swallowed, no reset), and the tick that
    waits blocks every later tick. Here a timer shuts the socket down if the ping
    takes too long. The connections opened alongside it are presumably as dead, so
    the whole pool is marked stale, and the pool opens fresh connections.
    """

    def ping(dbapi_connection: Any, _record: Any, proxy: Any) -> None:
        answered = threading.Event()
        timer = threading.Timer(PING_DEADLINE_SECONDS, shut_down, args=(dbapi_connection, answered))
        timer.daemon = True
        timer.start()
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.rollback()
        except Exception as error:
            engine.pool._invalidate(proxy, error, _checkin=False)  # mark the whole pool stale
            raise exc.DisconnectionError(f"pooled connection failed its ping: {error}") from error
        finally:
            answered.set()  # a late timer must not cut a connection already handed out
            timer.cancel()

    return ping


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
    timer = threading.Timer(
        TRANSACTION_DEADLINE_SECONDS,
        shut_down,
        args=(connection.connection.dbapi_connection, finished),
    )
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        finished.set()
        timer.cancel()
