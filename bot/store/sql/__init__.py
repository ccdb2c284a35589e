"""The one implementation of bot.store.base.Store, on SQLAlchemy, split by concern:
`schema` (the tables), `engine` (opening SQLite or PostgreSQL), `watchdog`
(deadlines for PostgreSQL connections gone silent), `transactions` (what every
part shares), and the store itself by table: `subscriptions`, `ledger`, `feedback`.
"""

from __future__ import annotations

from bot.store.sql.engine import create_store_engine, open_store
from bot.store.sql.schema import metadata
from bot.store.sql.store import SqlStore

__all__ = ["SqlStore", "create_store_engine", "metadata", "open_store"]
