"""Two workspaces on one deployment, end to end through the production web front with
signed requests: the same channel id in both (a shared channel), subscribed, voted
on, its schedule and the stats read, without either ever seeing the other's rows;
the weekly post goes out with each workspace's own token; an uninstall forgets that
workspace's rows and no other's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from bot.core.render import blocks
from bot.core.workspace import Workspace
from bot.weekly.post_due import post_due
from tests.support.installs import Browser, oauth_env
from tests.support.signing import JSON, event_body
from tests.support.slack_validation import assert_valid_message

SHARED = "CSHARED"  # the same channel id in both workspaces
T2, T3 = Workspace("T2"), Workspace("T3")
ADMINS = {"T2": "UADMIN2", "T3": "UADMIN3"}


@pytest.fixture
def two(running_app, slack_api):
    """The app serving many workspaces, installed in T2 and T3, each with an admin."""
    app = running_app(**oauth_env(slack_api))
    browser = Browser(app, slack_api)
    for team, admin in ADMINS.items():
        assert browser.install(team).status == 200
        slack_api.users[admin] = {"is_admin": True, "tz": "UTC"}
    return app


def say(app, team: str, text_: str, *, user: str | None = None) -> dict:
    reply = app.command(text_, team_id=team, user_id=user or ADMINS[team], channel_id=SHARED)
    assert reply.status == 200, reply.body
    (answer,) = app.responses(reply)
    assert_valid_message(answer)
    return answer


def words(message: dict) -> str:
    return str(message["blocks"]) + message.get("text", "")


def rows(app, table: str) -> list[tuple]:
    with app.parts.store.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text(f"SELECT team_id FROM {table}"))]


def test_the_same_channel_in_two_workspaces_is_two_subscriptions(two, slack_api):
    app = two
    say(app, "T2", "subscribe monday 09:00 UTC")
    say(app, "T3", "subscribe friday 16:00 Europe/Paris")
    store = app.parts.store
    mine, theirs = (
        store.workspace(T2).subscription(SHARED),
        store.workspace(T3).subscription(SHARED),
    )
    assert mine.id != theirs.id
    assert (mine.schedule.day, theirs.schedule.day) == (0, 4)

    t2_schedule = words(say(app, "T2", "schedule"))
    t3_schedule = words(say(app, "T3", "schedule"))
    assert "Monday" in t2_schedule and "Friday" not in t2_schedule
    assert "Friday" in t3_schedule and "Monday" not in t3_schedule

    # T3 unsubscribing its channel leaves T2's alone
    say(app, "T3", "unsubscribe")
    assert store.workspace(T2).subscription(SHARED).active
    assert not store.workspace(T3).subscription(SHARED).active
    assert "Monday" in words(say(app, "T2", "schedule"))
    assert "has no weekly insight" in words(say(app, "T3", "schedule"))


def test_votes_and_stats_stay_in_their_workspace(two, slack_api):
    app = two
    tip = app.parts.catalogue.current().tips[0]
    for team, user in (("T2", "UALICE"), ("T2", "UBOB")):
        reply = app.action(
            blocks.VOTE_USEFUL,
            tip.id,
            team_id=team,
            user_id=user,
            channel_id=SHARED,
            is_ephemeral=False,
        )
        assert reply.status == 200 and app.responses(reply)
    reply = app.action(
        blocks.VOTE_NOT_FOR_ME,
        tip.id,
        team_id="T3",
        user_id="UALICE",
        channel_id=SHARED,
        is_ephemeral=False,
    )
    assert reply.status == 200 and app.responses(reply)

    store = app.parts.store
    (t2,) = store.workspace(T2).tip_stats()
    (t3,) = store.workspace(T3).tip_stats()
    assert (t2.useful, t2.not_for_me) == (2, 0)
    assert (t3.useful, t3.not_for_me) == (0, 1)
    assert "· 2 votes ·" in words(say(app, "T2", "stats"))
    assert "· 1 votes ·" in words(say(app, "T3", "stats"))


def test_the_weekly_post_goes_out_with_each_workspaces_token(two, slack_api):
    app = two
    say(app, "T2", "subscribe monday 09:00 UTC")
    say(app, "T3", "subscribe monday 09:00 UTC")
    slack_api.clear()
    report = post_due(
        store=app.parts.store,
        client=app.parts.posting_client,
        catalogue=app.parts.catalogue.current(),
        now=datetime(2026, 12, 7, 9, 5, tzinfo=UTC),  # a Monday
        catchup_hours=12,
        workspaces=app.parts.installs.clients,
    )
    assert len(report.posted) == 2
    posts = slack_api.calls("chat.postMessage")
    assert sorted(slack_api.team_of_call(c) for c in posts) == ["T2", "T3"]
    ledger = {
        d.subscription_id
        for ws in (T2, T3)
        for sub in app.parts.store.workspace(ws).subscriptions()
        for d in app.parts.store.workspace(ws).deliveries(subscription_id=sub.id)
    }
    assert len(ledger) == 2


def test_uninstalling_forgets_that_workspaces_rows_only(two, slack_api):
    app = two
    tip = app.parts.catalogue.current().tips[0]
    for team in ("T2", "T3"):
        say(app, team, "subscribe monday 09:00 UTC")
        reply = app.action(
            blocks.VOTE_USEFUL,
            tip.id,
            team_id=team,
            user_id="UALICE",
            channel_id=SHARED,
            is_ephemeral=False,
        )
        assert app.responses(reply)
    post_due(
        store=app.parts.store,
        client=app.parts.posting_client,
        catalogue=app.parts.catalogue.current(),
        now=datetime(2026, 12, 7, 9, 5, tzinfo=UTC),
        catchup_hours=12,
        workspaces=app.parts.installs.clients,
    )
    assert sorted(rows(app, "subscriptions")) == [("T2",), ("T3",)]

    slack_api.revoke("T3")
    body = event_body({"type": "app_uninstalled"}, team_id="T3")
    assert app.post_signed(body, content_type=JSON).status == 200

    # within the request: T3's installation and rows are gone, T2's all there
    assert rows(app, "subscriptions") == [("T2",)]
    assert rows(app, "votes") == [("T2",)]
    assert rows(app, "slack_installations") == [("T2",)]
    (sub,) = app.parts.store.subscriptions()
    assert sub.workspace == T2
    with app.parts.store.engine.connect() as connection:
        for table in ("deliveries", "rotations"):
            left = connection.execute(text(f"SELECT subscription_id FROM {table}")).scalars()
            assert list(left) == [sub.id], table
    t2 = app.parts.store.workspace(T2).tip_stats()
    assert sum(s.useful for s in t2) == 1 and sum(s.deliveries for s in t2) == 1
    assert app.parts.store.workspace(T3).tip_stats() == []


def open_home(app, team: str, user: str) -> str:
    """app_home_opened in `team`; the published view's text, published with its token."""
    before = len(app.api.calls("views.publish"))
    event = {"type": "app_home_opened", "user": user, "channel": "D0", "tab": "home"}
    reply = app.post_signed(event_body(event, team_id=team), content_type=JSON)
    assert reply.status == 200, reply.body
    call = app.api.wait_for("views.publish", count=before + 1)[-1]
    assert app.api.team_of_call(call) == team
    return str(call.params["view"])


def test_each_home_tab_shows_its_own_workspaces_channels_and_stats(two, slack_api):
    app = two
    say(app, "T2", "subscribe monday 09:00 UTC")
    say(app, "T3", "subscribe friday 16:00 Europe/Paris")
    t2_home, t3_home = open_home(app, "T2", "UADMIN2"), open_home(app, "T3", "UADMIN3")
    assert "Monday" in t2_home and "Friday" not in t2_home
    assert "Friday" in t3_home and "Monday" not in t3_home
