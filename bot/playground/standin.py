"""The Web API the playground's pmtip talks to: exactly the methods pmtip calls,
answering as Slack does, and writing what they do into the World.

The bot's WebClient is aimed here (`SLACK_API_BASE_URL`), so every call of every
code path lands in this process: `auth.test`, `chat.postMessage`, `views.publish`,
`users.info`, `users.list`, `users.conversations` and `conversations.info`,
`.join` and `.history`. A method pmtip starts to call without this file learning
it answers `unknown_method`, and the page shows a warning. Posts to the
`response_url`s the page handed out arrive through `respond`.

Parameters come the ways slack_sdk sends them: a query string, a form whose
`blocks`, `metadata` and `view` are JSON strings, or a JSON body.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from bot.playground import config
from bot.playground.config import BOT_USER_ID, CHANNEL_ID, CHANNEL_NAME, PEOPLE, Person
from bot.playground.world import Posted, World

# Slack's documented limits on what pmtip sends.
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
TEXT_MAX = 40_000
JSON_PARAMS = ("blocks", "metadata", "view")

Answer = dict[str, Any]


class SlackError(Exception):
    """An `ok: false` answer, with Slack's error code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def read_params(raw: bytes, *, content_type: str | None, query: str) -> dict[str, Any]:
    """The call's arguments, however slack_sdk sent them (SlackError on a bad body)."""
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    text = raw.decode("utf-8", errors="replace")
    if (content_type or "").startswith("application/json"):
        try:
            body = json.loads(text) if text else {}
        except ValueError:
            raise SlackError("invalid_json") from None
        if not isinstance(body, dict):
            raise SlackError("invalid_json")
        return params | body
    params |= dict(parse_qsl(text, keep_blank_values=True))
    for name in JSON_PARAMS:
        if isinstance(params.get(name), str):
            try:
                params[name] = json.loads(params[name])
            except ValueError:
                raise SlackError(f"invalid_{name}") from None
    return params


