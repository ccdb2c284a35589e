"""Databases for store and delivery tests: a fresh SQLite file, or a fresh
PostgreSQL database created on the server named by TEST_DATABASE_URL (and
dropped afterwards). Without TEST_DATABASE_URL the PostgreSQL cases skip,
saying why."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]
SKIP_REASON = (
    "TEST_DATABASE_URL is not set; set it to a PostgreSQL server you may create databases on, "
    "e.g. postgresql://postgres@127.0.0.1:5432/test, to run the PostgreSQL cases"
)


def server_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


def _admin_dsn(url: str) -> str:
    """A libpq DSN for the server's maintenance connection (psycopg, not SQLAlchemy)."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database (pmtip_test_<random>), dropped after."""
    import psycopg

    base = server_url()
    if base is None:
        pytest.skip(SKIP_REASON)
    admin = _admin_dsn(base)
    name = f"pmtip_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(admin), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with psycopg.connect(_libpq(admin), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'pmtip.sqlite3'}"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    return request.getfixturevalue("fresh_postgres")


def hold_sqlite_write_lock(path: Path) -> sqlite3.Connection:
    """Another writer on the SQLite file, in a transaction holding the write lock until
    the returned connection commits, rolls back or closes (from any thread)."""
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    return writer


def corrupt_subscription(engine: Any, channel_id: str, **values: Any) -> None:
    """Write values into a subscription row behind the store's back (a hand edit, a
    restore on a host whose tzdata lacks the zone)."""
    from sqlalchemy import text

    assignments = ", ".join(f"{column} = :{column}" for column in values)
    with engine.begin() as connection:
        connection.execute(
            text(f"UPDATE subscriptions SET {assignments} WHERE channel_id = :channel_id"),
            {**values, "channel_id": channel_id},
        )
