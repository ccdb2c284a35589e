"""Votes on the weekly insight, and the deliveries and votes per tip, of one workspace."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from bot.core.feedback import TipStats, Vote
from bot.store.base import DeliveryState
from bot.store.sql.schema import deliveries, subscriptions, votes
from bot.store.sql.transactions import Scoped, to_db


class SqlFeedback(Scoped):
    def record_vote(
        self, *, user_id: str, tip_id: str, vote: Vote, channel_id: str | None, now: datetime
    ) -> Vote | None:
        now = to_db(now)
        with self._tx() as connection:
            before = connection.execute(
                select(votes.c.vote).where(
                    self._owns(votes), votes.c.user_id == user_id, votes.c.tip_id == tip_id
                )
            ).scalar_one_or_none()
            statement = self._insert(votes).values(
                **self._key,
                user_id=user_id,
                tip_id=tip_id,
                vote=vote.value,
                channel_id=channel_id,
                created_at=now,
                updated_at=now,
            )
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["enterprise_id", "team_id", "user_id", "tip_id"],
                    set_={"vote": vote.value, "channel_id": channel_id, "updated_at": now},
                )
            )
            return Vote(before) if before else None

    def tip_stats(self) -> list[TipStats]:
        with self._tx() as connection:
            posted: dict[str, int] = {
                tip_id: count
                for tip_id, count in connection.execute(
                    select(deliveries.c.tip_id, func.count())
                    .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
                    .where(
                        self._owns(subscriptions),
                        deliveries.c.state == DeliveryState.POSTED.value,
                        deliveries.c.tip_id.is_not(None),
                    )
                    .group_by(deliveries.c.tip_id)
                )
            }
            tallies: dict[tuple[str, str], int] = {
                (tip_id, vote): count
                for tip_id, vote, count in connection.execute(
                    select(votes.c.tip_id, votes.c.vote, func.count())
                    .where(self._owns(votes))
                    .group_by(votes.c.tip_id, votes.c.vote)
                )
            }
        tip_ids = set(posted) | {tip_id for tip_id, _ in tallies}
        return [
            TipStats(
                tip_id=tip_id,
                deliveries=posted.get(tip_id, 0),
                useful=tallies.get((tip_id, Vote.USEFUL.value), 0),
                not_for_me=tallies.get((tip_id, Vote.NOT_FOR_ME.value), 0),
            )
            for tip_id in sorted(tip_ids)
        ]
