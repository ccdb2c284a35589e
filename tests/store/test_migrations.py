"""The schema: created and upgraded at start by the shipped Alembic migrations,
without losing data, and safely when several processes start at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, MetaData, String, inspect, text

from bot.core.schedule import WeeklySchedule
from bot.store import Vote, open_store
from bot.store.migrate import current_revision, head_revision, upgrade
from bot.store.sql import create_store_engine, metadata
from tests.support.workspaces import ONE, OTHER

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


def _expected_schema() -> MetaData:
    """pmtip's tables and slack_sdk's own definitions of its OAuth tables, as the
    installed slack_sdk builds them (default names)."""
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    expected = MetaData()
    for table in metadata.tables.values():
        table.to_metadata(expected)
    installations = SQLAlchemyInstallationStore
    installations.build_installations_table(
        expected, installations.default_installations_table_name
    )
    installations.build_bots_table(expected, installations.default_bots_table_name)
    states = SQLAlchemyOAuthStateStore
    states.build_oauth_states_table(expected, states.default_table_name)
    return expected


def test_the_migrated_schema_is_what_the_code_and_slack_sdk_expect(database_url):
    """Columns, types, nullability, keys and indexes: pmtip's tables against
    bot.store.sql.schema, and slack_sdk's installation and state tables against the
    installed slack_sdk, so that an upgrade of slack_sdk that changes them fails here."""
    store = open_store(database_url)
    try:
        with store.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, _expected_schema())
        assert differences == []
    finally:
        store.close()


def test_the_drift_test_would_see_a_changed_slack_sdk_table(database_url):
    store = open_store(database_url)
    try:
        expected = _expected_schema()
        expected.tables["slack_bots"].append_column(Column("bot_nickname", String(80)))
        expected.tables["slack_oauth_states"].c.state.type = String(400)
        with store.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, expected)
        kinds = sorted(str(d[0][0] if isinstance(d, list) else d[0]) for d in differences)
        assert kinds == ["add_column", "modify_type"]
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
        assert store.adopt_placeholder_rows(ONE) == 1  # what a one-workspace start does
        sub = store.workspace(ONE).subscription("COLD")
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
        assert [s.deliveries for s in store.workspace(ONE).tip_stats()] == [1]
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
        store.adopt_placeholder_rows(ONE)
        (row,) = store.deliveries(subscription_id=3)
        assert (row.tip_id, row.message_ts, row.state.value) == (old_id, "1.5", "posted")
        assert [(s.tip_id, s.deliveries, s.useful) for s in store.workspace(ONE).tip_stats()] == [
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
        store.workspace(ONE).record_vote(
            user_id="U9", tip_id=longest, vote=Vote.USEFUL, channel_id=None, now=NOW
        )
        assert store.rotation_position(3).previous == longest
        assert {s.tip_id for s in store.workspace(ONE).tip_stats()} == {old_id, longest}
    finally:
        store.close()


BEFORE_WORKSPACES = "0003"


def _one_workspace_database(database_url: str) -> None:
    """A database as the last one-workspace release left it: two channels, their
    rotations and ledgers, votes."""
    engine = create_store_engine(database_url)
    upgrade(engine, revision=BEFORE_WORKSPACES)
    with engine.begin() as connection:
        for sub_id, channel in ((1, "CSHARED"), (2, "CONLY")):
            connection.execute(
                text(
                    "INSERT INTO subscriptions (channel_id, weekday, post_time, timezone, "
                    "topics, subscribed_by, active, paused_reason, active_since, created_at, "
                    "updated_at) VALUES (:channel, 0, '09:00', 'UTC', '', 'U1', :yes, "
                    "NULL, :now, :now, :now)"
                ),
                {"channel": channel, "now": NOW, "yes": True},  # ids 1, 2,
            )
            connection.execute(
                text("INSERT INTO rotations (subscription_id, seed, round) VALUES (:id, 's', 1)"),
                {"id": sub_id},
            )
            connection.execute(
                text(
                    "INSERT INTO deliveries (subscription_id, slot_key, slot_at, state, "
                    "claim_token, tip_id, round, message_ts, reason, claimed_at, updated_at) "
                    "VALUES (:id, '2026-W01', :now, 'posted', 'tok', 'tip-a', 1, '1.5', NULL, "
                    ":now, :now)"
                ),
                {"id": sub_id, "now": NOW},
            )
        connection.execute(
            text(
                "INSERT INTO votes (user_id, tip_id, vote, channel_id, created_at, updated_at) "
                "VALUES ('U9', 'tip-a', 'useful', 'CSHARED', :now, :now)"
            ),
            {"now": NOW},
        )
    engine.dispose()


def test_0004_keeps_every_row_of_a_one_workspace_database_as_placeholder_rows(database_url):
    """SQLite rebuilds the subscriptions table for 0004; with foreign keys enforced
    that rebuild would cascade to the ledger and the rotations. Nothing is lost."""
    _one_workspace_database(database_url)
    store = open_store(database_url)
    try:
        with store.engine.connect() as connection:
            counts = {
                table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                for table in ("subscriptions", "rotations", "deliveries", "votes")
            }
            placeholders = connection.execute(
                text("SELECT count(*) FROM subscriptions WHERE team_id = '' AND enterprise_id = ''")
            ).scalar()
        assert counts == {"subscriptions": 2, "rotations": 2, "deliveries": 2, "votes": 1}
        assert placeholders == 2
        # Until adopted, the rows belong to no workspace pmtip can serve.
        assert store.all_subscriptions() == []
        assert store.workspace(ONE).subscriptions() == []
        assert store.workspace(ONE).tip_stats() == []
    finally:
        store.close()


def test_a_one_workspace_start_adopts_the_placeholder_rows_with_their_history(database_url):
    _one_workspace_database(database_url)
    store = open_store(database_url)
    try:
        assert store.adopt_placeholder_rows(ONE) == 2
        mine = store.workspace(ONE)
        assert [(s.id, s.channel_id, s.workspace) for s in mine.subscriptions()] == [
            (1, "CSHARED", ONE),
            (2, "CONLY", ONE),
        ]
        assert [s.channel_id for s in store.all_subscriptions()] == ["CSHARED", "CONLY"]
        assert [d.message_ts for d in mine.deliveries(1)] == ["1.5"]
        assert store.rotation_position(2).round == 1
        (stats,) = mine.tip_stats()
        assert (stats.tip_id, stats.deliveries, stats.useful) == ("tip-a", 2, 1)
        assert store.workspace(OTHER).subscriptions(receiving_only=False) == []
        assert store.adopt_placeholder_rows(ONE) == 0  # the next start finds none
    finally:
        store.close()


def test_adoption_leaves_behind_a_row_whose_channel_the_workspace_already_holds(database_url):
    _one_workspace_database(database_url)
    store = open_store(database_url)
    try:
        newer = store.workspace(ONE).subscribe(
            channel_id="CSHARED",
            schedule=WeeklySchedule(day=2, at=time(8, 0), timezone="UTC"),
            topics=(),
            subscribed_by="U2",
            now=NOW,
        )
        assert store.adopt_placeholder_rows(ONE) == 1
        by_channel = {s.channel_id: s for s in store.workspace(ONE).subscriptions()}
        assert by_channel["CSHARED"].id == newer.id and by_channel["CONLY"].id == 2
    finally:
        store.close()
