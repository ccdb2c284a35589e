"""The schema: created and upgraded at start by the shipped Alembic migrations,
without losing data, and safely when several processes start at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from bot.store import Vote, open_store
from bot.store.migrate import current_revision, head_revision, upgrade
from bot.store.sql import create_store_engine, metadata
from tests.support.workspaces import WS

FIRST_REVISION = "0001"
BEFORE_WIDE_TIP_IDS = "0002"  # tip ids held 128 characters; the tips file allows more
NOW = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)


def test_the_package_ships_more_than_one_revision():
    assert head_revision() != FIRST_REVISION


def test_an_empty_database_is_brought_to_head_on_first_start(database_url):
    store = open_store(database_url)
    try:
        assert current_revision(store.engine) == head_revision()
        tables = set(inspect(store.engine).get_table_names())
        assert {"subscriptions", "rotations", "deliveries", "votes"} <= tables
    finally:
        store.close()


def test_the_migrated_schema_is_what_the_code_expects(database_url):
    store = open_store(database_url)
    try:
        with store.engine.connect() as connection:
            # slack_sdk's tables are the migrations' too: tests/store/test_slack_tables.py.
            pmtips = {"include_name": lambda name, kind, _parents: not _slack_table(name, kind)}
            context = MigrationContext.configure(connection, opts=pmtips)
            differences = compare_metadata(context, metadata)
        assert differences == []
    finally:
        store.close()


def test_a_database_at_the_first_revision_is_upgraded_without_losing_data(database_url):
    engine = create_store_engine(database_url)
    upgrade(engine, revision=FIRST_REVISION)
    assert current_revision(engine) == FIRST_REVISION
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO subscriptions (id, channel_id, weekday, post_time, timezone, topics, "
                "subscribed_by, active, paused_reason, active_since, created_at, updated_at) "
                "VALUES (7, 'COLD', 4, '10:30', 'Europe/Berlin', 'ai-fit', 'UOLD', :yes, NULL, "
                ":now, :now, :now)"
            ),
            {"now": NOW, "yes": True},
        )
        connection.execute(
            text("INSERT INTO rotations (subscription_id, seed, round) VALUES (7, 'old-seed', 2)")
        )
        connection.execute(
            text(
                "INSERT INTO deliveries (subscription_id, slot_key, slot_at, state, claim_token, "
                "tip_id, round, message_ts, reason, claimed_at, updated_at) VALUES (7, "
                "'2026-W01', :now, 'posted', 'tok', 'tip-a', 2, '1.5', NULL, :now, :now)"
            ),
            {"now": NOW},
        )
    engine.dispose()

    store = open_store(database_url)  # what a newer release does at start
    try:
        assert current_revision(store.engine) == head_revision()
        store.adopt_placeholder_rows(WS)  # what the one-workspace bot does at start
        sub = store.workspace(WS).subscription("COLD")
        assert sub is not None
        assert (sub.id, sub.schedule.day, sub.schedule.timezone) == (7, 4, "Europe/Berlin")
        assert sub.topics == ("ai-fit",) and sub.active_since == NOW
        position = store.rotation_position(7)
        assert (position.seed, position.round, position.delivered_this_round) == (
            "old-seed",
            2,
            {"tip-a"},
        )
        (delivery,) = store.deliveries(subscription_id=7)
        assert (delivery.slot_key, delivery.message_ts) == ("2026-W01", "1.5")
        # and the new revision's table works
        assert [s.deliveries for s in store.workspace(WS).tip_stats()] == [1]
    finally:
        store.close()


def test_starting_again_on_a_current_database_changes_nothing(database_url):
    open_store(database_url).close()
    store = open_store(database_url)
    try:
        assert current_revision(store.engine) == head_revision()
    finally:
        store.close()


def test_processes_starting_at_once_migrate_once_and_all_start(database_url):
    starters = 4
    barrier = threading.Barrier(starters)
    errors: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            open_store(database_url).close()
        except BaseException as error:  # collected and asserted on below
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(starters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    engine = create_store_engine(database_url)
    try:
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT count(*) FROM alembic_version")).scalar()
        assert versions == 1
    finally:
        engine.dispose()


def test_a_database_at_0002_keeps_its_rows_and_then_holds_the_longest_tip_ids(database_url):
    from bot.core.catalogue import TIP_ID_MAX

    engine = create_store_engine(database_url)
    upgrade(engine, revision=BEFORE_WIDE_TIP_IDS)
    old_id = "o" * 128  # the longest id the old columns held
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO subscriptions (id, channel_id, weekday, post_time, timezone, topics, "
                "subscribed_by, active, paused_reason, active_since, created_at, updated_at) "
                "VALUES (3, 'CWIDE', 0, '09:00', 'UTC', '', 'U1', :yes, NULL, :now, :now, :now)"
            ),
            {"now": NOW, "yes": True},
        )
        connection.execute(
            text("INSERT INTO rotations (subscription_id, seed, round) VALUES (3, 'seed', 0)")
        )
        connection.execute(
            text(
                "INSERT INTO deliveries (subscription_id, slot_key, slot_at, state, claim_token, "
                "tip_id, round, message_ts, reason, claimed_at, updated_at) VALUES (3, "
                "'2026-W01', :now, 'posted', 'tok', :tip, 0, '1.5', NULL, :now, :now)"
            ),
            {"now": NOW, "tip": old_id},
        )
        connection.execute(
            text(
                "INSERT INTO votes (user_id, tip_id, vote, channel_id, created_at, updated_at) "
                "VALUES ('U9', :tip, 'useful', 'CWIDE', :now, :now)"
            ),
            {"now": NOW, "tip": old_id},
        )
    engine.dispose()

    store = open_store(database_url)
    try:
        assert current_revision(store.engine) == head_revision()
        store.adopt_placeholder_rows(WS)
        (row,) = store.deliveries(subscription_id=3)
        assert (row.tip_id, row.message_ts, row.state.value) == (old_id, "1.5", "posted")
        assert [(s.tip_id, s.deliveries, s.useful) for s in store.workspace(WS).tip_stats()] == [
            (old_id, 1, 1)
        ]
        longest = "n" * TIP_ID_MAX
        assert store.claim(
            subscription_id=3,
            slot_key="2026-W02",
            slot_at=NOW,
            tip_id=longest,
            round=0,
            token="t2",
            now=NOW,
        )
        store.workspace(WS).record_vote(
            user_id="U9", tip_id=longest, vote=Vote.USEFUL, channel_id=None, now=NOW
        )
        assert store.rotation_position(3).previous == longest
        assert {s.tip_id for s in store.workspace(WS).tip_stats()} == {old_id, longest}
    finally:
        store.close()


def _slack_table(name: str | None, kind: str) -> bool:
    return kind == "table" and (name or "").startswith("slack_")
