"""Requests as Slack sends them: signed, with the fields and shapes Slack uses."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

_ids = itertools.count(1)


def signature(body: bytes, secret: str, timestamp: int) -> str:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    body: bytes, secret: str, timestamp: int | None = None, *, content_type: str = FORM
) -> dict[str, str]:
    """The headers Slack puts on a request with this body (now, unless `timestamp`)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": signature(body, secret, stamp),
    }


def _trigger_id() -> str:
    return f"{next(_ids)}.1700000000.{next(_ids):032x}"


def slash_command_body(
    text: str,
    *,
    response_url: str,
    user_id: str = "U123",
    user_name: str = "pm",
    channel_id: str = "C123",
    channel_name: str = "general",
    team_id: str = "T1",
    team_domain: str = "pmtip-test",
    command: str = "/pmtip",
    trigger_id: str | None = None,
    api_app_id: str = "A1",
) -> bytes:
    """A slash command's form body, with every field Slack sends."""
    fields = {
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or _trigger_id(),
    }
    return urlencode(fields).encode()


def block_actions_payload(
    action_id: str,
    value: str,
    *,
    response_url: str,
    user_id: str = "U123",
    channel_id: str = "C123",
    team_id: str = "T1",
    is_ephemeral: bool = True,
    block_id: str = "b",
    message_ts: str = "1700000000.000001",
    message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A `block_actions` payload for a button click.

    Slack leaves `message` out when the clicked message was ephemeral; for a
    channel message it carries the message as posted.
    """
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {
            "id": user_id,
            "username": user_id.lower(),
            "name": user_id.lower(),
            "team_id": team_id,
        },
        "api_app_id": "A1",
        "token": "deprecated-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": is_ephemeral,
        },
        "trigger_id": _trigger_id(),
        "team": {"id": team_id, "domain": "pmtip-test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "general"},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "type": "button",
                "text": {"type": "plain_text", "text": "button", "emoji": True},
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    if message is not None or not is_ephemeral:
        payload["message"] = message or {
            "type": "message",
            "user": "UBOT",
            "bot_id": "BBOT",
            "ts": message_ts,
            "text": "a tip",
            "blocks": [],
        }
    return payload


def block_actions_body(action_id: str, value: str, **kwargs: Any) -> bytes:
    """The form body of a button click: `payload=<url-encoded JSON>`."""
    payload = block_actions_payload(action_id, value, **kwargs)
    return urlencode({"payload": json.dumps(payload)}).encode()


def event_body(event: dict[str, Any], *, team_id: str = "T1", event_id: str | None = None) -> bytes:
    """An Events API `event_callback` body (send it with content_type=JSON)."""
    envelope = {
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "api_app_id": "A1",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):08d}",
        "event_time": int(time.time()),
        "authorizations": [
            {"team_id": team_id, "user_id": "UBOT", "is_bot": True, "is_enterprise_install": False}
        ],
        "is_ext_shared_channel": False,
    }
    return json.dumps(envelope).encode()
