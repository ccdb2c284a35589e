"""Subscriptions: one row per channel of a workspace, ever; reading one never fails on
a bad row. `SqlSubscriptions` is one workspace's part (every statement is keyed by
it); `read_subscriptions` is shared with the store's view of all workspaces."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, select, update

from bot.core.schedule import WeeklySchedule, stored_schedule, unusable_schedule_reason
from bot.core.workspace import Workspace
from bot.store.base import Subscription
from bot.store.sql.schema import rotations, subscriptions
from bot.store.sql.transactions import Scoped, Transactions, to_db, utc

log = logging.getLogger(__name__)


class SqlSubscriptions(Scoped):
    def subscribe(
        self,
        *,
        channel_id: str,
        schedule: WeeklySchedule,
        topics: Sequence[str],
        subscribed_by: str,
        now: datetime,
    ) -> Subscription:
        now = to_db(now)
        values = {
            "weekday": schedule.day,
            "post_time": schedule.at.strftime("%H:%M"),
            "timezone": schedule.timezone,
            "topics": ",".join(topics),
            "subscribed_by": subscribed_by,
            "active": True,
            "paused_reason": None,
            "active_since": now,
            "updated_at": now,
        }
        with self._tx() as connection:
            inserted = connection.execute(
                self._insert(subscriptions)
                .values(channel_id=channel_id, created_at=now, **self._key, **values)
                .on_conflict_do_nothing(index_elements=["enterprise_id", "team_id", "channel_id"])
                .returning(subscriptions.c.id)
            ).scalar_one_or_none()
            if inserted is not None:
                connection.execute(
                    rotations.insert().values(
                        subscription_id=inserted, seed=uuid.uuid4().hex, round=0
                    )
                )
            else:
                connection.execute(
                    update(subscriptions).where(self._channel(channel_id)).values(**values)
                )
            (sub,) = read_subscriptions(
                connection, subscription_select().where(self._channel(channel_id))
            )
            return sub

    def unsubscribe(self, *, channel_id: str, now: datetime) -> bool:
        with self._tx() as connection:
            result = connection.execute(
                update(subscriptions)
                .where(self._channel(channel_id), subscriptions.c.active.is_(True))
                .values(active=False, updated_at=to_db(now))
            )
            return result.rowcount > 0

    def subscription(self, channel_id: str) -> Subscription | None:
        with self._tx() as connection:
            found = read_subscriptions(
                connection, subscription_select().where(self._channel(channel_id))
            )
        return found[0] if found else None

    def subscriptions(self, *, receiving_only: bool = True) -> list[Subscription]:
        return subscriptions_where(self, self._owns(subscriptions), receiving_only=receiving_only)

    def _channel(self, channel_id: str) -> Any:
        return and_(self._owns(subscriptions), subscriptions.c.channel_id == channel_id)


def subscriptions_where(
    transactions: Transactions, condition: Any, *, receiving_only: bool
) -> list[Subscription]:
    query = subscription_select().where(condition).order_by(subscriptions.c.id)
    if receiving_only:
        query = query.where(
            subscriptions.c.active.is_(True), subscriptions.c.paused_reason.is_(None)
        )
    with transactions._tx() as connection:
        found = read_subscriptions(connection, query)
    return [sub for sub in found if sub.receiving] if receiving_only else found


def subscription_select() -> Any:
    return select(subscriptions, rotations.c.seed).join(
        rotations, rotations.c.subscription_id == subscriptions.c.id
    )


def read_subscriptions(connection: Connection, query: Any) -> list[Subscription]:
    """The subscriptions the query selects. A row whose schedule cannot be used is
    paused here, by the first reader to see it (the update is the once-only gate
    for the log line too), so each caller gets it back paused."""
    found = []
    for row in connection.execute(query).all():
        try:
            schedule: WeeklySchedule | None = stored_schedule(
                weekday=row.weekday, post_time=row.post_time, timezone=row.timezone
            )
            pause = row.paused_reason
        except ValueError as problem:
            schedule = None
            pause = row.paused_reason or unusable_schedule_reason(str(problem))
            if row.paused_reason is None:
                _pause_unusable(connection, row, pause)
        found.append(_subscription(row, schedule=schedule, paused_reason=pause))
    return found


def _pause_unusable(connection: Connection, row: Row[Any], reason: str) -> None:
    paused = connection.execute(
        update(subscriptions)
        .where(subscriptions.c.id == row.id, subscriptions.c.paused_reason.is_(None))
        .values(paused_reason=reason)
    ).rowcount
    if paused:
        log.warning(
            "paused the weekly insight of %s in %s: its stored schedule cannot be used (%s); "
            "`/pmtip subscribe` in the channel, with a valid timezone, resumes it",
            row.channel_id,
            _workspace(row),
            reason.partition(": ")[2],
        )


def _subscription(
    row: Row[Any], *, schedule: WeeklySchedule | None, paused_reason: str | None
) -> Subscription:
    return Subscription(
        id=row.id,
        workspace=_workspace(row),
        channel_id=row.channel_id,
        schedule=schedule,
        topics=tuple(t for t in row.topics.split(",") if t),
        subscribed_by=row.subscribed_by,
        active=bool(row.active),
        paused_reason=paused_reason,
        active_since=utc(row.active_since),
        rotation_seed=row.seed,
    )


def _workspace(row: Row[Any]) -> Workspace:
    return Workspace(team_id=row.team_id, enterprise_id=row.enterprise_id)
