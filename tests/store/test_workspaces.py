"""Each workspace's rows, apart: the same channel id in two workspaces (a shared
channel) is two subscriptions, a view never reads or changes another workspace's
rows, and forgetting a workspace forgets it alone."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import text

from bot.core.schedule import WeeklySchedule
from bot.store import Vote, Workspace
from tests.support.workspaces import OTHER, WS

T0 = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
MONDAY = WeeklySchedule(day=0, at=time(9, 0), timezone="UTC")
FRIDAY = WeeklySchedule(day=4, at=time(16, 0), timezone="Europe/Paris")
GRID = Workspace(team_id="T1", enterprise_id="E1")  # T1 again, in an Enterprise Grid


def subscribe(store, workspace, channel="CSHARED", schedule=MONDAY, by="U1"):
    return store.workspace(workspace).subscribe(
        channel_id=channel, schedule=schedule, topics=(), subscribed_by=by, now=T0
    )


def deliver(store, sub, tip="tip-a", key="2026-W02"):
    assert store.claim(
        subscription_id=sub.id, slot_key=key, slot_at=T0, tip_id=tip, round=0, token=key, now=T0
    )
    assert store.mark_posted(
        subscription_id=sub.id, slot_key=key, token=key, message_ts="1.1", now=T0
    )


def test_the_same_channel_id_in_two_workspaces_is_two_subscriptions(store):
    mine = subscribe(store, WS, schedule=MONDAY, by="U1")
    theirs = subscribe(store, OTHER, schedule=FRIDAY, by="U2")
    grid = subscribe(store, GRID, schedule=FRIDAY, by="U3")
    assert len({mine.id, theirs.id, grid.id}) == 3
    assert (mine.workspace, theirs.workspace, grid.workspace) == (WS, OTHER, GRID)
    assert store.workspace(WS).subscription("CSHARED").schedule == MONDAY
    assert store.workspace(OTHER).subscription("CSHARED").subscribed_by == "U2"
    assert store.workspace(GRID).subscription("CSHARED").subscribed_by == "U3"
    assert mine.rotation_seed != theirs.rotation_seed
    # the scheduler sees all three, each with its workspace
    assert {(s.id, s.workspace) for s in store.subscriptions()} == {
        (mine.id, WS),
        (theirs.id, OTHER),
        (grid.id, GRID),
    }


def test_a_workspace_never_changes_or_reads_another_ones_rows(store):
    mine = subscribe(store, WS)
    assert store.workspace(OTHER).subscription("CSHARED") is None
    assert store.workspace(OTHER).subscriptions(receiving_only=False) == []
    assert store.workspace(OTHER).unsubscribe(channel_id="CSHARED", now=T0) is False
    assert store.workspace(WS).subscription("CSHARED").active
    deliver(store, mine)
    assert store.workspace(OTHER).deliveries(subscription_id=mine.id) == []
    assert [d.slot_key for d in store.workspace(WS).deliveries(subscription_id=mine.id)] == [
        "2026-W02"
    ]


def test_votes_and_stats_are_per_workspace(store):
    mine, theirs = subscribe(store, WS), subscribe(store, OTHER)
    deliver(store, mine)
    deliver(store, theirs)
    deliver(store, theirs, key="2026-W03")
    ws, other = store.workspace(WS), store.workspace(OTHER)
    assert (
        ws.record_vote(user_id="U9", tip_id="tip-a", vote=Vote.USEFUL, channel_id=None, now=T0)
        is None
    )
    # the same user id in the other workspace is someone else (or the same person, apart)
    assert (
        other.record_vote(
            user_id="U9", tip_id="tip-a", vote=Vote.NOT_FOR_ME, channel_id=None, now=T0
        )
        is None
    )
    assert [(s.deliveries, s.useful, s.not_for_me) for s in ws.tip_stats()] == [(1, 1, 0)]
    assert [(s.deliveries, s.useful, s.not_for_me) for s in other.tip_stats()] == [(2, 0, 1)]


def test_deleting_a_workspace_deletes_its_rows_and_only_its_rows(store):
    mine, theirs = subscribe(store, WS), subscribe(store, OTHER)
    for sub in (mine, theirs):
        deliver(store, sub)
        store.workspace(sub.workspace).record_vote(
            user_id="U9", tip_id="tip-a", vote=Vote.USEFUL, channel_id=None, now=T0
        )

    store.delete_workspace(OTHER)

    assert store.workspace(OTHER).subscriptions(receiving_only=False) == []
    assert store.workspace(OTHER).tip_stats() == []
    assert [s.id for s in store.subscriptions()] == [mine.id]
    assert store.deliveries(subscription_id=theirs.id) == []
    with store.engine.connect() as connection:
        for table, column in (("rotations", "subscription_id"), ("deliveries", "subscription_id")):
            left = connection.execute(text(f"SELECT {column} FROM {table}")).scalars().all()
            assert left == [mine.id], table
        assert connection.execute(text("SELECT team_id FROM votes")).scalars().all() == ["T1"]
    (stats,) = store.workspace(WS).tip_stats()
    assert (stats.deliveries, stats.useful) == (1, 1)
    assert store.rotation_position(mine.id).delivered_this_round == {"tip-a"}


def test_a_reinstalled_workspace_starts_fresh(store):
    old = subscribe(store, OTHER)
    deliver(store, old)
    store.delete_workspace(OTHER)
    again = subscribe(store, OTHER)  # SQLite may hand out the same id again
    assert again.rotation_seed != old.rotation_seed
    assert store.rotation_position(again.id).delivered_this_round == frozenset()
    assert store.workspace(OTHER).deliveries(subscription_id=again.id) == []


@pytest.mark.parametrize("nobody", [Workspace(team_id=""), Workspace(team_id="T404")])
def test_deleting_a_workspace_without_rows_is_harmless(store, nobody):
    mine = subscribe(store, WS)
    store.delete_workspace(nobody)
    assert [s.id for s in store.subscriptions()] == [mine.id]


def test_deleting_an_org_wide_install_deletes_every_workspace_of_its_enterprise(store):
    grid_a, grid_b = GRID, Workspace(team_id="T2", enterprise_id="E1")
    elsewhere = Workspace(team_id="T3", enterprise_id="E2")
    subs = {ws: subscribe(store, ws) for ws in (grid_a, grid_b, elsewhere, WS)}
    for ws in subs:
        store.workspace(ws).record_vote(
            user_id="U9", tip_id="tip-a", vote=Vote.USEFUL, channel_id=None, now=T0
        )
    store.delete_workspace(Workspace(team_id="", enterprise_id="E1"))
    assert {s.workspace for s in store.subscriptions()} == {elsewhere, WS}
    assert store.workspace(grid_a).tip_stats() == store.workspace(grid_b).tip_stats() == []
    assert store.workspace(elsewhere).tip_stats() != []


def test_a_rate_limit_hold_is_per_workspace_and_only_ever_lengthened(store):
    from datetime import timedelta

    assert store.workspace_held_until(WS) is None
    store.hold_workspace(WS, until=T0 + timedelta(seconds=30))
    store.hold_workspace(WS, until=T0 + timedelta(seconds=5))  # earlier: ignored
    assert store.workspace_held_until(WS) == T0 + timedelta(seconds=30)
    store.hold_workspace(WS, until=T0 + timedelta(seconds=60))  # later: wins
    assert store.workspace_held_until(WS) == T0 + timedelta(seconds=60)
    assert store.workspace_held_until(OTHER) is None
    assert store.workspace_held_until(GRID) is None  # T1 in a Grid is another workspace
    store.hold_workspace(OTHER, until=T0)
    store.delete_workspace(WS)
    assert store.workspace_held_until(WS) is None
    assert store.workspace_held_until(OTHER) == T0
