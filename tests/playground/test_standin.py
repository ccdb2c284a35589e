"""The playground's Web API stand-in, called as pmtip calls it: through a real
slack_sdk WebClient (JSON bodies, query strings, forms with JSON-string fields)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.playground.config import ADMIN, BOT_USER_ID, CHANNEL_ID, MEMBER
from bot.playground.server import PlaygroundServer
from tests.support.playground import running_playground

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}


@pytest.fixture
def server(tmp_path) -> Iterator[PlaygroundServer]:
    with running_playground(tmp_path) as running:
        yield running


@pytest.fixture
def client(server) -> WebClient:
    token = server.playground.session.standin.token
    return WebClient(token=token, base_url=f"{server.base_url}/api/", timeout=5)


def error_of(call) -> str:
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value.response["error"]


def test_auth_test_names_the_bot(client):
    answer = client.auth_test()
    assert (answer["user_id"], answer["bot_id"]) == (BOT_USER_ID, "BPMTIP")


def test_a_token_other_than_the_sessions_is_refused(server):
    stranger = WebClient(token="xoxb-somebody-else", base_url=f"{server.base_url}/api/")
    assert error_of(stranger.auth_test) == "invalid_auth"
    assert error_of(WebClient(base_url=f"{server.base_url}/api/").auth_test) == "not_authed"


def test_posting_in_the_channel_needs_the_bot_in_it(server, client):
    assert error_of(lambda: client.chat_postMessage(channel=CHANNEL_ID, text="x")) == (
        "not_in_channel"
    )
    assert client.conversations_info(channel=CHANNEL_ID)["channel"]["is_member"] is False
    client.conversations_join(channel=CHANNEL_ID)
    answer = client.chat_postMessage(
        channel=CHANNEL_ID,
        text="fallback",
        blocks=[SECTION],
        metadata={"event_type": "t", "event_payload": {"n": 1}},
    )
    [posted] = server.playground.world.snapshot().messages
    assert answer["ts"] == posted.ts and posted.visible_to is None
    assert posted.body == {"text": "fallback", "blocks": [SECTION]}
    history = client.conversations_history(channel=CHANNEL_ID, include_all_metadata=True)
    [item] = history["messages"]
    assert item["bot_id"] == "BPMTIP" and item["metadata"]["event_payload"] == {"n": 1}


def test_a_post_to_a_user_id_is_a_direct_message(server, client):
    answer = client.chat_postMessage(channel=ADMIN.id, text="psst")
    assert answer["channel"] == ADMIN.dm_channel
    [posted] = server.playground.world.snapshot().messages
    assert posted.conversation == ADMIN.dm_channel


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_messages_beyond_slacks_limits_are_refused(client):
    client.conversations_join(channel=CHANNEL_ID)
    assert error_of(lambda: client.chat_postMessage(channel=CHANNEL_ID)) == "no_text"
    too_many = [SECTION] * 51
    assert error_of(
        lambda: client.chat_postMessage(channel=CHANNEL_ID, text="x", blocks=too_many)
    ) == ("invalid_blocks")
    assert error_of(lambda: client.chat_postMessage(channel="C404", text="x")) == (
        "channel_not_found"
    )


def test_a_form_body_with_json_string_fields_is_read_as_slack_reads_it(server, client):
    client.conversations_join(channel=CHANNEL_ID)
    client.api_call(
        "chat.postMessage",
        data={"channel": CHANNEL_ID, "text": "form", "blocks": json.dumps([SECTION])},
    )
    assert server.playground.world.snapshot().messages[-1].body["blocks"] == [SECTION]


def test_views_publish_keeps_the_home_tab_and_refuses_a_bad_view(server, client):
    view = {"type": "home", "blocks": [SECTION]}
    client.views_publish(user_id=MEMBER.id, view=view)
    assert server.playground.world.snapshot().views[MEMBER.id] == view
    too_big = {"type": "home", "blocks": [SECTION] * 101}
    assert error_of(lambda: client.views_publish(user_id=MEMBER.id, view=too_big)) == (
        "invalid_arguments"
    )
    assert error_of(lambda: client.views_publish(user_id="U404", view=view)) == "user_not_found"


def test_people_and_their_channels(client):
    alex = client.users_info(user=ADMIN.id)["user"]
    assert alex["real_name"] == "Alex" and alex["tz"] == "UTC" and not alex["is_admin"]
    members = client.users_list(limit=999)["members"]
    assert {m["id"] for m in members} == {MEMBER.id, ADMIN.id, BOT_USER_ID}
    channels = client.users_conversations(user=MEMBER.id, types="public_channel")["channels"]
    assert [c["id"] for c in channels] == [CHANNEL_ID]
    dm = client.conversations_info(channel=MEMBER.dm_channel)["channel"]
    assert dm["is_im"] is True


def test_a_method_pmtip_never_called_before_is_unknown_and_shown(server, client):
    assert error_of(lambda: client.api_call("chat.scheduleMessage")) == "unknown_method"
    assert "chat.scheduleMessage" in server.playground.world.snapshot().warnings[0]


def test_a_response_url_that_was_never_handed_out_is_refused(server):
    request = urllib.request.Request(
        f"{server.base_url}/response/guessed",
        data=b'{"text": "x"}',
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 404
    assert server.playground.world.snapshot().messages == ()
