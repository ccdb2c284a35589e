"""Persistence for subscriptions, the delivery ledger, rotation state and votes.

Use `open_store(settings.database_url.reveal() or None)`; program against
`bot.store.base.Store`.
"""

from bot.store.base import (
    Delivery,
    DeliveryState,
    RotationPosition,
    Store,
    StoreUnavailable,
    Subscription,
    TipStats,
    Vote,
)
from bot.store.sql import SqlStore, open_store

__all__ = [
    "Delivery",
    "DeliveryState",
    "RotationPosition",
    "SqlStore",
    "Store",
    "StoreUnavailable",
    "Subscription",
    "TipStats",
    "Vote",
    "open_store",
]
