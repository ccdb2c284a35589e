"""The requests Slack would send pmtip for what a person does in the page, signed.

A typed `/pmtip ...` becomes a slash command's form body, a click a `block_actions`
interaction (`payload=<JSON>`), opening the Home tab an `app_home_opened` event: the
fields Slack sends, signed with v0 HMAC-SHA256 over the body and the current real
time (Bolt refuses a timestamp five minutes off, so the page's clock never enters it).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from bot.playground import config
from bot.playground.config import CHANNEL_ID, CHANNEL_NAME, Person

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class SignedRequest:
    body: bytes
    headers: dict[str, str]  # lower-case names, as an ASGI server hands them over


def sign(body: bytes, *, secret: str, content_type: str, now: float | None = None) -> SignedRequest:
    timestamp = str(int(time.time() if now is None else now))
    base = b"v0:" + timestamp.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    headers = {
        "content-type": content_type,
        "content-length": str(len(body)),
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": f"v0={digest}",
    }
    return SignedRequest(body, headers)


def _trigger_id() -> str:
    return f"{next(_ids)}.{int(time.time())}.{next(_ids):032x}"


def _channel_name(conversation: str) -> str:
    return CHANNEL_NAME if conversation == CHANNEL_ID else "directmessage"


def slash_command(
    *, command: str, text: str, who: Person, conversation: str, response_url: str
) -> bytes:
    """A slash command's form body, with every field Slack sends."""
    fields = {
        "token": "deprecated-verification-token",
        "team_id": config.TEAM_ID,
        "team_domain": "pmtip-playground",
        "channel_id": conversation,
        "channel_name": _channel_name(conversation),
        "user_id": who.id,
        "user_name": who.name.lower(),
        "command": command,
        "text": text,
        "api_app_id": config.APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": _trigger_id(),
    }
    return urlencode(fields).encode()


@dataclass(frozen=True, slots=True)
class Clicked:
    """A button, as the page reports its click."""

    action_id: str
    value: str
    block_id: str
    label: str = "button"


def block_actions(
    clicked: Clicked,
    *,
    who: Person,
    container: Mapping[str, Any],
    response_url: str | None,
    conversation: str | None,
    message: Mapping[str, Any] | None = None,
    view: Mapping[str, Any] | None = None,
) -> bytes:
    """A `block_actions` form body. Slack leaves `message` out for an ephemeral message
    and `response_url` out for a Home-tab button, whose container is the view."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {
            "id": who.id,
            "username": who.name.lower(),
            "name": who.name.lower(),
            "team_id": config.TEAM_ID,
        },
        "api_app_id": config.APP_ID,
        "token": "deprecated-verification-token",
        "container": dict(container),
        "trigger_id": _trigger_id(),
        "team": {"id": config.TEAM_ID, "domain": "pmtip-playground"},
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": {}},
        "actions": [
            {
                "action_id": clicked.action_id,
                "block_id": clicked.block_id,
                "value": clicked.value,
                "type": "button",
                "text": {"type": "plain_text", "text": clicked.label, "emoji": True},
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    if conversation is not None:
        payload["channel"] = {"id": conversation, "name": _channel_name(conversation)}
    if response_url is not None:
        payload["response_url"] = response_url
    if message is not None:
        payload["message"] = dict(message)
    if view is not None:
        payload["view"] = dict(view)
    return urlencode({"payload": json.dumps(payload)}).encode()


def app_home_opened(*, who: Person, view: Mapping[str, Any] | None) -> bytes:
    """The Events API body Slack sends when someone opens pmtip's Home tab."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": who.id,
        "channel": who.dm_channel,
        "tab": "home",
        "event_ts": f"{time.time():.6f}",
    }
    if view is not None:
        event["view"] = dict(view)
    envelope = {
        "token": "deprecated-verification-token",
        "team_id": config.TEAM_ID,
        "api_app_id": config.APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{next(_ids):010d}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "team_id": config.TEAM_ID,
                "user_id": config.BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }
    return json.dumps(envelope).encode()
