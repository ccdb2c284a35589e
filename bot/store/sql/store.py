"""bot.store.base.Store on SQLAlchemy 2.x Core: SQLite (the embedded default) or
PostgreSQL, one short transaction per method.

On SQLite every transaction begins with BEGIN IMMEDIATE, so concurrent writers
queue on the busy timeout instead of failing halfway; on PostgreSQL the unique
ledger key and compare-and-swap updates on the claim token do the arbitration.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.feedback import TipStats, Vote
from bot.core.schedule import WeeklySchedule
from bot.store.base import Delivery, Subscription, Workspace
from bot.store.sql.feedback import SqlFeedback
from bot.store.sql.ledger import SqlLedger
from bot.store.sql.subscriptions import SqlSubscriptions
from bot.store.sql.workspace import SqlWorkspaces


class SqlStore(SqlSubscriptions, SqlLedger, SqlFeedback, SqlWorkspaces):
    """bot.store.base.Store on a SQLAlchemy engine (bot.store.sql.engine opens one).

    The methods ending in `_in` take a workspace: callers outside the store reach
    them only through `workspace(ws)`, whose view names its workspace once."""

    def workspace(self, workspace: Workspace) -> SqlWorkspaceStore:
        return SqlWorkspaceStore(self, workspace)


class SqlWorkspaceStore:
    """Every method reads or changes this workspace's rows only."""

    def __init__(self, store: SqlStore, workspace: Workspace) -> None:
        self._store = store
        self._workspace = workspace

    @property
    def workspace(self) -> Workspace:
        return self._workspace

    def subscribe(
        self,
        *,
        channel_id: str,
        schedule: WeeklySchedule,
        topics: Sequence[str],
        subscribed_by: str,
        now: datetime,
    ) -> Subscription:
        return self._store.subscribe_in(
            self._workspace,
            channel_id=channel_id,
            schedule=schedule,
            topics=topics,
            subscribed_by=subscribed_by,
            now=now,
        )

    def unsubscribe(self, *, channel_id: str, now: datetime) -> bool:
        return self._store.unsubscribe_in(self._workspace, channel_id=channel_id, now=now)

    def subscription(self, channel_id: str) -> Subscription | None:
        return self._store.subscription_in(self._workspace, channel_id)

    def subscriptions(self, *, receiving_only: bool = True) -> list[Subscription]:
        return self._store.subscriptions_in(self._workspace, receiving_only=receiving_only)

    def deliveries(self, *, subscription_id: int) -> list[Delivery]:
        return self._store.deliveries_in(self._workspace, subscription_id=subscription_id)

    def record_vote(
        self, *, user_id: str, tip_id: str, vote: Vote, channel_id: str | None, now: datetime
    ) -> Vote | None:
        return self._store.record_vote_in(
            self._workspace,
            user_id=user_id,
            tip_id=tip_id,
            vote=vote,
            channel_id=channel_id,
            now=now,
        )

    def tip_stats(self) -> list[TipStats]:
        return self._store.tip_stats_in(self._workspace)
