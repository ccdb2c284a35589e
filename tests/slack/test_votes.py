"""The feedback buttons on the weekly insight, end to end: one vote per person per
tip, changeable, answered privately, and never replacing the channel's post."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import yaml
from sqlalchemy import text

from bot.core.catalogue import TIP_ID_MAX
from bot.core.render import blocks
from tests.support.app_server import TIPS_PATH, RunningApp
from tests.support.databases import database_url, fresh_postgres, hold_sqlite_write_lock
from tests.support.slack_validation import assert_valid_message
from tests.support.workspaces import WS

CHANNEL = "CTEAM"
__all__ = ["database_url", "fresh_postgres"]  # fixtures: the long-id vote runs on both stores


@pytest.fixture
def app(running_app, tmp_path) -> RunningApp:
    return running_app(DATABASE_URL=f"sqlite:///{tmp_path}/votes.sqlite3", ADMIN_USER_IDS="UBOSS")


@pytest.fixture
def tip_id(app: RunningApp) -> str:
    return app.parts.catalogue.current().tips[0].id


def click(app: RunningApp, action_id: str, tip_id: str, user: str) -> dict[str, Any]:
    """Click a vote button under the weekly post (a channel message, not ephemeral)."""
    reply = app.action(action_id, tip_id, user_id=user, channel_id=CHANNEL, is_ephemeral=False)
    assert reply.status == 200, reply.body
    (answer,) = app.responses(reply)
    assert_valid_message(answer)
    return answer


def tallies(app: RunningApp, tip_id: str) -> tuple[int, int]:
    found = [s for s in app.parts.store.workspace(WS).tip_stats() if s.tip_id == tip_id]
    return (found[0].useful, found[0].not_for_me) if found else (0, 0)


def test_useful_is_recorded_and_thanked_privately_without_touching_the_post(app, tip_id):
    answer = click(app, blocks.VOTE_USEFUL, tip_id, "UALICE")
    assert answer["response_type"] == "ephemeral"
    assert answer["replace_original"] is False  # the weekly post belongs to the channel
    assert answer["text"].startswith("Thanks, noted: “Useful”")
    assert "Not for me" in answer["text"]  # how to change it
    assert tallies(app, tip_id) == (1, 0)


def test_a_vote_can_be_changed_and_still_counts_once(app, tip_id):
    click(app, blocks.VOTE_USEFUL, tip_id, "UALICE")
    click(app, blocks.VOTE_USEFUL, tip_id, "UALICE")
    assert tallies(app, tip_id) == (1, 0)
    changed = click(app, blocks.VOTE_NOT_FOR_ME, tip_id, "UALICE")
    assert "“Not for me” (it was “Useful”)" in changed["text"]
    assert tallies(app, tip_id) == (0, 1)


def test_each_person_has_their_own_vote(app, tip_id):
    click(app, blocks.VOTE_USEFUL, tip_id, "UALICE")
    click(app, blocks.VOTE_USEFUL, tip_id, "UBOB")
    click(app, blocks.VOTE_NOT_FOR_ME, tip_id, "UCAROL")
    assert tallies(app, tip_id) == (2, 1)


def test_votes_show_in_the_admins_stats(app, tip_id):
    click(app, blocks.VOTE_NOT_FOR_ME, tip_id, "UALICE")
    reply = app.command("stats", user_id="UBOSS", channel_id=CHANNEL)
    (stats,) = app.responses(reply)
    assert_valid_message(stats)
    least = next(
        b for b in stats["blocks"] if "*Least useful*" in b.get("text", {}).get("text", "")
    )
    assert f"`{tip_id}`" in least["text"]["text"]
    assert "not for me 1" in least["text"]["text"]


def test_clicking_a_button_of_a_posted_weekly_insight_votes_for_that_tip(app, slack_api):
    app.responses(app.command("subscribe", user_id="UBOSS", channel_id=CHANNEL))
    app.responses(app.command("post-now", user_id="UBOSS", channel_id=CHANNEL))
    (posted,) = slack_api.posted(CHANNEL)
    buttons = {
        element["action_id"]: element["value"]
        for block in posted["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }
    assert buttons[blocks.VOTE_USEFUL] == buttons[blocks.VOTE_NOT_FOR_ME]
    click(app, blocks.VOTE_USEFUL, buttons[blocks.VOTE_USEFUL], "UALICE")
    assert tallies(app, buttons[blocks.VOTE_USEFUL]) == (1, 0)


def test_a_tip_with_the_longest_id_the_file_allows_takes_votes_and_ids_are_never_cut(
    running_app, database_url, tmp_path
):
    longest, old_limit = "l" * TIP_ID_MAX, "m" * 128
    data = yaml.safe_load(TIPS_PATH.read_text(encoding="utf-8"))
    data["tips"][0]["id"], data["tips"][1]["id"] = longest, old_limit
    tips = tmp_path / "tips.yaml"
    tips.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    app = running_app(DATABASE_URL=database_url, TIPS_PATH=str(tips), ADMIN_USER_IDS="UBOSS")
    assert app.parts.catalogue.current().tip(longest) is not None

    answer = click(app, blocks.VOTE_USEFUL, longest, "UALICE")
    assert answer["text"].startswith("Thanks, noted: “Useful”"), answer["text"]
    assert tallies(app, longest) == (1, 0)

    # A value that is a tip's id plus more is no tip: it is not cut down to one.
    forged = click(app, blocks.VOTE_USEFUL, old_limit + "x", "UALICE")
    assert "no longer in the catalogue" in forged["text"]
    assert tallies(app, old_limit) == (0, 0)


# -- a vote is saved, or the person is told it was not ----------------------------------

NOT_SAVED = "Sorry, your vote was not saved; please try again."


def test_a_vote_waits_out_another_writer_on_sqlite_and_is_saved(running_app, tmp_path):
    path = tmp_path / "busy.sqlite3"
    app = running_app(DATABASE_URL=f"sqlite:///{path}?timeout=5")
    tip_id = app.parts.catalogue.current().tips[0].id
    writer = hold_sqlite_write_lock(path)
    threading.Timer(0.5, writer.commit).start()
    try:
        answer = click(app, blocks.VOTE_USEFUL, tip_id, "UALICE")
    finally:
        writer.close()
    assert answer["text"].startswith("Thanks, noted: “Useful”")
    assert tallies(app, tip_id) == (1, 0)


def test_a_vote_while_another_writer_holds_sqlite_past_the_deadline_says_it_did_not_count(
    running_app, tmp_path
):
    path = tmp_path / "locked.sqlite3"
    app = running_app(DATABASE_URL=f"sqlite:///{path}?timeout=0.5")
    tip_id = app.parts.catalogue.current().tips[0].id
    writer = hold_sqlite_write_lock(path)
    try:
        answer = click(app, blocks.VOTE_USEFUL, tip_id, "UALICE")
    finally:
        writer.rollback()
        writer.close()
    assert answer["text"] == NOT_SAVED
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert tallies(app, tip_id) == (0, 0)
    # the same click once the other writer is done counts
    assert click(app, blocks.VOTE_USEFUL, tip_id, "UALICE")["text"].startswith("Thanks")
    assert tallies(app, tip_id) == (1, 0)


def test_a_vote_the_store_refuses_says_it_did_not_count(running_app, database_url):
    app = running_app(DATABASE_URL=database_url)
    tip_id = app.parts.catalogue.current().tips[0].id
    refuse_new_votes(app.parts.store)
    answer = click(app, blocks.VOTE_USEFUL, tip_id, "UALICE")
    assert answer["text"] == NOT_SAVED
    assert tallies(app, tip_id) == (0, 0)


def refuse_new_votes(store) -> None:
    """A real database error on every new vote (as a full disk would give)."""
    with store.engine.begin() as connection:
        if store.engine.dialect.name == "postgresql":
            connection.execute(
                text(
                    "CREATE FUNCTION refuse_votes() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'disk quota exceeded'; END $$"
                )
            )
            connection.execute(
                text(
                    "CREATE TRIGGER refuse_votes BEFORE INSERT ON votes "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_votes()"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE TRIGGER refuse_votes BEFORE INSERT ON votes "
                    "BEGIN SELECT RAISE(ABORT, 'disk quota exceeded'); END"
                )
            )
