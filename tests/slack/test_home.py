"""The App Home tab end to end: a signed `app_home_opened` event to the real app,
the view it publishes checked as Slack would check it, and its topic buttons."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.core.render import blocks
from bot.core.render.home import HOME_PROBLEM_LINES_SHOWN, MAX_VIEW_BLOCKS
from bot.core.schedule import WeeklySchedule
from bot.slack.handlers.subscriptions import next_post_of
from bot.store import Vote
from tests.catalogue.test_reloader import BROKEN, catalogue_text, write
from tests.core.test_tips_file import generate_tips_yaml
from tests.support.app_server import RunningApp
from tests.support.databases import corrupt_subscription
from tests.support.signing import JSON, block_actions_payload, event_body
from tests.support.slack_api import FakeSlackApi
from tests.support.slack_validation import assert_valid_message, assert_valid_view
from tests.support.workspaces import WS

ADMIN = "UBOSS"
MEMBER = "U123"
MEMBER_CHANNELS = ["CTEAM", "CRANDOM", "CPRIVATE"]


@pytest.fixture
def app(running_app, slack_api: FakeSlackApi, tmp_path: Path) -> RunningApp:
    slack_api.set_handler("users.conversations", channels_of_users(slack_api))
    return running_app(ADMIN_USER_IDS=ADMIN, DATABASE_URL=f"sqlite:///{tmp_path}/home.sqlite3")


def channels_of_users(api: FakeSlackApi, *, page_size: int = 2):
    """users.conversations on the stand-in: MEMBER is in three channels, two per page."""

    def handler(params: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        member_of = MEMBER_CHANNELS if params.get("user") == MEMBER else []
        start = int(params.get("cursor") or 0)
        page = member_of[start : start + page_size]
        more = start + page_size < len(member_of)
        return (
            200,
            {},
            {
                "ok": True,
                "channels": [{"id": c, "name": c.lower()} for c in page],
                "response_metadata": {"next_cursor": str(start + page_size) if more else ""},
            },
        )

    return handler


def open_home(app: RunningApp, user: str, *, tab: str = "home") -> dict[str, Any] | None:
    """Send app_home_opened; return the view published for `user` (None if none was)."""
    before = len(app.api.calls("views.publish"))
    event = {
        "type": "app_home_opened",
        "user": user,
        "channel": "D0HOME",
        "tab": tab,
        "event_ts": "1700000000.000100",
    }
    reply = app.post_signed(event_body(event), content_type=JSON)
    assert reply.status == 200, reply.body
    if tab != "home":
        return None
    calls = app.api.wait_for("views.publish", count=before + 1)
    call = calls[-1]
    assert call.params["user_id"] == user
    view = call.params["view"]
    assert_valid_view(view)
    assert len(view["blocks"]) <= MAX_VIEW_BLOCKS
    return view


def buttons(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]


def subscribe(app: RunningApp, channel: str, *, day: int = 0, zone: str = "Europe/Berlin") -> None:
    app.parts.store.workspace(WS).subscribe(
        channel_id=channel,
        schedule=WeeklySchedule(day=day, at=time(9, 0), timezone=zone),
        topics=(),
        subscribed_by=ADMIN,
        now=datetime.now(UTC),
    )


# -- what everyone sees --------------------------------------------------------------


def test_everyone_sees_every_topic_as_a_button_and_no_admin_section(app: RunningApp) -> None:
    view = open_home(app, MEMBER)
    catalogue = app.parts.catalogue.current()
    assert [b["value"] for b in buttons(view)] == [t.slug for t in catalogue.topics]
    assert all(b["action_id"].startswith(blocks.HOME_TOPIC) for b in buttons(view))
    assert "Admin" not in json.dumps(view)


def test_the_channels_someone_is_in_show_their_next_post(
    app: RunningApp, slack_api: FakeSlackApi
) -> None:
    subscribe(app, "CTEAM", zone="Europe/Berlin")
    subscribe(app, "CPRIVATE", day=4, zone="America/New_York")
    subscribe(app, "COTHER")  # the member is not in it
    view = open_home(app, MEMBER)
    shown = json.dumps(view)
    assert "<#CTEAM>" in shown and "<#CPRIVATE>" in shown and "<#COTHER>" not in shown
    assert "every Monday at 09:00 (Europe/Berlin)" in shown
    assert "every Friday at 09:00 (America/New_York)" in shown
    for channel in ("CTEAM", "CPRIVATE"):
        sub = app.parts.store.workspace(WS).subscription(channel)
        parts = app.parts
        slot = next_post_of(
            parts.store, sub, now=datetime.now(UTC), catchup_hours=parts.settings.catchup_hours
        )
        assert f"<!date^{int(slot.instant.timestamp())}^" in shown
    pages = slack_api.calls("users.conversations")
    assert len(pages) == 2  # three channels, two per page, then no more cursor
    assert all(p.params["user"] == MEMBER for p in pages)


def test_a_channel_with_an_unreadable_schedule_does_not_hide_the_others(
    app: RunningApp,
) -> None:
    subscribe(app, "CTEAM", zone="Europe/Berlin")
    subscribe(app, "CRANDOM", zone="Asia/Tokyo")
    corrupt_subscription(app.parts.store.engine, "CRANDOM", timezone="Mars/Olympus")
    view = open_home(app, MEMBER)
    shown = json.dumps(view)
    assert "<#CTEAM>" in shown and "every Monday at 09:00 (Europe/Berlin)" in shown
    assert "<#CRANDOM>" not in shown  # paused: it gets no post to show
    assert "couldn't look up your channels" not in shown


def test_no_subscriptions_means_no_membership_lookup(
    app: RunningApp, slack_api: FakeSlackApi
) -> None:
    view = open_home(app, MEMBER)
    assert "None of your channels gets the weekly insight" in json.dumps(view)
    assert slack_api.calls("users.conversations") == []


def test_a_failed_channel_lookup_still_publishes_the_home_tab(
    app: RunningApp, slack_api: FakeSlackApi
) -> None:
    subscribe(app, "CTEAM")
    slack_api.fail("users.conversations", error="missing_scope")
    view = open_home(app, MEMBER)
    assert "couldn't look up your channels" in json.dumps(view)
    assert buttons(view)


def test_the_messages_tab_publishes_nothing(app: RunningApp, slack_api: FakeSlackApi) -> None:
    open_home(app, MEMBER, tab="messages")
    open_home(app, MEMBER)  # a later Home event is still answered, and only once
    assert len(slack_api.calls("views.publish")) == 1


# -- what admins see ---------------------------------------------------------------------


def test_admins_also_see_the_catalogue_state_and_the_stats(app: RunningApp) -> None:
    store = app.parts.store
    now = datetime.now(UTC)
    store.workspace(WS).record_vote(
        user_id="U1", tip_id="moat-hard-to-replicate", vote=Vote.USEFUL, channel_id="CTEAM", now=now
    )
    store.workspace(WS).record_vote(
        user_id="U2", tip_id="moat-hard-to-replicate", vote=Vote.USEFUL, channel_id="CTEAM", now=now
    )
    store.workspace(WS).record_vote(
        user_id="U1",
        tip_id="ai-fit-look-for-10x",
        vote=Vote.NOT_FOR_ME,
        channel_id="CTEAM",
        now=now,
    )
    view = open_home(app, ADMIN)
    shown = json.dumps(view)
    catalogue = app.parts.catalogue.current()
    assert f"{len(catalogue.tips)} tips in {len(catalogue.topics)} topics" in shown
    assert "content/tips.yaml" in shown
    assert f"<!date^{int(app.parts.catalogue.loaded_at.timestamp())}^" in shown
    assert "The file on disk is the one being served" in shown
    most = shown.index("Most useful")
    least = shown.index("Least useful")
    assert most < shown.index("moat-hard-to-replicate") < least
    assert shown.index("ai-fit-look-for-10x", least) > least
    assert "3 votes" in shown


@pytest.fixture
def tips_path(tmp_path: Path) -> Path:
    path = tmp_path / "tips.yaml"
    write(path, catalogue_text("alpha").encode())
    return path


def test_admins_see_the_errors_of_a_rejected_edit(
    running_app, slack_api: FakeSlackApi, tips_path: Path, tmp_path: Path
) -> None:
    slack_api.set_handler("users.conversations", channels_of_users(slack_api))
    app = running_app(
        TIPS_PATH=str(tips_path),
        ADMIN_USER_IDS=ADMIN,
        RELOAD_SECONDS="0",
        DATABASE_URL=f"sqlite:///{tmp_path}/h.sqlite3",
    )
    write(tips_path, BROKEN["invalid"])
    app.parts.catalogue.reload()
    shown = json.dumps(open_home(app, ADMIN))
    assert "The last edit was not loaded" in shown
    assert "did you mean `strategy`?" in shown and f"{tips_path}:" in shown
    assert "6 tips in 2 topics" in shown  # still serving alpha
    assert "not loaded" not in json.dumps(open_home(app, MEMBER))


def test_a_rejected_edits_control_characters_and_count_show_escaped_and_whole(
    running_app, slack_api: FakeSlackApi, tips_path: Path, tmp_path: Path
) -> None:
    app = running_app(
        TIPS_PATH=str(tips_path),
        ADMIN_USER_IDS=ADMIN,
        RELOAD_SECONDS="0",
        DATABASE_URL=f"sqlite:///{tmp_path}/h.sqlite3",
    )
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "tips"
    write(tips_path, (fixtures / "control_chars.yaml").read_bytes())
    app.parts.catalogue.reload()
    shown = " ".join(strings_in(open_home(app, ADMIN)))
    assert not any(c in shown for c in "\x1b\r\x07\u202e"), shown
    assert "\\x1b[2K\\rmoat\\x07" in shown

    write(tips_path, (fixtures / "alias_bomb.yaml").read_bytes())
    app.parts.catalogue.reload()
    shown = " ".join(strings_in(open_home(app, ADMIN)))
    assert f"…and {802 - HOME_PROBLEM_LINES_SHOWN} more" in shown


def strings_in(value: object) -> list[str]:
    """Every string of a view, as sent."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []


