"""Votes on the weekly insight, and the deliveries and votes per tip: each
workspace's own (reached through its view, bot.store.sql.workspace)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from bot.core.feedback import TipStats, Vote
from bot.store.base import DeliveryState, Workspace
from bot.store.sql.schema import deliveries, subscriptions, votes
from bot.store.sql.subscriptions import in_workspace
from bot.store.sql.transactions import Transactions, to_db


class SqlFeedback(Transactions):
    def record_vote_in(
        self,
        workspace: Workspace,
        *,
        user_id: str,
        tip_id: str,
        vote: Vote,
        channel_id: str | None,
        now: datetime,
    ) -> Vote | None:
        now = to_db(now)
        key = {
            "enterprise_id": workspace.enterprise_id,
            "team_id": workspace.team_id,
            "user_id": user_id,
            "tip_id": tip_id,
        }
        with self._tx() as connection:
            before = connection.execute(
                select(votes.c.vote).where(*(votes.c[name] == value for name, value in key.items()))
            ).scalar_one_or_none()
            statement = self._insert(votes).values(
                enterprise_id=workspace.enterprise_id,
                team_id=workspace.team_id,
                user_id=user_id,
                tip_id=tip_id,
                vote=vote.value,
                channel_id=channel_id,
                created_at=now,
                updated_at=now,
            )
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=list(key),
                    set_={"vote": vote.value, "channel_id": channel_id, "updated_at": now},
                )
            )
            return Vote(before) if before else None

    def tip_stats_in(self, workspace: Workspace) -> list[TipStats]:
        with self._tx() as connection:
            posted: dict[str, int] = {
                tip_id: count
                for tip_id, count in connection.execute(
                    select(deliveries.c.tip_id, func.count())
                    .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
                    .where(
                        in_workspace(subscriptions, workspace),
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
                    .where(in_workspace(votes, workspace))
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
