"""What reaches the app but must not be obeyed: forged or stale signatures, and
malformed requests. Each gets a clear HTTP status, never a 500 or a traceback."""

from __future__ import annotations

import logging
import time

import pytest

from bot.core.render import blocks
from tests.support.app_server import RunningApp
from tests.support.signing import (
    FORM,
    JSON,
    block_actions_body,
    signature,
    signed_headers,
    slash_command_body,
)

SIX_MINUTES = 6 * 60


@pytest.fixture
def app(running_app) -> RunningApp:
    return running_app()


def only_startup_calls(slack_api) -> bool:
    return {call.method for call in slack_api.calls()} == {"auth.test"}  # Bolt's, pmtip's


def a_share_click(app: RunningApp) -> tuple[bytes, str]:
    name, url = app.new_response_url()
    tip_id = app.parts.catalogue.current().tips[0].id
    return block_actions_body(blocks.SHARE, tip_id, response_url=url), name


def prove_nothing_ran(app: RunningApp, slack_api, refused_name: str) -> None:
    """A genuine click after the refused one is answered; the refused one never was."""
    genuine, name = a_share_click(app)
    assert app.post_signed(genuine).status == 200
    slack_api.wait_for_responses(name, count=2)
    assert slack_api.responses(refused_name) == []


def test_a_forged_signature_is_refused_with_401(app, slack_api):
    body, name = a_share_click(app)
    headers = signed_headers(body, "not-the-signing-secret")
    assert app.post(body, headers).status == 401
    prove_nothing_ran(app, slack_api, name)


def test_a_signature_over_a_different_body_is_refused(app, slack_api):
    body, name = a_share_click(app)
    headers = signed_headers(b"payload=%7B%7D", app.signing_secret)
    assert app.post(body, headers).status == 401
    prove_nothing_ran(app, slack_api, name)


def test_a_timestamp_older_than_five_minutes_is_refused_with_401(app, slack_api):
    body, name = a_share_click(app)
    stale = int(time.time()) - SIX_MINUTES
    assert app.post_signed(body, timestamp=stale).status == 401
    prove_nothing_ran(app, slack_api, name)


def test_a_timestamp_from_the_future_is_refused_too(app, slack_api):
    body, name = a_share_click(app)
    assert app.post_signed(body, timestamp=int(time.time()) + SIX_MINUTES).status == 401
    prove_nothing_ran(app, slack_api, name)


def test_a_stale_slash_command_gets_no_tip(app, slack_api):
    reply = app.command("ai-failure", timestamp=int(time.time()) - SIX_MINUTES)
    assert reply.status == 401
    assert b"ai-failure" not in reply.body and b"blocks" not in reply.body
    assert only_startup_calls(slack_api)


def test_a_timestamp_just_inside_five_minutes_is_accepted(app):
    reply = app.command("help", timestamp=int(time.time()) - 4 * 60)
    assert reply.status == 200
    assert reply.json["blocks"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": FORM},
        {"Content-Type": FORM, "X-Slack-Request-Timestamp": str(int(time.time()))},
        {"Content-Type": FORM, "X-Slack-Signature": "v0=" + "0" * 64},
        {"Content-Type": FORM, "X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=x"},
    ],
    ids=["no signature headers", "no signature", "no timestamp", "garbage timestamp"],
)
def test_a_request_missing_its_signature_is_refused(app, slack_api, headers):
    body = slash_command_body("help", response_url=app.api.response_url("unsigned"))
    assert app.post(body, headers).status == 401
    assert only_startup_calls(slack_api)


def test_the_signature_covers_the_exact_bytes(app):
    body = slash_command_body("help", response_url=app.api.response_url("x"))
    stamp = int(time.time())
    headers = {
        "Content-Type": FORM,
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": signature(body, app.signing_secret, stamp),
    }
    assert app.post(body, headers).status == 200
    assert app.post(body + b"&text=topics", headers).status == 401


@pytest.mark.parametrize(
    "body",
    [
        b"payload=%7Bnot-json",
        b"payload=%5B%5D",
        b"payload=%7B%22type%22%3A%22block_actions%22%7D",
        b"\xff\xfe\x00garbage",
        b"",
        b"command=%2Fpmtip",
    ],
    ids=["broken JSON", "JSON list", "block_actions without actions", "binary", "empty", "no text"],
)
def test_signed_but_malformed_bodies_get_a_4xx_or_a_reply_never_a_500(app, body):
    reply = app.post_signed(body)
    assert reply.status < 500, reply.body
    assert b"Traceback" not in reply.body


def test_a_body_over_one_megabyte_is_refused_before_it_is_read(app):
    # The request claims more than a megabyte but sends a few bytes: an app that
    # tried to read the whole body would wait for the rest instead of answering.
    body = b"text=help"
    headers = signed_headers(body, app.signing_secret) | {"Content-Length": str(1024 * 1024 + 1)}
    assert app.post(body, headers).status == 413


def test_a_request_with_a_non_numeric_content_length_is_refused(app):
    # No bytes after the headers: the server refuses at the headers and closes, and
    # body bytes it never read would make the kernel reset the connection before the
    # answer could be read (a flaky ConnectionResetError instead of the 400).
    body = b""
    headers = signed_headers(body, app.signing_secret) | {"Content-Length": "lots"}
    assert app.post(body, headers).status == 400


def test_other_paths_and_methods_get_plain_answers(app):
    assert app.request("GET", "/healthz").status == 200
    assert app.request("GET", "/").body == b"ok"
    assert app.request("GET", "/slack/events").status == 405
    assert app.request("POST", "/somewhere-else", b"x").status == 404


# Junk a stranger can send, unsigned or (by someone holding the secret) signed: each
# gets a 4xx and at most one short log line, never a traceback in the log.
_LOG_JUNK = {
    "payload not JSON": (b"payload=notjson", FORM),
    "payload nested deep": (b"payload=" + b"%5B" * 100_000, FORM),
    "JSON nested deep": (b"[" * 100_000, JSON),
    "JSON a list": (b"[]", JSON),
    "binary": (b"\xff\xfe\x00garbage", FORM),
}


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
@pytest.mark.parametrize("junk", _LOG_JUNK.values(), ids=_LOG_JUNK.keys())
def test_junk_gets_a_4xx_and_at_most_one_short_log_line(app, caplog, junk, signed):
    body, content_type = junk
    caplog.set_level(logging.DEBUG)
    if signed:
        reply = app.post_signed(body, content_type=content_type)
    else:
        reply = app.post(body, {"Content-Type": content_type})
    assert 400 <= reply.status < 500, reply.body[:200]
    assert reply.status == 401 or signed or body.startswith(b"\xff")
    said = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert len(said) <= 1, [r.getMessage()[:200] for r in said]
    for record in said:
        assert record.exc_info is None, record.getMessage()[:200]
        assert len(record.getMessage()) < 200