def test_a_bad_file_at_start_shows_an_empty_but_friendly_home(
    running_app, slack_api: FakeSlackApi, tips_path: Path, tmp_path: Path
) -> None:
    write(tips_path, b"")
    app = running_app(
        TIPS_PATH=str(tips_path),
        ADMIN_USER_IDS=ADMIN,
        RELOAD_SECONDS="0",
        DATABASE_URL=f"sqlite:///{tmp_path}/h.sqlite3",
    )
    member_view = json.dumps(open_home(app, MEMBER))
    assert "No tips are available right now" in member_view
    admin_view = json.dumps(open_home(app, ADMIN))
    assert "never since the start" in admin_view and "the file is empty" in admin_view


# -- however large the catalogue -------------------------------------------------------------


@pytest.mark.parametrize(("tips", "topics"), [(10_000, 100), (1_500, 700)])
def test_the_home_tab_stays_within_slacks_limits_for_any_catalogue(
    running_app, slack_api: FakeSlackApi, tmp_path: Path, tips: int, topics: int
) -> None:
    path = tmp_path / "big.yaml"
    write(path, generate_tips_yaml(tips, topic_count=topics).encode())
    slack_api.set_handler("users.conversations", channels_of_users(slack_api))
    app = running_app(
        TIPS_PATH=str(path),
        ADMIN_USER_IDS=ADMIN,
        RELOAD_SECONDS="0",
        DATABASE_URL=f"sqlite:///{tmp_path}/big.sqlite3",
    )
    for channel in [f"C{n:04d}" for n in range(80)] + MEMBER_CHANNELS:
        subscribe(app, channel)
    view = open_home(app, ADMIN)  # open_home checks the limits
    shown = buttons(view)
    assert len(shown) == min(topics, 500)
    if topics > 500:
        assert f"and {topics - 500} more topics" in json.dumps(view)


