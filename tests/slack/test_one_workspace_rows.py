"""One workspace, end to end: every request's rows are the bot's own team's (its
token's, as auth.test names it), whatever team a payload names; and a database
from before rows had a workspace is that team's at the next start."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from bot.core.render import blocks
from bot.store.migrate import upgrade
from bot.store.sql import create_store_engine
from tests.support.slack_validation import assert_valid_message
from tests.support.workspaces import WS

CHANNEL = "CSHARED"
ADMIN = "UADMIN"
VISITOR_TEAM = "TVISITOR"  # a person of another organisation, in a Slack Connect channel


def answer(app, text_: str, *, team: str = WS.team_id, user: str = ADMIN) -> dict[str, Any]:
    reply = app.command(text_, team_id=team, user_id=user, channel_id=CHANNEL)
    assert reply.status == 200, reply.body
    (message,) = app.responses(reply)
    assert_valid_message(message)
    return message


def shown(message: dict[str, Any]) -> str:
    return " ".join(str(b) for b in message["blocks"]) + message["text"]


def test_a_visitor_from_another_organisation_votes_into_the_bots_workspace(running_app):
    app = running_app(ADMIN_USER_IDS=ADMIN)
    answer(app, "subscribe mon 09:00 UTC")
    tip_id = app.parts.catalogue.current().tips[0].id
    reply = app.action(
        blocks.VOTE_USEFUL,
        tip_id,
        team_id=VISITOR_TEAM,
        user_id="UVISITOR",
        channel_id=CHANNEL,
        is_ephemeral=False,
    )
    assert reply.status == 200
    (thanks,) = app.responses(reply)
    assert thanks["text"].startswith("Thanks, noted")
    (stats,) = app.parts.store.workspace(WS).tip_stats()
    assert (stats.tip_id, stats.useful) == (tip_id, 1)
    assert "· 1 votes ·" in shown(answer(app, "stats"))
    # and the visitor's own team holds nothing of pmtip's
    assert [s.workspace for s in app.parts.store.subscriptions(receiving_only=False)] == [WS]


def test_a_database_from_before_workspaces_is_the_bots_teams_at_the_next_start(
    running_app, tmp_path
):
    url = f"sqlite:///{tmp_path}/old.sqlite3"
    engine = create_store_engine(url)
    upgrade(engine, revision="0003")  # the last schema without workspaces
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO subscriptions (channel_id, weekday, post_time, timezone, topics, "
                "subscribed_by, active, active_since, created_at, updated_at) VALUES "
                "(:channel, 2, '11:15', 'UTC', '', :admin, 1, :at, :at, :at)"
            ),
            {"channel": CHANNEL, "admin": ADMIN, "at": "2026-01-01 00:00:00"},
        )
        connection.execute(text("INSERT INTO rotations VALUES (1, 'seed', 0)"))
    engine.dispose()
    app = running_app(DATABASE_URL=url, ADMIN_USER_IDS=ADMIN)
    assert "Wednesday at 11:15 (UTC)" in shown(answer(app, "schedule"))
    assert [s.workspace for s in app.parts.store.subscriptions(receiving_only=False)] == [WS]
