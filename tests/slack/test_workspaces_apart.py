"""Many workspaces, end to end through the production web front: two workspaces
(different team ids in the signed requests) hold the same channel id (a channel
shared between them) and the same person id, subscribe, vote and read their stats,
and never see or change each other's rows. With one workspace, every request
counts as the bot's own team (auth.test), whatever team the payload names."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.render import blocks
from bot.core.workspace import Workspace
from tests.support.installs import Browser, oauth_env
from tests.support.slack_validation import assert_valid_message
from tests.support.workspaces import ONE

SHARED = "CSHARED"  # one channel id in both workspaces
ADMIN = "UADMIN"  # and one admin id: each workspace's installer
PERSON = "UALICE"


@pytest.fixture
def two(running_app, slack_api):
    app = running_app(**oauth_env(slack_api))
    browser = Browser(app, slack_api)
    for team in ("T2", "T3"):
        assert browser.install(team, installer=ADMIN).status == 200
    slack_api.users[ADMIN] = {"is_admin": True}
    return app


def answer(app, text: str, team: str, *, user: str = ADMIN) -> dict[str, Any]:
    reply = app.command(text, team_id=team, user_id=user, channel_id=SHARED)
    assert reply.status == 200, reply.body
    (message,) = app.responses(reply)
    assert_valid_message(message)
    return message


def vote(app, action_id: str, tip_id: str, team: str) -> None:
    reply = app.action(
        action_id, tip_id, team_id=team, user_id=PERSON, channel_id=SHARED, is_ephemeral=False
    )
    assert reply.status == 200, reply.body
    (message,) = app.responses(reply)
    assert message["text"].startswith("Thanks, noted")


def shown(message: dict[str, Any]) -> str:
    return " ".join(str(b) for b in message["blocks"]) + message["text"]


def test_two_workspaces_with_one_channel_id_subscribe_vote_and_read_stats_apart(two):
    app = two
    answer(app, "subscribe mon 09:00 UTC", "T2")
    answer(app, "subscribe fri 16:30 Europe/Berlin", "T3")
    assert "Monday at 09:00 (UTC)" in shown(answer(app, "schedule", "T2"))
    assert "Friday at 16:30 (Europe/Berlin)" in shown(answer(app, "schedule", "T3"))

    tip_id = app.parts.catalogue.current().tips[0].id
    vote(app, blocks.VOTE_USEFUL, tip_id, "T2")
    vote(app, blocks.VOTE_NOT_FOR_ME, tip_id, "T3")  # the same person id, another person
    mine, theirs = shown(answer(app, "stats", "T2")), shown(answer(app, "stats", "T3"))
    assert "· 1 votes ·" in mine and "· 1 votes ·" in theirs
    assert ":thumbsup: 1 · not for me 0" in mine and "not for me 1" not in mine
    assert ":thumbsup: 0 · not for me 1" in theirs and ":thumbsup: 1" not in theirs

    # T2 ends its subscription; T3's, on the same channel id, goes on.
    answer(app, "unsubscribe", "T2")
    assert "has no weekly insight" in shown(answer(app, "schedule", "T2"))
    assert "Friday at 16:30 (Europe/Berlin)" in shown(answer(app, "schedule", "T3"))

    store = app.parts.store
    assert [(s.workspace, s.channel_id) for s in store.all_subscriptions()] == [
        (Workspace("T3"), SHARED)
    ]


def test_a_workspace_that_never_subscribed_sees_no_one_elses_channel(two):
    app = two
    answer(app, "subscribe mon 09:00 UTC", "T2")
    assert "has no weekly insight" in shown(answer(app, "schedule", "T3"))
    assert "· 0 weekly posts · 0 votes ·" in shown(answer(app, "stats", "T3"))


@pytest.fixture
def one(running_app):
    return running_app(ADMIN_USER_IDS=ADMIN)


def test_one_workspace_keys_every_request_by_its_own_team(one):
    """In a Slack Connect channel a person of another organisation names their own
    team; with one workspace the rows are still the bot's team's (auth.test)."""
    app = one
    answer(app, "subscribe mon 09:00 UTC", "TVISITOR")
    (sub,) = app.parts.store.all_subscriptions()
    assert sub.workspace == ONE
    assert "Monday at 09:00 (UTC)" in shown(answer(app, "schedule", ONE.team_id))


def test_a_one_workspace_database_from_before_is_the_bots_teams_at_the_next_start(
    running_app, tmp_path
):
    from sqlalchemy import text

    from bot.store.migrate import upgrade
    from bot.store.sql import create_store_engine

    url = f"sqlite:///{tmp_path}/old.sqlite3"
    engine = create_store_engine(url)
    upgrade(engine, revision="0003")  # the last one-workspace schema
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO subscriptions (channel_id, weekday, post_time, timezone, topics, "
                "subscribed_by, active, active_since, created_at, updated_at) VALUES "
                "(:channel, 2, '11:15', 'UTC', '', :admin, 1, :at, :at, :at)"
            ),
            {"channel": SHARED, "admin": ADMIN, "at": "2026-01-01 00:00:00"},
        )
        connection.execute(text("INSERT INTO rotations VALUES (1, 'seed', 0)"))
    engine.dispose()
    app = running_app(DATABASE_URL=url, ADMIN_USER_IDS=ADMIN)
    assert "Wednesday at 11:15 (UTC)" in shown(answer(app, "schedule", ONE.team_id))
    assert [s.workspace for s in app.parts.store.all_subscriptions()] == [ONE]
