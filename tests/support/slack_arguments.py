"""The limits Slack documents on the arguments of the methods pmtip calls, enforced by
the stand-in Web API the way Slack answers them: HTTP 200, `ok: false` and an error.

These numbers come from Slack's method reference (https://docs.slack.dev/reference/methods/
<method>), not from the bot: a wrong constant in the bot must fail the tests here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

# Cursor-paginated methods. users.conversations: "specify a limit value with a max of
# 999"; users.list and conversations.history: "specify a limit value under 1000"
# (conversations.history's argument table: "Maximum of 999"). The older OpenAPI spec's
# "no larger than 1000" is out of date.
PAGE_LIMIT_MAX = {
    "users.conversations": 999,
    "users.list": 999,
    "conversations.history": 999,
}
# users.conversations `types`: "any combination of public_channel, private_channel,
# mpim, im".
CONVERSATION_TYPES = frozenset({"public_channel", "private_channel", "mpim", "im"})
# chat.postMessage / chat.postEphemeral: at most 50 blocks; `text` is truncated past
# 40,000 characters, and Slack refuses a longer one with msg_too_long.
MESSAGE_BLOCKS_MAX = 50
MESSAGE_TEXT_MAX = 40_000
# views.publish: a Home tab holds at most 100 blocks.
VIEW_BLOCKS_MAX = 100

Check = Callable[[Mapping[str, Any]], str | None]


def argument_error(method: str, params: Mapping[str, Any]) -> str | None:
    """The error Slack would answer for these arguments, or None if it takes them."""
    for check in _CHECKS.get(method, ()):
        error = check(params)
        if error is not None:
            return error
    if method in PAGE_LIMIT_MAX:
        return _limit_error(params.get("limit"), PAGE_LIMIT_MAX[method])
    return None


def _limit_error(raw: Any, maximum: int) -> str | None:
    if raw is None or raw == "":
        return None  # Slack's default page size applies
    try:
        limit = int(str(raw))
    except ValueError:
        return "invalid_limit"
    return None if 1 <= limit <= maximum else "invalid_limit"


def _required(name: str, error: str) -> Check:
    return lambda params: None if str(params.get(name) or "") else error


def _types(params: Mapping[str, Any]) -> str | None:
    raw = str(params.get("types") or "public_channel")
    return None if set(raw.split(",")) <= CONVERSATION_TYPES else "invalid_arguments"


def _listed(value: Any) -> list[Any]:
    if isinstance(value, str):  # form-encoded bodies carry JSON strings
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return value if isinstance(value, list) else []


def _message(params: Mapping[str, Any]) -> str | None:
    text, blocks = str(params.get("text") or ""), _listed(params.get("blocks"))
    if not text and not blocks:
        return "no_text"
    if len(text) > MESSAGE_TEXT_MAX:
        return "msg_too_long"
    if len(blocks) > MESSAGE_BLOCKS_MAX:
        return "invalid_blocks"
    metadata = params.get("metadata")
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return "invalid_metadata_format"
    if metadata is not None and not (
        isinstance(metadata, dict)
        and isinstance(metadata.get("event_type"), str)
        and isinstance(metadata.get("event_payload"), dict)
    ):
        return "invalid_metadata_format"
    return None


def _view(params: Mapping[str, Any]) -> str | None:
    view = params.get("view")
    if isinstance(view, str):
        try:
            view = json.loads(view)
        except ValueError:
            return "invalid_arguments"
    if not isinstance(view, dict) or view.get("type") != "home":
        return "invalid_arguments"
    return None if len(_listed(view.get("blocks"))) <= VIEW_BLOCKS_MAX else "invalid_arguments"


_CHECKS: dict[str, tuple[Check, ...]] = {
    "chat.postMessage": (_required("channel", "channel_not_found"), _message),
    "chat.postEphemeral": (
        _required("channel", "channel_not_found"),
        _required("user", "user_not_in_channel"),
        _message,
    ),
    "conversations.history": (_required("channel", "channel_not_found"),),
    "conversations.info": (_required("channel", "channel_not_found"),),
    "conversations.join": (_required("channel", "channel_not_found"),),
    "users.conversations": (_types,),
    "users.info": (_required("user", "user_not_found"),),
    "views.publish": (_required("user_id", "invalid_arguments"), _view),
}
