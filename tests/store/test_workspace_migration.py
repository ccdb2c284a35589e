"""Migration 0004: a one-workspace database (at 0003) keeps every row, its rows get the
placeholder workspace, and the one-workspace bot adopts them at start. On SQLite the
subscriptions table is copied: its children (ledger, rotation) must survive that."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import inspect, text

from bot.core.schedule import WeeklySchedule
from bot.store import Vote, Workspace, open_store
from bot.store.migrate import current_revision, head_revision, upgrade
from bot.store.sql import create_store_engine
from tests.support.workspaces import OTHER, WS

BEFORE_WORKSPACES = "0003"
NOW = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
PLACEHOLDER = Workspace(team_id="")


def _one_workspace_database(database_url: str) -> None:
    engine = create_store_engine(database_url)
    upgrade(engine, revision=BEFORE_WORKSPACES)
    with engine.begin() as connection:
        for sub_id, channel in ((1, "CONE"), (2, "CTWO")):
            connection.execute(
                text(
                    "INSERT INTO subscriptions (id, channel_id, weekday, post_time, timezone, "
                    "topics, subscribed_by, active, paused_reason, active_since, created_at, "
                    "updated_at) VALUES (:id, :channel, 0, '09:00', 'UTC', 'ai-fit', 'U1', :yes, "
                    "NULL, :now, :now, :now)"
                ),
                {"id": sub_id, "channel": channel, "now": NOW, "yes": True},
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
                "VALUES ('U9', 'tip-a', 'useful', 'CONE', :now, :now)"
            ),
            {"now": NOW},
        )
        if engine.dialect.name == "postgresql":  # the ids above were given, not drawn
            connection.execute(text("SELECT setval('subscriptions_id_seq', 2)"))
    engine.dispose()


def test_the_upgrade_keeps_every_row_with_its_children_under_the_placeholder(database_url):
    _one_workspace_database(database_url)
    store = open_store(database_url)
    try:
        assert current_revision(store.engine) == head_revision()
        old = store.workspace(PLACEHOLDER)
        assert [s.channel_id for s in old.subscriptions()] == ["CONE", "CTWO"]
        assert {s.workspace for s in store.subscriptions()} == {PLACEHOLDER}
        for sub_id in (1, 2):  # the copy of subscriptions did not cascade into them
            assert store.rotation_position(sub_id).round == 1
            assert [d.message_ts for d in store.deliveries(subscription_id=sub_id)] == ["1.5"]
        (stats,) = old.tip_stats()
        assert (stats.deliveries, stats.useful) == (2, 1)
        with store.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM deliveries")).scalar() == 2
        tables = set(inspect(store.engine).get_table_names())
        assert {"slack_installations", "slack_bots", "slack_oauth_states"} <= tables
    finally:
        store.close()


def test_the_one_workspace_bot_adopts_the_placeholder_rows_once(database_url):
    _one_workspace_database(database_url)
    store = open_store(database_url)
    try:
        assert store.adopt_placeholder_rows(WS) == 3  # two subscriptions, one vote
        assert store.adopt_placeholder_rows(WS) == 0
        mine = store.workspace(WS)
        assert [s.channel_id for s in mine.subscriptions()] == ["CONE", "CTWO"]
        assert all(s.workspace == WS for s in mine.subscriptions())
        assert mine.deliveries(subscription_id=1)[0].message_ts == "1.5"
        (stats,) = mine.tip_stats()
        assert (stats.deliveries, stats.useful) == (2, 1)
        assert store.workspace(PLACEHOLDER).subscriptions(receiving_only=False) == []
        # the vote is now the workspace's: changing it replaces it
        before = mine.record_vote(
            user_id="U9", tip_id="tip-a", vote=Vote.NOT_FOR_ME, channel_id=None, now=NOW
        )
        assert before is Vote.USEFUL
    finally:
        store.close()


def test_a_placeholder_row_whose_channel_the_workspace_has_already_stays_behind(database_url):
    _one_workspace_database(database_url)
    store = open_store(database_url)
    try:
        schedule = WeeklySchedule(day=1, at=time(10, 0), timezone="UTC")
        mine = store.workspace(WS)
        mine.subscribe(channel_id="CONE", schedule=schedule, topics=(), subscribed_by="U2", now=NOW)
        assert store.adopt_placeholder_rows(WS) == 2  # CTWO and the vote; CONE has a twin
        assert sorted(s.channel_id for s in mine.subscriptions()) == ["CONE", "CTWO"]
        assert mine.subscription("CONE").subscribed_by == "U2"
        assert [s.channel_id for s in store.workspace(PLACEHOLDER).subscriptions()] == ["CONE"]
        assert store.workspace(OTHER).subscriptions(receiving_only=False) == []
    finally:
        store.close()
