"""bot.store.base.Store on SQLAlchemy 2.x Core: SQLite (the embedded default) or
PostgreSQL, one short transaction per method.

On SQLite every transaction begins with BEGIN IMMEDIATE, so concurrent writers
queue on the busy timeout instead of failing halfway; on PostgreSQL the unique
ledger key and compare-and-swap updates on the claim token do the arbitration.
"""

from __future__ import annotations

from bot.store.sql.feedback import SqlFeedback
from bot.store.sql.ledger import SqlLedger
from bot.store.sql.subscriptions import SqlSubscriptions


class SqlStore(SqlSubscriptions, SqlLedger, SqlFeedback):
    """bot.store.base.Store on a SQLAlchemy engine (bot.store.sql.engine opens one)."""
