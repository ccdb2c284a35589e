"""The World's rules for posts to a response_url, as Slack applies them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.playground.config import BOT_USER_ID, CHANNEL_ID
from bot.playground.world import RESPONSE_URL_USES, World

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TIP = {"text": "a tip", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}]}


@pytest.fixture
def world() -> World:
    return World(now=lambda: NOW)


def ephemeral_reply(world: World) -> tuple[str, str]:
    """(message id, response_url key) of an ephemeral reply the URL belongs to."""
    posted = world.post(conversation=CHANNEL_ID, author=BOT_USER_ID, body=TIP, visible_to="U1")
    key = world.new_response_url(conversation=CHANNEL_ID, user="U1", original=posted.id)
    return posted.id, key


def test_replace_original_changes_the_message_in_place_and_keeps_it_ephemeral(world):
    message_id, key = ephemeral_reply(world)
    assert world.respond(key, {"text": "new", "replace_original": True}) is None
    [message] = world.snapshot().messages
    assert (message.id, message.body, message.visible_to) == (message_id, {"text": "new"}, "U1")
    assert message.edited


def test_in_channel_posts_a_new_message_for_everyone(world):
    _, key = ephemeral_reply(world)
    world.respond(key, {"text": "shared", "response_type": "in_channel", "replace_original": False})
    original, shared = world.snapshot().messages
    assert shared.visible_to is None and shared.author == BOT_USER_ID
    assert original.body == TIP  # untouched


def test_anything_else_is_a_new_message_for_the_person_who_acted(world):
    _, key = ephemeral_reply(world)
    world.respond(key, {"text": "only you", "replace_original": False})
    assert world.snapshot().messages[-1].visible_to == "U1"


def test_delete_original_removes_it(world):
    _, key = ephemeral_reply(world)
    assert world.respond(key, {"delete_original": True}) is None
    assert world.snapshot().messages == ()


def test_a_command_url_replaces_the_reply_its_acknowledgement_carried(world):
    key = world.new_response_url(conversation=CHANNEL_ID, user="U1", original=None)
    posted = world.post(conversation=CHANNEL_ID, author=BOT_USER_ID, body=TIP, visible_to="U1")
    world.set_response_original(key, posted.id)
    world.respond(key, {"text": "later", "replace_original": True})
    assert [m.body for m in world.snapshot().messages] == [{"text": "later"}]


def test_slack_refuses_unknown_urls_empty_posts_and_a_sixth_use(world):
    _, key = ephemeral_reply(world)
    assert world.respond("not-a-key", {"text": "x"}) == "expired_url"
    assert world.respond(key, {"response_type": "ephemeral"}) == "no_text"
    for _ in range(RESPONSE_URL_USES - 1):
        assert world.respond(key, {"text": "again"}) is None
    assert world.respond(key, {"text": "once too often"}) == "used_url"
    assert world.snapshot().warnings  # the page says so


def test_every_change_wakes_a_waiting_page(world):
    version = world.snapshot().version
    world.post(conversation=CHANNEL_ID, author="U1", body={"text": "hi"})
    assert world.wait_for_change(version, timeout=0.01) == version + 1