class WebApiStandIn:
    def __init__(self, world: World, *, token: str, timezone: str) -> None:
        self.world = world
        self.token = token
        self.timezone = timezone
        self._methods: dict[str, Callable[[dict[str, Any]], tuple[Answer, str]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "views.publish": self._publish_view,
            "users.info": self._user_info,
            "users.list": self._users_list,
            "users.conversations": self._users_conversations,
            "conversations.info": self._conversation_info,
            "conversations.join": self._join,
            "conversations.history": self._history,
        }

    def call(self, method: str, params: dict[str, Any], *, authorization: str | None) -> Answer:
        """Slack's JSON answer to one Web API call (always sent with HTTP 200)."""
        try:
            self._check_token(authorization)
            handler = self._methods.get(method)
            if handler is None:
                self.world.warn(f"pmtip called {method}, which the playground does not know")
                raise SlackError("unknown_method")
            answer, summary = handler(params)
        except SlackError as error:
            self.world.record_call(method, error.code, ok=False)
            return {"ok": False, "error": error.code}
        self.world.record_call(method, summary, ok=True)
        return {"ok": True, **answer}

    def respond(self, key: str, body: dict[str, Any]) -> tuple[int, str]:
        """A post to a response_url: (HTTP status, Slack's plain-text answer)."""
        error = self.world.respond(key, body)
        kind = body.get("response_type") or ("replace" if body.get("replace_original") else "")
        self.world.record_call("response_url", error or kind or "ephemeral", ok=error is None)
        if error is None:
            return 200, "ok"
        return (400 if error == "no_text" else 404), error

    def _check_token(self, authorization: str | None) -> None:
        if not authorization:
            raise SlackError("not_authed")
        if authorization != f"Bearer {self.token}":
            raise SlackError("invalid_auth")

    # -- methods -------------------------------------------------------------------------

    def _auth_test(self, params: dict[str, Any]) -> tuple[Answer, str]:
        answer = {
            "url": "https://pmtip-playground.invalid/",
            "team": config.TEAM_NAME,
            "user": config.BOT_NAME,
            "team_id": config.TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": config.BOT_ID,
            "app_id": config.APP_ID,
            "is_enterprise_install": False,
        }
        return answer, "the bot token"

    def _post_message(self, params: dict[str, Any]) -> tuple[Answer, str]:
        channel = str(params.get("channel") or "")
        conversation, shown = self._conversation_for_post(channel)
        text, blocks = params.get("text"), params.get("blocks")
        if not text and not blocks:
            raise SlackError("no_text")
        too_many = isinstance(blocks, list) and len(blocks) > MESSAGE_BLOCKS_MAX
        if blocks is not None and (not isinstance(blocks, list) or too_many):
            raise SlackError("invalid_blocks")
        if isinstance(text, str) and len(text) > TEXT_MAX:
            raise SlackError("msg_too_long")
        metadata = params.get("metadata")
        posted = self.world.post(
            conversation=conversation,
            author=BOT_USER_ID,
            body=params,
            metadata=metadata if isinstance(metadata, dict) else None,
        )
        return {"channel": conversation, "ts": posted.ts, "message": history_item(posted)}, shown

    def _conversation_for_post(self, channel: str) -> tuple[str, str]:
        if channel == CHANNEL_ID:
            if not self.world.snapshot().bot_in_channel:
                raise SlackError("not_in_channel")
            return CHANNEL_ID, f"#{CHANNEL_NAME}"
        for someone in PEOPLE:  # a user id addresses the DM with that person
            if channel in (someone.id, someone.dm_channel):
                return someone.dm_channel, f"a DM to {someone.name}"
        raise SlackError("channel_not_found")

    def _publish_view(self, params: dict[str, Any]) -> tuple[Answer, str]:
        someone = _person(params.get("user_id"))
        view = params.get("view")
        if not isinstance(view, dict) or view.get("type") != "home":
            raise SlackError("invalid_arguments")
        blocks = view.get("blocks")
        if not isinstance(blocks, list) or len(blocks) > VIEW_BLOCKS_MAX:
            raise SlackError("invalid_arguments")
        self.world.publish_view(someone.id, view)
        return {"view": {"id": f"V{someone.id}", **view}}, f"{someone.name}'s Home tab"

    def _user_info(self, params: dict[str, Any]) -> tuple[Answer, str]:
        someone = _person(params.get("user"))
        return {"user": self._user(someone)}, someone.name

    def _users_list(self, params: dict[str, Any]) -> tuple[Answer, str]:
        bot = {"id": BOT_USER_ID, "name": config.BOT_NAME, "is_bot": True, "deleted": False}
        members = [self._user(someone) for someone in PEOPLE] + [bot]
        return {"members": members, "response_metadata": {"next_cursor": ""}}, "everyone"

    def _users_conversations(self, params: dict[str, Any]) -> tuple[Answer, str]:
        someone = _person(params.get("user"))
        channels = [_channel_info(is_member=True)]  # both people are in #playground
        return {"channels": channels, "response_metadata": {"next_cursor": ""}}, someone.name

    def _conversation_info(self, params: dict[str, Any]) -> tuple[Answer, str]:
        channel = str(params.get("channel") or "")
        if channel == CHANNEL_ID:
            bot_in = self.world.snapshot().bot_in_channel
            return {"channel": _channel_info(is_member=bot_in)}, f"#{CHANNEL_NAME}"
        for someone in PEOPLE:
            if channel == someone.dm_channel:
                info = {"id": channel, "is_im": True, "user": someone.id, "is_member": True}
                return {"channel": info}, f"the DM with {someone.name}"
        raise SlackError("channel_not_found")

    def _join(self, params: dict[str, Any]) -> tuple[Answer, str]:
        if params.get("channel") != CHANNEL_ID:
            raise SlackError("channel_not_found")
        self.world.join_channel()
        return {"channel": _channel_info(is_member=True)}, f"#{CHANNEL_NAME}"

    def _history(self, params: dict[str, Any]) -> tuple[Answer, str]:
        if params.get("channel") != CHANNEL_ID:
            raise SlackError("channel_not_found")
        snapshot = self.world.snapshot()
        if not snapshot.bot_in_channel:
            raise SlackError("not_in_channel")
        with_metadata = str(params.get("include_all_metadata")).lower() in ("1", "true")
        messages = [
            history_item(m, with_metadata=with_metadata)
            for m in reversed(snapshot.messages)  # newest first, as Slack returns them
            if m.conversation == CHANNEL_ID and m.visible_to is None
        ]
        answer = {"messages": messages, "has_more": False, "response_metadata": {}}
        return answer, f"#{CHANNEL_NAME}"

    def _user(self, someone: Person) -> dict[str, Any]:
        return {
            "id": someone.id,
            "team_id": config.TEAM_ID,
            "name": someone.name.lower(),
            "real_name": someone.name,
            "tz": self.timezone,
            "is_admin": False,  # Alex is an admin through ADMIN_USER_IDS, pmtip's own rule
            "is_owner": False,
            "is_bot": False,
            "deleted": False,
            "profile": {"display_name": someone.name, "real_name": someone.name},
        }


def _person(user_id: object) -> Person:
    for someone in PEOPLE:
        if someone.id == user_id:
            return someone
    raise SlackError("user_not_found")


def _channel_info(*, is_member: bool) -> dict[str, Any]:
    return {
        "id": CHANNEL_ID,
        "name": CHANNEL_NAME,
        "is_channel": True,
        "is_private": False,
        "is_archived": False,
        "is_im": False,
        "is_mpim": False,
        "is_member": is_member,
    }


def history_item(posted: Posted, *, with_metadata: bool = True) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "message", "ts": posted.ts, **posted.body}
    if posted.author == BOT_USER_ID:
        item |= {"user": BOT_USER_ID, "bot_id": config.BOT_ID, "app_id": config.APP_ID}
    else:
        item["user"] = posted.author
    if with_metadata and posted.metadata:
        item["metadata"] = posted.metadata
    return item
