"""Every row belongs to a workspace: two workspaces holding the same channel id (a
shared channel) never see or change each other's rows, and deleting one workspace
deletes only its own. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from bot.core.schedule import WeeklySchedule
from bot.core.workspace import Workspace
from bot.store import Vote
from bot.store.base import PLACEHOLDER
from bot.store.sql import SqlStore
from tests.support.workspaces import ONE, OTHER

T0 = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
MONDAY_9 = WeeklySchedule(day=0, at=time(9, 0), timezone="UTC")
FRIDAY_10 = WeeklySchedule(day=4, at=time(10, 0), timezone="Europe/Berlin")
GRID = Workspace("T1", enterprise_id="E1")  # the same team id, under an Enterprise Grid org


def _subscribe(store: SqlStore, workspace: Workspace, schedule: WeeklySchedule, by: str):
    return store.workspace(workspace).subscribe(
        channel_id="CSHARED", schedule=schedule, topics=(), subscribed_by=by, now=T0
    )


def _post(store: SqlStore, sub_id: int, tip: str) -> None:
    token = f"tok-{sub_id}"
    assert store.claim(
        subscription_id=sub_id,
        slot_key="2026-W02",
        slot_at=T0,
        tip_id=tip,
        round=0,
        token=token,
        now=T0,
    )
    store.mark_posted(
        subscription_id=sub_id, slot_key="2026-W02", token=token, message_ts="1.1", now=T0
    )


@pytest.fixture
def two(store: SqlStore):
    """ONE and OTHER each subscribed the same channel id, posted and voted."""
    mine = _subscribe(store, ONE, MONDAY_9, "U1")
    theirs = _subscribe(store, OTHER, FRIDAY_10, "U2")
    _post(store, mine.id, "tip-a")
    _post(store, theirs.id, "tip-b")
    store.workspace(ONE).record_vote(
        user_id="U1", tip_id="tip-a", vote=Vote.USEFUL, channel_id="CSHARED", now=T0
    )
    store.workspace(OTHER).record_vote(
        user_id="U1", tip_id="tip-a", vote=Vote.NOT_FOR_ME, channel_id="CSHARED", now=T0
    )
    return mine, theirs


def test_the_same_channel_id_is_two_subscriptions_in_two_workspaces(store, two):
    mine, theirs = two
    assert mine.id != theirs.id
    assert (mine.workspace, theirs.workspace) == (ONE, OTHER)
    assert store.workspace(ONE).subscription("CSHARED") == mine
    assert store.workspace(OTHER).subscription("CSHARED") == theirs
    assert [s.id for s in store.workspace(ONE).subscriptions()] == [mine.id]
    assert [s.id for s in store.workspace(OTHER).subscriptions()] == [theirs.id]
    assert store.workspace(GRID).subscription("CSHARED") is None
    assert [(s.id, s.workspace) for s in store.all_subscriptions()] == [
        (mine.id, ONE),
        (theirs.id, OTHER),
    ]


def test_subscribing_again_changes_only_the_own_workspace(store, two):
    mine, theirs = two
    again = _subscribe(store, ONE, FRIDAY_10, "U3")
    assert again.id == mine.id and again.subscribed_by == "U3"
    assert store.workspace(OTHER).subscription("CSHARED") == theirs


def test_unsubscribing_ends_only_the_own_workspace(store, two):
    _, theirs = two
    assert store.workspace(ONE).unsubscribe(channel_id="CSHARED", now=T0)
    assert not store.workspace(ONE).subscription("CSHARED").active
    assert store.workspace(OTHER).subscription("CSHARED") == theirs
    assert not store.workspace(GRID).unsubscribe(channel_id="CSHARED", now=T0)


def test_a_workspace_cannot_read_another_workspaces_ledger(store, two):
    mine, theirs = two
    assert [d.tip_id for d in store.workspace(ONE).deliveries(mine.id)] == ["tip-a"]
    assert store.workspace(ONE).deliveries(theirs.id) == []
    assert store.workspace(OTHER).deliveries(mine.id) == []


def test_votes_and_stats_are_per_workspace(store, two):
    assert [(s.tip_id, s.deliveries, s.useful, s.not_for_me) for s in _stats(store, ONE)] == [
        ("tip-a", 1, 1, 0)
    ]
    assert [(s.tip_id, s.deliveries, s.useful, s.not_for_me) for s in _stats(store, OTHER)] == [
        ("tip-a", 0, 0, 1),
        ("tip-b", 1, 0, 0),
    ]
    # The same person's vote on the same tip in another workspace is another vote.
    before = store.workspace(OTHER).record_vote(
        user_id="U1", tip_id="tip-a", vote=Vote.USEFUL, channel_id=None, now=T0
    )
    assert before is Vote.NOT_FOR_ME
    assert [s.useful for s in _stats(store, ONE)] == [1]
    assert _stats(store, GRID) == []


def _stats(store: SqlStore, workspace: Workspace):
    return sorted(store.workspace(workspace).tip_stats(), key=lambda s: s.tip_id)


def test_deleting_a_workspace_deletes_its_rows_only(store, two):
    mine, theirs = two
    store.delete_workspace(OTHER)
    assert store.workspace(OTHER).subscriptions(receiving_only=False) == []
    assert store.workspace(OTHER).tip_stats() == []
    assert store.deliveries(subscription_id=theirs.id) == []
    assert [s.id for s in store.all_subscriptions()] == [mine.id]
    assert [d.tip_id for d in store.deliveries(subscription_id=mine.id)] == ["tip-a"]
    assert store.rotation_position(mine.id).delivered_this_round == {"tip-a"}
    assert [(s.tip_id, s.useful) for s in _stats(store, ONE)] == [("tip-a", 1)]
    with store.engine.connect() as connection:
        from sqlalchemy import text

        rotations = connection.execute(text("SELECT subscription_id FROM rotations")).all()
    assert [r.subscription_id for r in rotations] == [mine.id]


def test_a_reinstall_after_deletion_starts_fresh(store, two):
    _, theirs = two
    store.delete_workspace(OTHER)
    fresh = _subscribe(store, OTHER, MONDAY_9, "U5")
    assert fresh.rotation_seed != theirs.rotation_seed  # (SQLite may reuse the id)
    assert store.workspace(OTHER).deliveries(fresh.id) == []
    assert store.rotation_position(fresh.id).delivered_this_round == frozenset()


def test_deleting_a_workspace_without_rows_is_harmless(store, two):
    store.delete_workspace(GRID)
    assert len(store.all_subscriptions()) == 2


def test_the_placeholder_cannot_adopt_its_own_rows(store):
    with pytest.raises(ValueError):
        store.adopt_placeholder_rows(PLACEHOLDER)
