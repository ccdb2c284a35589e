"""Bring the database schema up to date with the Alembic migrations shipped in the package.

Safe when several processes start at once: the upgrade runs inside one
transaction that first takes a lock (an advisory lock on PostgreSQL, an
immediate write lock on SQLite), so the second process waits, then finds the
schema current and does nothing.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Any constant will do, as long as nothing else in the database uses it.
_ADVISORY_LOCK_KEY = 0x706D746970  # "pmtip"


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    if head is None:  # pragma: no cover - the package always ships revisions
        raise RuntimeError("no migrations found")
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, *, revision: str = "head") -> None:
    """Apply every migration up to `revision`, holding the migration lock."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Released when this transaction ends.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY}
            )
        command.upgrade(alembic_config(connection), revision)
