"""The buttons on pmtip's messages, end to end: signed `block_actions` clicks,
answered through the stand-in's response_url (which works in any conversation)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.catalogue.source import read_catalogue
from bot.core.render import blocks
from tests.support.app_server import TIPS_PATH, HttpReply, RunningApp
from tests.support.slack_validation import all_text, assert_valid_message

CATALOGUE, _ = read_catalogue(TIPS_PATH)
assert CATALOGUE is not None
TWO_TIP_TOPIC = "ai-failure"
RETIRED = "a-tip-that-was-removed-from-the-file"


@pytest.fixture
def app(running_app) -> RunningApp:
    return running_app()


def acked(reply: HttpReply) -> HttpReply:
    assert reply.status == 200, reply.body
    return reply


def tip_in(message: dict[str, Any]) -> str:
    """The id of the tip a message shows, found by its title header."""
    header = message["blocks"][0 if message["blocks"][0]["type"] == "header" else 1]
    titles = {tip.title: tip.id for tip in CATALOGUE.tips}
    return titles[header["text"]["text"]]


def first_tip(app: RunningApp, text: str = TWO_TIP_TOPIC, **fields: Any) -> str:
    message = app.command(text, **fields).json
    return tip_in(message)


def test_share_posts_the_tip_for_everyone_naming_the_sharer(app, slack_api):
    tip_id = first_tip(app)
    click = acked(app.action(blocks.SHARE, tip_id, user_id="USHARER"))
    shared, confirmation = app.responses(click, count=2)

    assert shared["response_type"] == "in_channel"
    assert shared["replace_original"] is False
    assert_valid_message(shared)
    assert tip_in(shared) == tip_id
    assert "<@USHARER>" in shared["text"]
    assert "<@USHARER>" in all_text({"blocks": shared["blocks"]})

    # the ephemeral copy is replaced, so its Share button cannot post the tip twice
    assert confirmation["replace_original"] is True
    assert_valid_message(confirmation)
    assert CATALOGUE.tip(tip_id).title in confirmation["text"]
    assert not any(b["type"] == "actions" for b in confirmation["blocks"])

    # the response_url does the posting: no chat.postMessage (it needs channel membership)
    assert slack_api.calls("chat.postMessage") == []


def test_share_of_a_retired_tip_says_so_privately_and_posts_nothing(app, slack_api):
    click = acked(app.action(blocks.SHARE, RETIRED))
    (reply,) = app.responses(click)
    assert reply["response_type"] == "ephemeral"
    assert reply["replace_original"] is False
    assert "retired" in reply["text"]
    assert_valid_message(reply)
    # a later, real share arrives; the retired one never produced a second post
    later = app.action(blocks.SHARE, CATALOGUE.tips[0].id)
    app.responses(later, count=2)
    assert len(slack_api.responses(click.response_name)) == 1


def test_another_tip_replaces_the_ephemeral_reply_with_a_different_tip_of_the_topic(app):
    current = first_tip(app)
    for _ in range(10):
        click = acked(app.action(blocks.ANOTHER, current, is_ephemeral=True))
        (reply,) = app.responses(click)
        assert reply["replace_original"] is True
        assert reply["response_type"] == "ephemeral"
        assert_valid_message(reply)
        following = tip_in(reply)
        assert following != current
        assert CATALOGUE.tip(following).topic == TWO_TIP_TOPIC
        current = following


def test_another_tip_under_a_channel_post_answers_the_clicker_privately(app):
    tip_id = CATALOGUE.tips_in("moat")[0].id
    click = acked(app.action(blocks.ANOTHER, tip_id, is_ephemeral=False))
    (reply,) = app.responses(click)
    assert reply["replace_original"] is False  # the channel's post stays as it is
    assert reply["response_type"] == "ephemeral"
    assert CATALOGUE.tip(tip_in(reply)).topic == "moat"
    assert tip_in(reply) != tip_id


def test_another_tip_after_a_retired_tip_gives_some_catalogue_tip(app):
    click = acked(app.action(blocks.ANOTHER, RETIRED))
    (reply,) = app.responses(click)
    assert_valid_message(reply)
    assert CATALOGUE.tip(tip_in(reply)) is not None


def test_show_from_search_results_replaces_the_list_with_that_tip(app):
    results = app.command("search moat").json
    values = [
        b["accessory"]["value"]
        for b in results["blocks"]
        if b.get("accessory", {}).get("action_id") == blocks.SHOW
    ]
    assert len(values) >= 2
    chosen = values[1]
    click = acked(app.action(blocks.SHOW, chosen, is_ephemeral=True))
    (reply,) = app.responses(click)
    assert reply["replace_original"] is True
    assert_valid_message(reply)
    assert tip_in(reply) == chosen
    assert any(b["type"] == "actions" for b in reply["blocks"])  # it can be shared from there


def test_show_of_a_retired_tip_says_it_was_retired(app):
    click = acked(app.action(blocks.SHOW, RETIRED))
    (reply,) = app.responses(click)
    assert "retired" in reply["text"]
    assert_valid_message(reply)


def test_a_click_is_acknowledged_with_an_empty_200_before_the_reply(app):
    click = app.action(blocks.SHOW, CATALOGUE.tips[0].id)
    assert click.status == 200
    assert click.body == b""
    app.responses(click)


def test_a_click_on_a_button_pmtip_does_not_know_is_refused_without_a_crash(app, slack_api):
    click = app.action("some_other_apps_button", "x")
    assert click.status == 404  # Bolt's answer to a request no listener takes
    assert slack_api.responses(click.response_name) == []


def test_a_reply_with_no_match_offers_topics_whose_buttons_open_a_tip(app):
    message = app.command("quantum blockchain synergy").json
    assert "couldn't find" in message["text"]
    assert_valid_message(message)
    (offered,) = [b for b in message["blocks"] if b["type"] == "actions"]
    buttons = offered["elements"]
    assert 1 <= len(buttons) <= 3
    assert len({b["action_id"] for b in buttons}) == len(buttons)  # unique, as Slack requires
    assert all(b["action_id"].startswith(blocks.TOPIC + ".") for b in buttons)

    last = buttons[-1]  # any of them: one listener answers every `pmtip_topic.<n>`
    click = acked(app.action(last["action_id"], last["value"], user_id="UNOMATCH"))
    (reply,) = app.responses(click)
    assert reply["replace_original"] is True  # the no-match reply gives way to the tip
    assert reply["response_type"] == "ephemeral"
    assert_valid_message(reply)
    assert CATALOGUE.tip(tip_in(reply)).topic == last["value"]


def test_a_topic_button_for_a_topic_since_removed_answers_with_suggestions(app):
    click = acked(app.action(f"{blocks.TOPIC}.0", "zzqx-retired"))
    (reply,) = app.responses(click)
    assert "couldn't find" in reply["text"]
    assert_valid_message(reply)