# -- the topic buttons ----------------------------------------------------------------------


def click_home_button(app: RunningApp, action_id: str, value: str, *, user: str) -> int:
    """A button on the Home tab: a view container, and no response_url."""
    payload = block_actions_payload(action_id, value, response_url="unused", user_id=user)
    del payload["response_url"], payload["channel"]
    payload["container"] = {"type": "view", "view_id": "V1"}
    payload["view"] = {"id": "V1", "type": "home", "blocks": []}
    reply = app.post_signed(urlencode({"payload": json.dumps(payload)}).encode())
    return reply.status


def test_a_topic_button_sends_a_tip_of_that_topic_by_direct_message(
    app: RunningApp, slack_api: FakeSlackApi
) -> None:
    view = open_home(app, MEMBER)
    button = next(b for b in buttons(view) if b["value"] == "moat")
    assert click_home_button(app, button["action_id"], button["value"], user=MEMBER) == 200
    (call,) = slack_api.wait_for("chat.postMessage")
    assert call.params["channel"] == MEMBER  # the person's DM with the bot
    assert_valid_message(call.params)
    tip_id = call.params["blocks"][-1]["elements"][0]["value"]
    assert app.parts.catalogue.current().tip(tip_id).topic == "moat"

    # again: a different tip of the same topic
    assert click_home_button(app, button["action_id"], "moat", user=MEMBER) == 200
    calls = slack_api.wait_for("chat.postMessage", count=2)
    assert calls[1].params["blocks"][-1]["elements"][0]["value"] != tip_id


def test_a_button_for_a_retired_topic_answers_kindly(
    app: RunningApp, slack_api: FakeSlackApi
) -> None:
    assert click_home_button(app, f"{blocks.HOME_TOPIC}.3", "retired-topic", user=MEMBER) == 200
    (call,) = slack_api.wait_for("chat.postMessage")
    assert call.params["channel"] == MEMBER
    assert "couldn't find a tip" in call.params["text"]
    assert_valid_message(call.params)
