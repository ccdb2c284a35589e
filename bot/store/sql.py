"""The store on SQLAlchemy 2.x Core: SQLite (the embedded default) or PostgreSQL.

Each method is one short transaction. On SQLite every transaction begins with
BEGIN IMMEDIATE, so concurrent writers queue on the busy timeout instead of
failing halfway; on PostgreSQL the unique ledger key and compare-and-swap
updates on the claim token do the arbitration.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    create_engine,
    delete,
    event,
    exc,
    func,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from bot.core.catalogue import TIP_ID_MAX
from bot.core.schedule import WeeklySchedule, stored_schedule, unusable_schedule_reason
from bot.store import migrate
from bot.store.base import (
    Delivery,
    DeliveryState,
    RotationPosition,
    StoreError,
    StoreUnavailable,
    Subscription,
    TipStats,
    Vote,
)
from bot.store.urls import DatabaseUrlError, database_url, safe_url

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_SECONDS = 30
POSTGRES_CONNECT_TIMEOUT_SECONDS = 10
PING_DEADLINE_SECONDS = 3.0  # a healthy ping takes milliseconds
TRANSACTION_DEADLINE_SECONDS = 8.0  # the store's transactions take milliseconds

metadata = MetaData()

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel_id", String(32), nullable=False, unique=True),
    Column("weekday", Integer, nullable=False),
    Column("post_time", String(5), nullable=False),  # "HH:MM"
    Column("timezone", String(64), nullable=False),
    Column("topics", Text, nullable=False, server_default=""),  # comma-separated slugs
    Column("subscribed_by", String(32), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("paused_reason", Text, nullable=True),
    Column("active_since", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

rotations = Table(
    "rotations",
    metadata,
    Column(
        "subscription_id",
        Integer,
        ForeignKey("subscriptions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("seed", String(64), nullable=False),
    Column("round", Integer, nullable=False, server_default="0"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "subscription_id",
        Integer,
        ForeignKey("subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("slot_key", String(16), nullable=False),
    Column("slot_at", DateTime(timezone=True), nullable=False),
    Column("state", String(16), nullable=False),
    Column("claim_token", String(64), nullable=True),
    Column("tip_id", String(TIP_ID_MAX), nullable=True),
    Column("round", Integer, nullable=True),
    Column("message_ts", String(32), nullable=True),
    Column("reason", Text, nullable=True),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("subscription_id", "slot_key", name="uq_deliveries_slot"),
    Index("ix_deliveries_state_claimed_at", "state", "claimed_at"),
    Index("ix_deliveries_tip_id", "tip_id"),
)

votes = Table(
    "votes",
    metadata,
    Column("user_id", String(32), primary_key=True),
    Column("tip_id", String(TIP_ID_MAX), primary_key=True),
    Column("vote", String(16), nullable=False),
    Column("channel_id", String(32), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_votes_tip_id", "tip_id"),
)

_COUNTS_AS_DELIVERED = (DeliveryState.CLAIMED.value, DeliveryState.POSTED.value)


def create_store_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # The busy timeout is a write's deadline: SQLite retries the lock held by
        # another writer until then, and the write fails aloud after it.
        # `?timeout=SECONDS` in the URL sets it; pysqlite reads it from there.
        waits = {} if "timeout" in parsed.query else {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
        engine = create_engine(url, connect_args=waits)
        _take_write_lock_at_begin(engine)
        return engine
    engine = create_engine(
        url,
        pool_size=10,
        max_overflow=10,
        connect_args={
            "connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS,
            # A peer that vanishes without a word is noticed by the kernel.
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
        },
    )
    event.listen(engine, "checkout", _ping_with_a_deadline(engine))
    return engine


def _ping_with_a_deadline(engine: Engine) -> Callable[[Any, Any, Any], None]:
    """Check each pooled PostgreSQL connection before use, and give up on it in time.

    SQLAlchemy's own pre-ping waits for ever on a connection whose peer went
    silent (a failover, a partition: bytes swallowed, no reset), and the tick that
    waits blocks every later tick. Here a timer shuts the socket down if the ping
    takes too long. The connections opened alongside it are presumably as dead, so
    the whole pool is marked stale, and the pool opens fresh connections.
    """

    def ping(dbapi_connection: Any, _record: Any, proxy: Any) -> None:
        answered = threading.Event()
        timer = threading.Timer(
            PING_DEADLINE_SECONDS, _shut_down, args=(dbapi_connection, answered)
        )
        timer.daemon = True
        timer.start()
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.rollback()
        except Exception as error:
            engine.pool._invalidate(proxy, error, _checkin=False)  # mark the whole pool stale
            raise exc.DisconnectionError(f"pooled connection failed its ping: {error}") from error
        finally:
            answered.set()  # a late timer must not cut a connection already handed out
            timer.cancel()

    return ping


def _shut_down(dbapi_connection: Any, answered: threading.Event) -> None:
    if answered.is_set():
        return
    log.warning("a database connection stopped answering; dropping it")
    try:  # a duplicate descriptor: shutdown reaches the shared socket, close only the copy
        with socket.socket(fileno=os.dup(dbapi_connection.pgconn.socket)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except Exception:  # already closed or lost: the ping has failed or is about to
        log.debug("the silent connection was already gone")


def _take_write_lock_at_begin(engine: Engine) -> None:
    # pysqlite's own transaction handling begins late and never before DDL;
    # take control so that each transaction holds the write lock from its start.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def open_store(raw_url: str | None, *, migrate_schema: bool = True) -> SqlStore:
    """Connect, bring the schema up to date, and return the store.

    Raises StoreUnavailable, with the (password-masked) URL and the reason,
    when the database cannot be reached or upgraded.
    """
    try:
        url = database_url(raw_url)
    except DatabaseUrlError as error:
        raise StoreUnavailable(str(error)) from None
    try:
        engine = create_store_engine(url)
        if migrate_schema:
            migrate.upgrade(engine)
        else:
            with engine.connect():
                pass
        # Leave no pooled connection behind: gunicorn forks workers after this,
        # and a connection must never be shared across processes.
        engine.dispose()
    except (SQLAlchemyError, OSError) as error:
        raise StoreUnavailable(
            f"cannot use the database at {safe_url(url)}: {_first_line(error)}"
        ) from error
    return SqlStore(engine)


def _first_line(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    text_ = str(original).strip().splitlines()
    return text_[0] if text_ else type(original).__name__


def _utc(value: datetime) -> datetime:
    """Aware UTC from what the driver returns (SQLite gives naive UTC back)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _to_db(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("the store takes timezone-aware instants only")
    return value.astimezone(UTC)


class SqlStore:
    """bot.store.base.Store on a SQLAlchemy engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._dialect = engine.dialect.name

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as connection, self._deadline(connection):
                yield connection
        except OperationalError as error:
            raise StoreUnavailable(f"database error: {_first_line(error)}") from error
        except DBAPIError as error:  # refused (a value, a constraint, a trigger): rolled back
            raise StoreError(f"database error: {_first_line(error)}") from error

    @contextmanager
    def _deadline(self, connection: Connection) -> Iterator[None]:
        """On PostgreSQL, cut a transaction's connection if it outlives the deadline.

        Every transaction here takes milliseconds. One that takes seconds is waiting
        on a peer gone silent, which no driver timeout notices: cutting the socket
        turns the wait into an error, the pool drops the connection, and the next
        tick starts afresh instead of queueing behind a wait that never ends.
        """
        if self._dialect != "postgresql":
            yield
            return
        finished = threading.Event()
        timer = threading.Timer(
            TRANSACTION_DEADLINE_SECONDS,
            _shut_down,
            args=(connection.connection.dbapi_connection, finished),
        )
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            finished.set()
            timer.cancel()

    def _insert(self, table: Table) -> Any:
        dialect = postgresql if self._dialect == "postgresql" else sqlite
        return dialect.insert(table)

    def close(self) -> None:
        self.engine.dispose()

    # -- subscriptions -------------------------------------------------------

    def subscribe(
        self,
        *,
        channel_id: str,
        schedule: WeeklySchedule,
        topics: Sequence[str],
        subscribed_by: str,
        now: datetime,
    ) -> Subscription:
        now = _to_db(now)
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
                .values(channel_id=channel_id, created_at=now, **values)
                .on_conflict_do_nothing(index_elements=["channel_id"])
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
                    update(subscriptions)
                    .where(subscriptions.c.channel_id == channel_id)
                    .values(**values)
                )
            return self._subscription_where(connection, subscriptions.c.channel_id == channel_id)

    def unsubscribe(self, *, channel_id: str, now: datetime) -> bool:
        with self._tx() as connection:
            result = connection.execute(
                update(subscriptions)
                .where(subscriptions.c.channel_id == channel_id, subscriptions.c.active.is_(True))
                .values(active=False, updated_at=_to_db(now))
            )
            return result.rowcount > 0

    def subscription(self, channel_id: str) -> Subscription | None:
        with self._tx() as connection:
            found = _read_subscriptions(
                connection, _subscription_select().where(subscriptions.c.channel_id == channel_id)
            )
        return found[0] if found else None

    def subscriptions(self, *, receiving_only: bool = True) -> list[Subscription]:
        query = _subscription_select().order_by(subscriptions.c.id)
        if receiving_only:
            query = query.where(
                subscriptions.c.active.is_(True), subscriptions.c.paused_reason.is_(None)
            )
        with self._tx() as connection:
            found = _read_subscriptions(connection, query)
        return [sub for sub in found if sub.receiving] if receiving_only else found

    def pause(self, *, subscription_id: int, reason: str, now: datetime) -> None:
        with self._tx() as connection:
            connection.execute(
                update(subscriptions)
                .where(subscriptions.c.id == subscription_id)
                .values(paused_reason=reason, updated_at=_to_db(now))
            )

    def _subscription_where(self, connection: Connection, condition: Any) -> Subscription:
        (found,) = _read_subscriptions(connection, _subscription_select().where(condition))
        return found

    # -- the ledger ----------------------------------------------------------

    def deliveries(
        self,
        *,
        keys: Collection[tuple[int, str]] | None = None,
        subscription_id: int | None = None,
    ) -> list[Delivery]:
        query = select(deliveries).order_by(deliveries.c.id)
        if keys is not None:
            if not keys:
                return []
            query = query.where(
                tuple_(deliveries.c.subscription_id, deliveries.c.slot_key).in_(list(keys))
            )
        if subscription_id is not None:
            query = query.where(deliveries.c.subscription_id == subscription_id)
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
        now = _to_db(now)
        values = {
            "slot_at": _to_db(slot_at),
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
            taken = (
                connection.execute(
                    self._insert(deliveries)
                    .values(subscription_id=subscription_id, slot_key=slot_key, **values)
                    .on_conflict_do_nothing(index_elements=["subscription_id", "slot_key"])
                    .returning(deliveries.c.id)
                ).scalar_one_or_none()
                is not None
            )
            if not taken and replace_settled:
                taken = (
                    connection.execute(
                        update(deliveries)
                        .where(
                            deliveries.c.subscription_id == subscription_id,
                            deliveries.c.slot_key == slot_key,
                            deliveries.c.state.in_(
                                (DeliveryState.SKIPPED.value, DeliveryState.FAILED.value)
                            ),
                        )
                        .values(**values)
                    ).rowcount
                    > 0
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
        now = _to_db(now)
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
            updated_at=_to_db(now),
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
            updated_at=_to_db(now),
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
        now = _to_db(now)
        with self._tx() as connection:
            return bool(
                connection.execute(
                    self._insert(deliveries)
                    .values(
                        subscription_id=subscription_id,
                        slot_key=slot_key,
                        slot_at=_to_db(slot_at),
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
                deliveries.c.claimed_at < _to_db(claimed_before),
            )
            .order_by(deliveries.c.id)
        )
        with self._tx() as connection:
            return [_delivery(row) for row in connection.execute(query)]

    # -- feedback ------------------------------------------------------------

    def record_vote(
        self, *, user_id: str, tip_id: str, vote: Vote, channel_id: str | None, now: datetime
    ) -> Vote | None:
        now = _to_db(now)
        with self._tx() as connection:
            before = connection.execute(
                select(votes.c.vote).where(votes.c.user_id == user_id, votes.c.tip_id == tip_id)
            ).scalar_one_or_none()
            statement = self._insert(votes).values(
                user_id=user_id,
                tip_id=tip_id,
                vote=vote.value,
                channel_id=channel_id,
                created_at=now,
                updated_at=now,
            )
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["user_id", "tip_id"],
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
                    .where(
                        deliveries.c.state == DeliveryState.POSTED.value,
                        deliveries.c.tip_id.is_not(None),
                    )
                    .group_by(deliveries.c.tip_id)
                )
            }
            tallies: dict[tuple[str, str], int] = {
                (tip_id, vote): count
                for tip_id, vote, count in connection.execute(
                    select(votes.c.tip_id, votes.c.vote, func.count()).group_by(
                        votes.c.tip_id, votes.c.vote
                    )
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


def _subscription_select() -> Any:
    return select(subscriptions, rotations.c.seed).join(
        rotations, rotations.c.subscription_id == subscriptions.c.id
    )


def _read_subscriptions(connection: Connection, query: Any) -> list[Subscription]:
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
            "paused the weekly insight of %s: its stored schedule cannot be used (%s); "
            "`/pmtip subscribe` in the channel, with a valid timezone, resumes it",
            row.channel_id,
            reason.partition(": ")[2],
        )


def _subscription(
    row: Row[Any], *, schedule: WeeklySchedule | None, paused_reason: str | None
) -> Subscription:
    return Subscription(
        id=row.id,
        channel_id=row.channel_id,
        schedule=schedule,
        topics=tuple(t for t in row.topics.split(",") if t),
        subscribed_by=row.subscribed_by,
        active=bool(row.active),
        paused_reason=paused_reason,
        active_since=_utc(row.active_since),
        rotation_seed=row.seed,
    )


def _delivery(row: Row[Any]) -> Delivery:
    return Delivery(
        subscription_id=row.subscription_id,
        slot_key=row.slot_key,
        slot_at=_utc(row.slot_at),
        state=DeliveryState(row.state),
        claim_token=row.claim_token,
        tip_id=row.tip_id,
        round=row.round,
        message_ts=row.message_ts,
        reason=row.reason,
        claimed_at=_utc(row.claimed_at),
        updated_at=_utc(row.updated_at),
    )


__all__ = ["SqlStore", "database_url", "metadata", "open_store", "safe_url"]
