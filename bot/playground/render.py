"""Block Kit as HTML, for the playground: exactly the blocks and elements pmtip sends
(header, section with text, fields and a button accessory, context, divider,
actions with buttons), shown as Slack shows them with `static/blockkit.css`.

Pure functions: no I/O, no Slack. Plain functions over `html.escape` rather than
templates: the output is a recursive tree of small fragments whose escaping has to
be visible at each leaf (see `mrkdwn_html`), which a template would spread over
two languages. Anything else (a block or element type pmtip does not send) shows
as a visible placeholder and is reported by `unknown_types`, so a test can insist
there is none.

Buttons carry what the page's script needs to post a block_actions payload:
`data-action-id`, `data-value` and `data-block-id`. A block sent without a
block_id gets `block-<index>`, as Slack fills in one of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any, Protocol

from bot.core import mrkdwn
from bot.playground.mrkdwn_html import (
    NameLookup,
    Names,
    element,
    is_safe_url,
    mrkdwn_to_html,
    nodes_html,
    plain_text_html,
)

__all__ = ["mrkdwn_to_html", "render_message", "render_view", "unknown_types"]

BUTTON_STYLES = ("primary", "danger")


class HasPayload(Protocol):
    """A `bot.core.render.blocks.Message` (named structurally: no import of the bot here)."""

    def as_kwargs(self) -> dict[str, Any]: ...


MessageLike = HasPayload | Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class _Context:
    names: Names
    unknown: list[str] = field(default_factory=list)


def render_message(
    message: MessageLike,
    *,
    user_name: NameLookup | None = None,
    channel_name: NameLookup | None = None,
) -> str:
    """A message's blocks, or its `text` as mrkdwn when it has none."""
    context = _Context(Names(user_name, channel_name))
    payload = _payload(message)
    blocks = payload.get("blocks")
    if blocks:
        inner = _blocks_html(blocks, context)
    else:
        text = payload.get("text")
        fallback = nodes_html(mrkdwn.parse(text), context.names) if isinstance(text, str) else ""
        inner = element("div", {"class": "bk-block bk-text"}, fallback)
    return element("div", {"class": "bk-message"}, inner)


def render_view(
    view: Mapping[str, Any],
    *,
    user_name: NameLookup | None = None,
    channel_name: NameLookup | None = None,
) -> str:
    """A Home tab (or any view): its blocks, in a page of their own."""
    context = _Context(Names(user_name, channel_name))
    kind = view.get("type") if isinstance(view.get("type"), str) else "view"
    inner = _blocks_html(view.get("blocks") or [], context)
    return element("div", {"class": f"bk-view bk-view--{kind}"}, inner)


def unknown_types(message_or_view: MessageLike) -> list[str]:
    """What the renderer does not know in it, e.g. `["block:image", "element:overflow"]`."""
    context = _Context(Names())
    _blocks_html(_payload(message_or_view).get("blocks") or [], context)
    return context.unknown


def _payload(message: MessageLike) -> Mapping[str, Any]:
    return message if isinstance(message, Mapping) else message.as_kwargs()


# -- blocks --------------------------------------------------------------------------------

BlockRenderer = Callable[[Mapping[str, Any], str, _Context], str]


def _blocks_html(blocks: Any, context: _Context) -> str:
    if not isinstance(blocks, list):
        return _unknown("block", "blocks that are not a list", context)
    return "".join(_block_html(block, index, context) for index, block in enumerate(blocks))


def _block_html(block: Any, index: int, context: _Context) -> str:
    if not isinstance(block, Mapping):
        return _unknown("block", type(block).__name__, context)
    kind = block.get("type")
    block_id = block.get("block_id")
    block_id = block_id if isinstance(block_id, str) else f"block-{index}"
    renderer = _BLOCKS.get(kind) if isinstance(kind, str) else None
    if renderer is None:
        return _unknown("block", str(kind), context)
    return renderer(block, block_id, context)


def _header(block: Mapping[str, Any], block_id: str, context: _Context) -> str:
    inner = _text_html(block.get("text"), context)
    return element("h3", {"class": "bk-block bk-header", "data-block-id": block_id}, inner)


