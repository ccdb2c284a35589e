"""Opening the database: the engine for SQLite or PostgreSQL, set up for how pmtip
uses it, and `open_store`, which brings the schema up to date first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.store import migrate
from bot.store.base import StoreUnavailable
from bot.store.sql.store import SqlStore
from bot.store.sql.transactions import first_line
from bot.store.sql.watchdog import ping_with_a_deadline, remember_checkin
from bot.store.urls import DatabaseUrlError, database_url, safe_url

SQLITE_BUSY_TIMEOUT_SECONDS = 30
POSTGRES_CONNECT_TIMEOUT_SECONDS = 10


def create_store_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # The busy timeout is a write's deadline: SQLite retries the lock held by
        # another writer until then, and the write fails aloud after it.
        # `?timeout=SECONDS` in the URL sets it; pysqlite reads it from there.
        waits = {} if "timeout" in parsed.query else {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
        engine = create_engine(url, connect_args=waits)
        _take_write_lock_at_begin(engine)
        return engine
    engine = create_engine(
        url,
        pool_size=10,
        max_overflow=10,
        connect_args={
            "connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS,
            # A peer that vanishes without a word is noticed by the kernel.
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
        },
    )
    event.listen(engine, "checkout", ping_with_a_deadline(engine))
    event.listen(engine, "checkin", remember_checkin)
    return engine


def _take_write_lock_at_begin(engine: Engine) -> None:
    # pysqlite's own transaction handling begins late and never before DDL;
    # take control so that each transaction holds the write lock from its start.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def open_store(raw_url: str | None, *, migrate_schema: bool = True) -> SqlStore:
    """Connect, bring the schema up to date, and return the store.

    Raises StoreUnavailable, with the (password-masked) URL and the reason,
    when the database cannot be reached or upgraded.
    """
    try:
        url = database_url(raw_url)
    except DatabaseUrlError as error:
        raise StoreUnavailable(str(error)) from None
    try:
        engine = create_store_engine(url)
        if migrate_schema:
            migrate.upgrade(engine)
        else:
            with engine.connect():
                pass
        # Leave no pooled connection behind: gunicorn forks workers after this,
        # and a connection must never be shared across processes.
        engine.dispose()
    except (SQLAlchemyError, OSError) as error:
        raise StoreUnavailable(
            f"cannot use the database at {safe_url(url)}: {first_line(error)}"
        ) from error
    return SqlStore(engine)
