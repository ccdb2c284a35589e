"""Bring the database schema up to date with the Alembic migrations in bot/store/migrations.

Safe when several processes start at once: the upgrade runs inside one
transaction that first takes a lock (an advisory lock on PostgreSQL, an
immediate write lock on SQLite), so the second process waits, then finds the
schema current and does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)
# Alembic narrates each plugin (at import) and each step at INFO; our one line says enough.
logging.getLogger("alembic").setLevel(logging.WARNING)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any constant will do, as long as nothing else in the database uses it.
_ADVISORY_LOCK_KEY = 0x706D746970  # "pmtip"


def alembic_config(connection: Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    if head is None:  # pragma: no cover - the package always ships revisions
        raise RuntimeError("no migrations found")
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def _foreign_keys_off_on_sqlite(connection: Connection) -> Iterator[None]:
    """SQLite copies a table to change it (batch mode) and drops the old one; with
    foreign keys on, that drop deletes every row that refers to it (ON DELETE
    CASCADE). The pragma is ignored inside a transaction: set it before the BEGIN."""
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        driver.execute("PRAGMA foreign_keys = ON")


def _check_foreign_keys(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":  # what the copies would have refused
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            raise RuntimeError(f"the migration left rows that refer to nothing: {broken[:5]}")


def upgrade(engine: Engine, *, revision: str = "head") -> None:
    """Apply every migration up to `revision`, holding the migration lock."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    with (
        engine.connect() as connection,
        _foreign_keys_off_on_sqlite(connection),
        connection.begin(),
    ):
        if connection.dialect.name == "postgresql":
            # Released when this transaction ends.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY}
            )
        before = MigrationContext.configure(connection).get_current_revision()
        command.upgrade(alembic_config(connection), revision)
        after = MigrationContext.configure(connection).get_current_revision()
        _check_foreign_keys(connection)
    if before != after:
        log.info("database schema upgraded from %s to %s", before or "empty", after)
