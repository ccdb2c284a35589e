"""`/pmtip reload` and `/pmtip preview` end to end: signed slash commands to the
real app, Slack played by the stand-in, the tips file in a temporary folder."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.core.render import blocks
from bot.core.render.tips import weekly_insight
from tests.catalogue.test_reloader import BROKEN, catalogue_text, write
from tests.support.app_server import HttpReply, RunningApp
from tests.support.slack_api import FakeSlackApi
from tests.support.slack_validation import assert_no_broadcast, assert_valid_message

ADMIN = "UBOSS"  # in ADMIN_USER_IDS
WORKSPACE_ADMIN = "UWSADMIN"  # is_admin according to users.info
OWNER = "UOWNER"  # is_owner according to users.info
MEMBER = "U123"


@pytest.fixture
def tips_path(tmp_path: Path) -> Path:
    path = tmp_path / "tips.yaml"
    write(path, catalogue_text("alpha").encode())
    return path


@pytest.fixture
def app(running_app, slack_api: FakeSlackApi, tips_path: Path, tmp_path: Path) -> RunningApp:
    slack_api.users[WORKSPACE_ADMIN] = {"is_admin": True}
    slack_api.users[OWNER] = {"is_owner": True}
    return running_app(
        TIPS_PATH=str(tips_path),
        ADMIN_USER_IDS=ADMIN,
        RELOAD_SECONDS="0",  # no poller: only /pmtip reload loads the file here
        DATABASE_URL=f"sqlite:///{tmp_path}/admin.sqlite3",
    )


def reply_to(app: RunningApp, text: str, *, user: str = ADMIN) -> dict:
    """Send `/pmtip <text>` and return the one reply posted to its response_url."""
    reply: HttpReply = app.command(text, user_id=user)
    assert reply.status == 200, reply.body
    (message,) = app.responses(reply)
    assert message["response_type"] == "ephemeral"
    assert_valid_message(message)
    return message


def lookup(app: RunningApp, text: str = "") -> dict:
    reply = app.command(text, user_id=MEMBER)
    assert reply.status == 200
    return reply.json


# -- reload ------------------------------------------------------------------------------


def test_reload_loads_a_saved_edit_at_once_and_says_what_it_loaded(
    app: RunningApp, tips_path: Path
) -> None:
    assert "Alpha" in lookup(app)["text"]
    write(tips_path, catalogue_text("beta", tips=8).encode())
    message = reply_to(app, "reload")
    assert "Reloaded" in message["text"] and "8 tips in 2 topics" in message["text"]
    assert "Beta" in lookup(app)["text"]


def test_reload_of_a_broken_file_answers_with_the_errors_and_keeps_serving(
    app: RunningApp, tips_path: Path, slack_api: FakeSlackApi
) -> None:
    before = app.parts.catalogue.current()
    write(tips_path, BROKEN["invalid"])
    message = reply_to(app, "reload")
    line = catalogue_text("beta").split("\n").index("    topic: strategy") + 1
    shown = str(message["blocks"])
    assert "was not reloaded" in shown
    assert f"{tips_path}:{line}:12: " in shown and "did you mean `strategy`?" in shown
    assert "still serving the last good catalogue (6 tips in 2 topics)" in shown
    assert app.parts.catalogue.current() is before
    assert "Alpha" in lookup(app)["text"]
    # the admin who reloaded was answered; nobody else was messaged
    assert slack_api.calls("chat.postMessage") == []


@pytest.mark.parametrize("case", ["deleted", "empty", "half-written", "not UTF-8"])
def test_reload_of_an_unusable_file_says_why(case: str, app: RunningApp, tips_path: Path) -> None:
    write(tips_path, BROKEN[case])
    message = reply_to(app, "reload")
    assert "was not reloaded" in str(message["blocks"])
    reason = {
        "deleted": "does not exist",
        "empty": "the file is empty",
        "half-written": "",
        "not UTF-8": "not UTF-8",
    }[case]
    assert reason in str(message["blocks"])
    assert "Alpha" in lookup(app)["text"]


def test_a_file_broken_everywhere_still_fits_one_reply(app: RunningApp, tips_path: Path) -> None:
    text = catalogue_text("beta", tips=400).replace("topic: strategy", "topic: nowhere")
    write(tips_path, text.encode())
    message = reply_to(app, "reload")
    assert len(message["blocks"]) <= blocks.MAX_BLOCKS
    assert "and 170 more" in str(message["blocks"])  # 200 problems, 30 shown
    assert "python -m bot validate" in str(message["blocks"])


@pytest.mark.parametrize("user", [ADMIN, WORKSPACE_ADMIN, OWNER])
def test_admins_from_the_settings_and_from_slack_may_reload(app: RunningApp, user: str) -> None:
    assert "Reloaded" in reply_to(app, "reload", user=user)["text"]


# -- refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "action"),
    [("reload", "reload the tips file"), ("preview alpha-tip-1", "preview the weekly insight")],
)
def test_others_get_a_polite_refusal_naming_who_can_help(
    app: RunningApp,
    tips_path: Path,
    text: str,
    action: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    write(tips_path, catalogue_text("beta").encode())
    with caplog.at_level(logging.WARNING, logger="bot.slack"):
        message = reply_to(app, text, user=MEMBER)
    assert f"only admins can {action}" in message["text"]
    assert f"<@{ADMIN}>" in message["text"] and "workspace admin" in message["text"]
    assert f"refused {action} for {MEMBER}" in caplog.text
    assert "Alpha" in lookup(app)["text"]  # nothing was reloaded


def test_when_slack_cannot_say_who_is_admin_only_the_settings_count(
    app: RunningApp, slack_api: FakeSlackApi
) -> None:
    slack_api.fail("users.info", error="user_not_found", times=5)
    message = reply_to(app, "reload", user=WORKSPACE_ADMIN)
    assert "only admins can reload" in message["text"]


# -- preview ------------------------------------------------------------------------------


def test_preview_shows_exactly_the_weekly_message(app: RunningApp) -> None:
    message = reply_to(app, "preview alpha-tip-3")
    tip = app.parts.catalogue.current().tip("alpha-tip-3")
    weekly = weekly_insight(tip)
    note, *rest = message["blocks"]
    assert rest == weekly.blocks
    assert message["text"] == weekly.text
    assert "Preview of `alpha-tip-3`" in note["elements"][0]["text"]
    assert_no_broadcast(message)


def test_preview_of_every_shipped_tip_is_a_valid_message(running_app, tmp_path: Path) -> None:
    app = running_app(ADMIN_USER_IDS=ADMIN, DATABASE_URL=f"sqlite:///{tmp_path}/p.sqlite3")
    for tip in app.parts.catalogue.current().tips[:10]:
        message = reply_to(app, f"preview {tip.id}")
        assert message["blocks"][1:] == weekly_insight(tip).blocks


def test_preview_of_an_unknown_id_suggests_close_ones(app: RunningApp) -> None:
    message = reply_to(app, "preview alpha-tip-33")
    assert "No tip has the id `alpha-tip-33`" in message["text"]
    assert "`alpha-tip-3`" in message["text"]
    fragment = reply_to(app, "preview tip-5")
    assert "`alpha-tip-5`" in fragment["text"]


def test_preview_echoes_a_hostile_id_harmlessly(app: RunningApp) -> None:
    message = reply_to(app, "preview <!channel>")
    assert "&lt;!channel&gt;" in message["text"]
    assert_no_broadcast(message)


def test_preview_without_an_id_explains_itself(app: RunningApp) -> None:
    reply = app.command("preview", user_id=ADMIN)
    assert reply.status == 200
    assert "Name one tip id" in reply.json["text"]


def test_a_bad_tips_file_at_start_gives_a_plain_unavailable_reply(
    running_app, tmp_path: Path
) -> None:
    path = tmp_path / "broken.yaml"
    write(path, BROKEN["invalid"])
    app = running_app(
        TIPS_PATH=str(path),
        RELOAD_SECONDS="0",
        DATABASE_URL=f"sqlite:///{tmp_path}/bad-start.sqlite3",
    )
    for text in ("ai-failure", "", "search moat", "topics"):
        reply = app.command(text)
        assert reply.status == 200
        assert_valid_message(reply.json)
        assert "unavailable" in reply.json["text"] and "admins have been told" in reply.json["text"]
    assert "/pmtip topics" in app.command("help").json["text"]


def test_help_lists_the_admin_commands_for_an_admin_and_not_for_others(app: RunningApp) -> None:
    for_admin = app.command("help", user_id=ADMIN).json["text"]
    for_member = app.command("help", user_id=MEMBER).json["text"]
    assert "/pmtip reload" in for_admin and "/pmtip stats" in for_admin
    assert "/pmtip reload" not in for_member and "/pmtip stats" not in for_member
