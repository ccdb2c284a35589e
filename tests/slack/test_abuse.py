"""Abuse, over HTTP, against the real app: replayed and forged requests, oversized
and malformed bodies, payloads of the wrong shape, buttons pmtip never drew, and
people who are no admins trying admin commands.

Each gets a 4xx or a polite reply, never a 500 or a traceback, and sets nothing
going: no Web API call beyond reads, no post to its response_url other than the
polite reply, no change in the database. tests/slack/test_request_checks.py has
the plain signature, timestamp and content-length checks; this file goes past
them.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.core.render import blocks
from tests.support.app_server import HttpReply, RunningApp
from tests.support.databases import sqlite_url
from tests.support.signing import (
    JSON,
    block_actions_body,
    block_actions_payload,
    signed_headers,
    slash_command_body,
)
from tests.support.slack_api import RESPONSE_URL, FakeSlackApi
from tests.support.slack_validation import all_text, assert_valid_message
from tests.support.workspaces import WS

ADMIN = "UADMIN"
PERSON = "U123"  # the stand-in's users are no workspace admins unless told
CHANNEL = "C123"
STALE_SECONDS = 5 * 60 + 10  # Bolt refuses anything more than five minutes off
# Web API methods that only read; anything else a refused request makes is a side effect.
READS = frozenset({"auth.test", "users.info", "conversations.info"})


@pytest.fixture
def app(running_app, tmp_path: Path) -> RunningApp:
    return running_app(DATABASE_URL=sqlite_url(tmp_path), ADMIN_USER_IDS=ADMIN)


def side_effects(api: FakeSlackApi) -> list[str]:
    return [c.method for c in api.calls() if c.method not in READS | {RESPONSE_URL}]


def settle(app: RunningApp) -> None:
    """A genuine command answered after its ack, waited for. Refused requests never
    start any background work, so nothing of theirs can still be running after it."""
    reply = app.command("schedule", user_id=PERSON)
    assert reply.status == 200
    app.responses(reply)


def assert_no_crash(reply: HttpReply) -> None:
    assert reply.status < 500, (reply.status, reply.body[:300])
    assert b"Traceback" not in reply.body and b'File "' not in reply.body


def assert_polite(message: dict[str, Any]) -> None:
    """Valid, private, and notifying nobody (naming the admins who can help is fine:
    a mention in an ephemeral message notifies no one)."""
    assert_valid_message(message)
    assert "<!" not in all_text(message), all_text(message)[:300]
    assert message.get("response_type", "ephemeral") == "ephemeral"


# -- replays ------------------------------------------------------------------------


def test_a_command_replayed_more_than_five_minutes_after_capture_is_refused(app, slack_api):
    # An admin's genuine subscribe, captured on the wire 5 minutes 10 seconds ago.
    name, url = app.new_response_url()
    body = slash_command_body("subscribe mon 09:00 UTC", response_url=url, user_id=ADMIN)
    captured = signed_headers(body, app.signing_secret, int(time.time()) - STALE_SECONDS)

    assert app.post(body, captured).status == 401
    # Nor can the timestamp be brought up to date: the signature covers it.
    refreshed = captured | {"X-Slack-Request-Timestamp": str(int(time.time()))}
    assert app.post(body, refreshed).status == 401

    settle(app)
    assert slack_api.responses(name) == []
    assert app.parts.store.workspace(WS).subscription(CHANNEL) is None
    assert side_effects(slack_api) == []


def test_a_share_click_replayed_after_five_minutes_posts_nothing(app, slack_api):
    name, url = app.new_response_url()
    tip_id = app.parts.catalogue.current().tips[0].id
    body = block_actions_body(blocks.SHARE, tip_id, response_url=url)
    captured = signed_headers(body, app.signing_secret, int(time.time()) - STALE_SECONDS)

    reply = app.post(body, captured)
    assert reply.status == 401
    assert reply.body in (b"", b'{"error": "invalid request"}')

    settle(app)
    assert slack_api.responses(name) == []
    assert side_effects(slack_api) == []


# -- size ---------------------------------------------------------------------------


def test_a_signed_body_over_one_megabyte_is_refused_before_the_rest_is_sent(app, slack_api):
    # A real, signed body over the limit naming a real command. Only its first 64 KB
    # go out before the answer is read: the 413 must come without the app waiting
    # for (or reading) the rest.
    name, url = app.new_response_url()
    body = slash_command_body("x" * (1024 * 1024), response_url=url)
    headers = signed_headers(body, app.signing_secret) | {"Content-Length": str(len(body))}
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    with socket.create_connection(("127.0.0.1", app.port), timeout=10) as connection:
        connection.sendall(f"POST /slack/events HTTP/1.1\r\nHost: x\r\n{head}\r\n".encode())
        connection.sendall(body[: 64 * 1024])
        status_line = connection.makefile("rb").readline()
    assert status_line.startswith(b"HTTP/1.") and b" 413 " in status_line, status_line
    settle(app)
    assert slack_api.responses(name) == []


def test_a_body_just_under_the_limit_reaches_bolt_and_is_answered(app):
    # 1 MB exactly is allowed through; Slack itself sends at most 4,000 characters
    # of text, so this is only the limit being exact, not a use case.
    body = urlencode({"command": "/pmtip", "text": "help", "pad": ""}).encode()
    body += b"x" * (1024 * 1024 - len(body))
    reply = app.post_signed(body)
    assert_no_crash(reply)
    assert reply.status != 413


# -- malformed bodies ------------------------------------------------------------------

_FORM_BODIES = {
    "bad percent escapes": b"command=%2Fpmtip&text=%zz%&user_id=%",
    "a field twice": b"command=%2Fpmtip&command=%2Fother&text=help&text=topics",
    "ten thousand fields": b"&".join(b"f%d=%d" % (i, i) for i in range(10_000)),
    "NUL bytes and broken UTF-8": b"command=%2Fpmtip&text=%00%ed%a0%80%ff&user_id=%00",
    "another app's command": b"command=%2Fnot-pmtip&text=help&user_id=U1",
    "no command field": b"text=help&user_id=U1&channel_id=C1",
    "payload not JSON": b"payload=%7Bnot-json",
    "payload a JSON string": b"payload=%22x%22",
    "payload a number": b"payload=5",
    "payload null": b"payload=null",
    "payload and command both": b"payload=%7B%7D&command=%2Fpmtip&text=help",
    "only an equals sign": b"=",
    "only ampersands": b"&&&&",
}


@pytest.mark.parametrize("body", _FORM_BODIES.values(), ids=_FORM_BODIES.keys())
def test_a_signed_malformed_form_body_gets_a_4xx_or_a_polite_reply(app, slack_api, body):
    reply = app.post_signed(body)
    assert_no_crash(reply)
    if reply.status == 200 and reply.json:
        assert_polite(reply.json)
    settle(app)
    assert side_effects(slack_api) == []


_JSON_BODIES = {
    "not JSON": b"{not json",
    "a list": b"[]",
    "a string": b'"x"',
    "null": b"null",
    "an event that is a string": json.dumps({"type": "event_callback", "event": "x"}).encode(),
    "an event without a type": json.dumps({"type": "event_callback", "event": {}}).encode(),
    "url_verification without a challenge": b'{"type": "url_verification"}',
}


@pytest.mark.parametrize("body", _JSON_BODIES.values(), ids=_JSON_BODIES.keys())
def test_a_signed_malformed_json_body_gets_a_4xx_never_a_500(app, slack_api, body):
    reply = app.post_signed(body, content_type=JSON)
    assert_no_crash(reply)
    settle(app)
    assert side_effects(slack_api) == []


def _payload(**overrides: Any) -> dict[str, Any]:
    # A Show click: what it does when it works is private, so any public post is a fault.
    payload = block_actions_payload(blocks.SHOW, "ai-failure-fallback-path", response_url="")
    payload.pop("response_url")
    return payload | overrides


# Payloads whose parts have the wrong JSON type. Bolt's own matchers index into
# some of them unchecked; bot.slack.listeners.failures turns that into a 400.
_BAD_SHAPES = {
    "actions a string": _payload(actions="x"),
    "actions a list of strings": _payload(actions=["x"]),
    "actions a list of numbers": _payload(actions=[5]),
    "an action_id that is a number": _payload(actions=[{"action_id": 5, "value": "x"}]),
    "an action without action_id": _payload(actions=[{"value": "x"}]),
    "a value that is an object": _payload(actions=[{"action_id": blocks.SHOW, "value": {}}]),
    "user a string": _payload(user="U123"),
    "user without id": _payload(user={}),
    "container a string": _payload(container="x"),
    "channel a number": _payload(channel=5),
    "team a number": _payload(team=5),
    "a view that is a number": _payload(type="view_submission", view=5),
    "a view that is a list": _payload(type="view_submission", view=[]),
    "view_closed without a view": _payload(type="view_closed", view=None),
    "a shortcut nobody registered": _payload(type="shortcut", callback_id="x"),
    "a type Slack never sends": _payload(type="made_up"),
    "no type": {"actions": [{"action_id": blocks.SHARE, "value": "x"}]},
}


@pytest.mark.parametrize("payload", _BAD_SHAPES.values(), ids=_BAD_SHAPES.keys())
def test_a_payload_of_the_wrong_shape_gets_a_4xx_or_a_polite_reply(app, slack_api, payload):
    name, url = app.new_response_url()
    if isinstance(payload, dict) and "type" in payload:
        payload = payload | {"response_url": url}
    reply = app.post_signed(urlencode({"payload": json.dumps(payload)}).encode())
    assert_no_crash(reply)
    settle(app)
    for response in slack_api.responses(name):
        assert_polite(response.params)
    assert side_effects(slack_api) == []


# -- buttons pmtip never drew ---------------------------------------------------------


@pytest.mark.parametrize(
    "action_id",
    ["pmtip_nope", "", "x" * 300, f"{blocks.SHARE} ", blocks.SHARE.upper(), "pmtip_share\x00"],
    ids=["unknown", "empty", "300 characters", "trailing space", "upper case", "NUL"],
)
def test_an_unknown_action_id_is_refused_and_does_nothing(app, slack_api, action_id):
    click = app.action(action_id, "ai-failure-fallback-path")
    assert_no_crash(click)
    assert click.status in (200, 404)
    settle(app)
    assert slack_api.responses(click.response_name) == []
    assert side_effects(slack_api) == []


@pytest.mark.parametrize(
    "value",
    ["<!channel>", "no-such-tip", "", "&" * 2000, "🙂" * 500],
    ids=["a mention", "unknown id", "empty", "2,000 ampersands", "emoji"],
)
def test_share_with_a_value_pmtip_never_drew_posts_nothing_for_everyone(app, slack_api, value):
    click = app.action(blocks.SHARE, value)
    assert click.status == 200
    (response,) = app.responses(click)
    assert_polite(response)
    assert "retired" in response["text"]
    settle(app)
    assert [r for r in slack_api.responses() if r.params.get("response_type") == "in_channel"] == []
    assert side_effects(slack_api) == []


@pytest.mark.parametrize("action_id", [blocks.SHOW, blocks.ANOTHER])
@pytest.mark.parametrize("value", ["<!here>", "x" * 2000], ids=["a mention", "2,000 characters"])
def test_show_and_another_with_a_value_pmtip_never_drew_answer_privately(
    app, slack_api, action_id, value
):
    click = app.action(action_id, value)
    assert click.status == 200
    (response,) = app.responses(click)
    assert_polite(response)
    assert side_effects(slack_api) == []


def test_a_vote_for_a_tip_pmtip_never_posted_is_not_recorded(app, slack_api):
    click = app.action(blocks.VOTE_USEFUL, "no-such-tip", is_ephemeral=False)
    assert click.status == 200
    for response in app.responses(click):
        assert_polite(response)
    assert [s.tip_id for s in app.parts.store.workspace(WS).tip_stats()] == []


# -- people who are no admins ------------------------------------------------------------


def subscribe_as_admin(app: RunningApp, slack_api: FakeSlackApi) -> None:
    reply = app.command("subscribe mon 09:00 UTC", user_id=ADMIN)
    assert reply.status == 200
    app.responses(reply)
    assert app.parts.store.workspace(WS).subscription(CHANNEL) is not None
    slack_api.clear()


def refusal_to(app: RunningApp, text: str) -> dict[str, Any]:
    reply = app.command(text, user_id=PERSON)
    assert reply.status == 200
    assert reply.body == b""  # acknowledged at once; the answer follows
    (response,) = app.responses(reply)
    assert_polite(response)
    return response


def test_a_person_who_is_no_admin_cannot_subscribe_a_channel(app, slack_api):
    response = refusal_to(app, "subscribe mon 09:00 UTC")
    assert "only admins" in response["text"]
    assert app.parts.store.workspace(WS).subscription(CHANNEL) is None
    assert side_effects(slack_api) == []


def test_a_person_who_is_no_admin_cannot_unsubscribe_a_channel(app, slack_api):
    subscribe_as_admin(app, slack_api)
    response = refusal_to(app, "unsubscribe")
    assert "only admins" in response["text"]
    assert app.parts.store.workspace(WS).subscription(CHANNEL).active
    assert side_effects(slack_api) == []


def test_a_person_who_is_no_admin_cannot_post_now(app, slack_api):
    subscribe_as_admin(app, slack_api)
    response = refusal_to(app, "post-now")
    assert "only admins" in response["text"]
    sub = app.parts.store.workspace(WS).subscription(CHANNEL)
    assert app.parts.store.deliveries(subscription_id=sub.id) == []
    assert side_effects(slack_api) == []


def test_a_person_who_is_no_admin_cannot_see_the_stats(app, slack_api):
    response = refusal_to(app, "stats")
    assert "only admins" in response["text"]
    assert "pmtip_" not in json.dumps(response)  # no tip ids, no tallies
    assert side_effects(slack_api) == []


@pytest.mark.parametrize("text", ["reload", "preview ai-failure-fallback-path"])
def test_a_person_who_is_no_admin_cannot_reload_or_preview(app, slack_api, text):
    loaded_at = app.parts.catalogue.loaded_at
    reply = app.command(text, user_id=PERSON)
    assert_no_crash(reply)
    assert reply.status == 200
    responses = [reply.json] if reply.json else app.responses(reply)
    for response in responses:
        assert_polite(response)
        # Refused, or not offered in this version: either way, no tip and no reload.
        assert "admin" in response["text"] or "not available" in response["text"]
    assert app.parts.catalogue.loaded_at == loaded_at
    assert side_effects(slack_api) == []


# -- a failure inside pmtip itself -----------------------------------------------------


def broken_catalogue():
    """A catalogue source whose every read fails, as a bug or a bad deploy might."""
    raise RuntimeError("the catalogue is broken")


def test_a_lookup_that_fails_inside_pmtip_gets_a_polite_sorry_not_a_500(
    app, slack_api, monkeypatch
):
    monkeypatch.setattr(app.parts.catalogue, "current", broken_catalogue)
    reply = app.command("ai-failure")
    assert reply.status == 200
    assert_polite(reply.json)
    assert "something went wrong" in reply.json["text"]
    assert "broken" not in reply.json["text"]  # the error itself stays in the log
    assert side_effects(slack_api) == []