def _section(block: Mapping[str, Any], block_id: str, context: _Context) -> str:
    body = ""
    if block.get("text") is not None:
        body += element("div", {"class": "bk-section-text"}, _text_html(block["text"], context))
    if fields := _items(block.get("fields")):
        cells = (element("div", {"class": "bk-field"}, _text_html(f, context)) for f in fields)
        body += element("div", {"class": "bk-fields"}, "".join(cells))
    inner = element("div", {"class": "bk-section-body"}, body)
    if (accessory := block.get("accessory")) is not None:
        button = _element_html(accessory, block_id, context)
        inner += element("div", {"class": "bk-accessory"}, button)
    return element("div", {"class": "bk-block bk-section", "data-block-id": block_id}, inner)


def _context(block: Mapping[str, Any], block_id: str, context: _Context) -> str:
    items = []
    for item in _items(block.get("elements")):
        if isinstance(item, Mapping) and item.get("type") in ("mrkdwn", "plain_text"):
            items.append(element("div", {"class": "bk-context-item"}, _text_html(item, context)))
        else:
            items.append(_unknown("element", _type_of(item), context))
    return element(
        "div", {"class": "bk-block bk-context", "data-block-id": block_id}, "".join(items)
    )


def _divider(block: Mapping[str, Any], block_id: str, context: _Context) -> str:
    return f'<hr class="bk-block bk-divider" data-block-id="{escape(block_id)}">'


def _actions(block: Mapping[str, Any], block_id: str, context: _Context) -> str:
    buttons = "".join(_element_html(e, block_id, context) for e in _items(block.get("elements")))
    return element("div", {"class": "bk-block bk-actions", "data-block-id": block_id}, buttons)


_BLOCKS: dict[str, BlockRenderer] = {
    "header": _header,
    "section": _section,
    "context": _context,
    "divider": _divider,
    "actions": _actions,
}


# -- elements and text objects ---------------------------------------------------------------


def _element_html(item: Any, block_id: str, context: _Context) -> str:
    if not isinstance(item, Mapping) or item.get("type") != "button":
        return _unknown("element", _type_of(item), context)
    style = item.get("style")
    classes = "bk-button"
    if style in BUTTON_STYLES:
        classes += f" bk-button--{style}"
    elif style is not None:
        context.unknown.append(f"button style:{style}")
    values: dict[str, str | None] = {
        "class": classes,
        "data-action-id": _str_or_none(item.get("action_id")),
        "data-value": _str_or_none(item.get("value")),
        "data-block-id": block_id,
    }
    label = _text_html(item.get("text"), context)
    url = item.get("url")
    if isinstance(url, str) and is_safe_url(url):
        link = {"href": url, "target": "_blank", "rel": "noopener noreferrer", "role": "button"}
        return element("a", {**values, **link}, label)
    return element("button", {"type": "button", **values}, label)


def _text_html(text: Any, context: _Context) -> str:
    """A text object: mrkdwn or plain_text."""
    if not isinstance(text, Mapping) or not isinstance(text.get("text"), str):
        return _unknown("text", "missing", context)
    if text.get("type") == "mrkdwn":
        return nodes_html(mrkdwn.parse(text["text"]), context.names)
    if text.get("type") == "plain_text":
        return plain_text_html(text["text"], emoji=text.get("emoji") is not False)
    return _unknown("text", _type_of(text), context)


def _unknown(what: str, kind: str, context: _Context) -> str:
    context.unknown.append(f"{what}:{kind}")
    tag = "div" if what == "block" else "span"
    shown = escape(f"Unsupported {what}: {kind}")
    return element(tag, {"class": f"bk-unknown bk-unknown--{what}", "data-type": kind}, shown)


def _type_of(item: Any) -> str:
    return str(item.get("type")) if isinstance(item, Mapping) else type(item).__name__


def _items(value: Any) -> list[Any]:
    """A list field's items; a field of another shape (never sent by pmtip) has none."""
    return value if isinstance(value, list) else []


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None
