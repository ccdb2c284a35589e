"""The delivery ledger and the rotation: one row per (subscription, week), claimed by
a unique insert and settled by compare-and-swap on the claim token."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, select, tuple_, update

from bot.store.base import Delivery, DeliveryState, RotationPosition, Workspace
from bot.store.sql.schema import deliveries, rotations, subscriptions
from bot.store.sql.subscriptions import in_workspace
from bot.store.sql.transactions import Transactions, to_db, utc

_COUNTS_AS_DELIVERED = (DeliveryState.CLAIMED.value, DeliveryState.POSTED.value)


KEYS_PER_QUERY = 500  # ledger keys per query when many are read at once


class SqlLedger(Transactions):
    def deliveries(
        self,
        *,
        keys: Collection[tuple[int, str]] | None = None,
        subscription_id: int | None = None,
    ) -> list[Delivery]:
        query = select(deliveries).order_by(deliveries.c.id)
        if subscription_id is not None:
            query = query.where(deliveries.c.subscription_id == subscription_id)
        if keys is None:
            with self._tx() as connection:
                return [_delivery(row) for row in connection.execute(query)]
        wanted = list(keys)
        found: list[Delivery] = []
        # In slices: PostgreSQL turns a row IN list into nested comparisons, and ten
        # thousand of them (a fan-out to 1,000 workspaces) exceed its stack depth.
        with self._tx() as connection:
            for start in range(0, len(wanted), KEYS_PER_QUERY):
                pair = tuple_(deliveries.c.subscription_id, deliveries.c.slot_key)
                chunk = query.where(pair.in_(wanted[start : start + KEYS_PER_QUERY]))
                found += [_delivery(row) for row in connection.execute(chunk)]
        return found

    def deliveries_in(self, workspace: Workspace, *, subscription_id: int) -> list[Delivery]:
        query = (
            select(deliveries)
            .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
            .where(
                deliveries.c.subscription_id == subscription_id,
                in_workspace(subscriptions, workspace),
            )
            .order_by(deliveries.c.id)
        )
        with self._tx() as connection:
            return [_delivery(row) for row in connection.execute(query)]

    def rotation_position(self, subscription_id: int) -> RotationPosition:
        with self._tx() as connection:
            seed, round_ = connection.execute(
                select(rotations.c.seed, rotations.c.round).where(
                    rotations.c.subscription_id == subscription_id
                )
            ).one()
            counted = and_(
                deliveries.c.subscription_id == subscription_id,
                deliveries.c.state.in_(_COUNTS_AS_DELIVERED),
                deliveries.c.tip_id.is_not(None),
            )
            delivered = connection.execute(
                select(deliveries.c.tip_id).where(counted, deliveries.c.round == round_)
            ).scalars()
            previous = connection.execute(
                select(deliveries.c.tip_id)
                .where(counted)
                .order_by(deliveries.c.claimed_at.desc(), deliveries.c.id.desc())
                .limit(1)
            ).scalar_one_or_none()
            return RotationPosition(
                seed=seed,
                round=round_,
                delivered_this_round=frozenset(delivered),
                previous=previous,
            )

    def claim(
        self,
        *,
        subscription_id: int,
        slot_key: str,
        slot_at: datetime,
        tip_id: str,
        round: int,
        token: str,
        now: datetime,
        replace_settled: bool = False,
    ) -> bool:
        now = to_db(now)
        values = {
            "slot_at": to_db(slot_at),
            "state": DeliveryState.CLAIMED.value,
            "claim_token": token,
            "tip_id": tip_id,
            "round": round,
            "message_ts": None,
            "reason": None,
            "claimed_at": now,
            "updated_at": now,
        }
        with self._tx() as connection:
            key = {"subscription_id": subscription_id, "slot_key": slot_key}
            taken = self._insert_claim(connection, key, values) or (
                replace_settled and _replace_settled(connection, key, values)
            )
            if taken:
                connection.execute(
                    update(rotations)
                    .where(
                        rotations.c.subscription_id == subscription_id, rotations.c.round < round
                    )
                    .values(round=round)
                )
            return bool(taken)

    def _insert_claim(
        self, connection: Connection, key: dict[str, Any], values: dict[str, Any]
    ) -> bool:
        inserted = connection.execute(
            self._insert(deliveries)
            .values(**key, **values)
            .on_conflict_do_nothing(index_elements=["subscription_id", "slot_key"])
            .returning(deliveries.c.id)
        ).scalar_one_or_none()
        return inserted is not None

    def _settle(self, *, subscription_id: int, slot_key: str, token: str, **values: Any) -> bool:
        with self._tx() as connection:
            result = connection.execute(
                update(deliveries)
                .where(
                    deliveries.c.subscription_id == subscription_id,
                    deliveries.c.slot_key == slot_key,
                    deliveries.c.claim_token == token,
                    deliveries.c.state == DeliveryState.CLAIMED.value,
                )
                .values(**values)
            )
            return result.rowcount > 0

    def reclaim(
        self, *, subscription_id: int, slot_key: str, old_token: str, new_token: str, now: datetime
    ) -> bool:
        now = to_db(now)
        return self._settle(
            subscription_id=subscription_id,
            slot_key=slot_key,
            token=old_token,
            claim_token=new_token,
            claimed_at=now,
            updated_at=now,
        )

    def mark_posted(
        self, *, subscription_id: int, slot_key: str, token: str, message_ts: str, now: datetime
    ) -> bool:
        return self._settle(
            subscription_id=subscription_id,
            slot_key=slot_key,
            token=token,
            state=DeliveryState.POSTED.value,
            message_ts=message_ts,
            updated_at=to_db(now),
        )

    def mark_failed(
        self, *, subscription_id: int, slot_key: str, token: str, reason: str, now: datetime
    ) -> bool:
        return self._settle(
            subscription_id=subscription_id,
            slot_key=slot_key,
            token=token,
            state=DeliveryState.FAILED.value,
            reason=reason,
            updated_at=to_db(now),
        )

    def release(self, *, subscription_id: int, slot_key: str, token: str) -> bool:
        with self._tx() as connection:
            result = connection.execute(
                delete(deliveries).where(
                    deliveries.c.subscription_id == subscription_id,
                    deliveries.c.slot_key == slot_key,
                    deliveries.c.claim_token == token,
                    deliveries.c.state == DeliveryState.CLAIMED.value,
                )
            )
            return result.rowcount > 0

    def record_skipped(
        self, *, subscription_id: int, slot_key: str, slot_at: datetime, reason: str, now: datetime
    ) -> bool:
        now = to_db(now)
        with self._tx() as connection:
            return bool(
                connection.execute(
                    self._insert(deliveries)
                    .values(
                        subscription_id=subscription_id,
                        slot_key=slot_key,
                        slot_at=to_db(slot_at),
                        state=DeliveryState.SKIPPED.value,
                        reason=reason,
                        claimed_at=now,
                        updated_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["subscription_id", "slot_key"])
                    .returning(deliveries.c.id)
                ).scalar_one_or_none()
                is not None
            )

    def stale_claims(self, *, claimed_before: datetime) -> list[Delivery]:
        query = (
            select(deliveries)
            .where(
                deliveries.c.state == DeliveryState.CLAIMED.value,
                deliveries.c.claimed_at < to_db(claimed_before),
            )
            .order_by(deliveries.c.id)
        )
        with self._tx() as connection:
            return [_delivery(row) for row in connection.execute(query)]


def _delivery(row: Row[Any]) -> Delivery:
    return Delivery(
        subscription_id=row.subscription_id,
        slot_key=row.slot_key,
        slot_at=utc(row.slot_at),
        state=DeliveryState(row.state),
        claim_token=row.claim_token,
        tip_id=row.tip_id,
        round=row.round,
        message_ts=row.message_ts,
        reason=row.reason,
        claimed_at=utc(row.claimed_at),
        updated_at=utc(row.updated_at),
    )


def _replace_settled(connection: Connection, key: dict[str, Any], values: dict[str, Any]) -> bool:
    """Take a week closed as skipped or failed (an admin's post-now); never a claimed
    or posted one."""
    replaced = connection.execute(
        update(deliveries)
        .where(
            deliveries.c.subscription_id == key["subscription_id"],
            deliveries.c.slot_key == key["slot_key"],
            deliveries.c.state.in_((DeliveryState.SKIPPED.value, DeliveryState.FAILED.value)),
        )
        .values(**values)
    )
    return replaced.rowcount > 0
