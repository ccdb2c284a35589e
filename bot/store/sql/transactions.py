"""What every part of the SQL store shares: one short transaction per method, the
database's errors turned into StoreError, and instants kept in UTC."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.store.base import StoreError, StoreUnavailable
from bot.store.sql.watchdog import transaction_deadline


def first_line(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    lines = str(original).strip().splitlines()
    return lines[0] if lines else type(original).__name__


def utc(value: datetime) -> datetime:
    """Aware UTC from what the driver returns (SQLite gives naive UTC back)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_db(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("the store takes timezone-aware instants only")
    return value.astimezone(UTC)


class Transactions:
    """The engine, and a transaction per call. On SQLite each begins with BEGIN
    IMMEDIATE (see bot.store.sql.engine), so writers queue instead of failing
    halfway; on PostgreSQL each has a deadline (bot.store.sql.watchdog)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._dialect = engine.dialect.name

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as connection, self._deadline(connection):
                yield connection
        except OperationalError as error:
            raise StoreUnavailable(f"database error: {first_line(error)}") from error
        except DBAPIError as error:  # refused (a value, a constraint, a trigger): rolled back
            raise StoreError(f"database error: {first_line(error)}") from error

    @contextmanager
    def _deadline(self, connection: Connection) -> Iterator[None]:
        if self._dialect != "postgresql":
            yield
            return
        with transaction_deadline(connection):
            yield

    def _insert(self, table: Table) -> Any:
        dialect = postgresql if self._dialect == "postgresql" else sqlite
        return dialect.insert(table)

    def close(self) -> None:
        self.engine.dispose()
