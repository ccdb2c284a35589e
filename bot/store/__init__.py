"""Persistence for subscriptions, the delivery ledger, rotation state and votes.

Program against `bot.store.base.Store`; get one with `open_store(DATABASE_URL or None)`.
Its one implementation is in bot.store.sql; the Alembic migrations are in
bot/store/migrations (bot.store.migrate runs them).
This package imports SQLAlchemy only when a store is opened, so commands that
never touch the database (`tip`, `validate`) stay fast.
"""

from __future__ import annotations

from bot.store.base import (
    Delivery,
    DeliveryState,
    RotationPosition,
    Store,
    StoreError,
    StoreUnavailable,
    Subscription,
    TipStats,
    Vote,
    Workspace,
    WorkspaceStore,
)


def open_store(raw_url: str | None, *, migrate_schema: bool = True) -> Store:
    """The store at DATABASE_URL (None: data/pmtip.sqlite3), its schema brought up to date.

    Raises StoreUnavailable with a clear, password-free message when it cannot."""
    from bot.store.sql.engine import open_store as open_sql_store

    return open_sql_store(raw_url, migrate_schema=migrate_schema)


__all__ = [
    "Delivery",
    "DeliveryState",
    "RotationPosition",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "Subscription",
    "TipStats",
    "Vote",
    "Workspace",
    "WorkspaceStore",
    "open_store",
]
