"""What the page asks of the playground, checked: its JSON actions and its state.

Kept apart from the HTTP server so that tests can drive a whole session without a
browser. Each action hands the person's input to the `Playground`, which sends it
to the real app; nothing here answers in pmtip's place.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from bot.playground import page as pages
from bot.playground.config import CHANNEL_ID
from bot.playground.driver import Playground
from bot.playground.slack_requests import Clicked

TEXT_MAX = 4000  # what the message box takes (Slack's own box takes 4,000 too)
FIELD_MAX = 300  # an action id, a value or a block id (pmtip's are shorter)


class BadAction(ValueError):
    pass


def page(playground: Playground) -> str:
    with playground.lock:
        return pages.page_html(playground)


def state(playground: Playground, *, since: str, wait: float) -> dict[str, Any]:
    """The page's changing parts once the playground is past `since` (a version token
    from an earlier answer), or after `wait` seconds if nothing changed."""
    playground.wait_for_change(since, timeout=wait)
    with playground.lock:
        return pages.state(playground)


def act(playground: Playground, name: str, body: bytes) -> tuple[HTTPStatus, dict[str, Any]]:
    """Run one page action: (HTTP status, JSON answer)."""
    handler = ACTIONS.get(name)
    if handler is None:
        return HTTPStatus.NOT_FOUND, {"ok": False, "error": f"no action {name!r}"}
    try:
        data = json.loads(body or b"{}")
        if not isinstance(data, dict):
            raise BadAction("the action's body must be a JSON object")
        with playground.lock:  # one action at a time, as one person acts
            handler(playground, data)
    except (BadAction, ValueError) as error:
        return HTTPStatus.BAD_REQUEST, {"ok": False, "error": str(error)}
    return HTTPStatus.OK, {"ok": True}


def _text(data: Mapping[str, Any], name: str, *, limit: int = FIELD_MAX) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise BadAction(f"{name} must be text")
    if len(value) > limit:
        raise BadAction(f"{name} is longer than {limit} characters")
    return value


def _type(playground: Playground, data: Mapping[str, Any]) -> None:
    text = _text(data, "text", limit=TEXT_MAX)
    pane = _text(data, "pane")
    conversation = playground.viewer.dm_channel if pane == "dm" else CHANNEL_ID
    playground.type(text, conversation=conversation)


def _click(playground: Playground, data: Mapping[str, Any]) -> None:
    clicked = Clicked(
        action_id=_text(data, "action_id"),
        value=_text(data, "value"),
        block_id=_text(data, "block_id"),
        label=_text(data, "label") or "button",
    )
    playground.click(_text(data, "message"), clicked)


def _switch(playground: Playground, data: Mapping[str, Any]) -> None:
    playground.switch(_text(data, "role"))


def _home(playground: Playground, data: Mapping[str, Any]) -> None:
    playground.open_home()


def _clock(playground: Playground, data: Mapping[str, Any]) -> None:
    step = _text(data, "step")
    if step not in ("slot", "week"):
        raise BadAction("step must be slot or week")
    playground.advance_clock(week=step == "week")


def _reset(playground: Playground, data: Mapping[str, Any]) -> None:
    playground.reset()


ACTIONS: dict[str, Callable[[Playground, Mapping[str, Any]], None]] = {
    "type": _type,
    "click": _click,
    "as": _switch,
    "home": _home,
    "clock": _clock,
    "reset": _reset,
}
