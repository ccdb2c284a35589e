"""Slack text as the HTML a Slack client shows: the core's mrkdwn tree, walked.

Safety rests on one rule: every piece of text and every attribute value reaches
the output through `html.escape` exactly once, at the leaf that writes it, and the
tags and class names are this module's own constants. Slack's escapes are decoded
by the parser first, so `&amp;lt;` shows as `&lt;` and `<script>` as text. Only
http(s) and mailto addresses become links; any other scheme shows as text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from itertools import groupby

from bot.core import mrkdwn

NameLookup = Callable[[str], str | None]  # an id (U123, C123) → its name, None if unknown
SAFE_URL = re.compile(r"(?:https?://|mailto:)[^\s\x00-\x1f\x7f]+", re.IGNORECASE)
_STYLE_TAGS = {"bold": "strong", "italic": "em", "strike": "s"}
_LINK_TARGET = {"target": "_blank", "rel": "noopener noreferrer"}


@dataclass(frozen=True, slots=True)
class Names:
    """How the page names people and channels; without a lookup, the id shows."""

    user: NameLookup | None = None
    channel: NameLookup | None = None


def mrkdwn_to_html(
    text: str, *, user_name: NameLookup | None = None, channel_name: NameLookup | None = None
) -> str:
    """A mrkdwn text object's text as HTML (paragraphs, quotes, lists, preformatted)."""
    return nodes_html(mrkdwn.parse(text), Names(user_name, channel_name))


def plain_text_html(text: str, *, emoji: bool = True) -> str:
    """A plain_text object's text: shown as typed, its emoji drawn unless `emoji` is off."""
    if not emoji:
        return _lines(text)
    return "".join(
        _emoji(part) if isinstance(part, mrkdwn.Emoji) else _lines(part.text)
        for part in mrkdwn.split_emoji(text)
    )


def is_safe_url(url: str) -> bool:
    return SAFE_URL.fullmatch(url) is not None


def attributes(values: Mapping[str, str | None]) -> str:
    """` name="value"` for each value given, escaped for a double-quoted attribute."""
    return "".join(
        f' {name}="{escape(value)}"' for name, value in values.items() if value is not None
    )


def element(name: str, values: Mapping[str, str | None], inner: str) -> str:
    """An element of ours; `inner` is HTML already built by this package."""
    return f"<{name}{attributes(values)}>{inner}</{name}>"


def _lines(text: str) -> str:
    return "<br>".join(escape(line) for line in text.split("\n"))


# -- the block-level tree ----------------------------------------------------------------


def nodes_html(nodes: Sequence[mrkdwn.Node], names: Names) -> str:
    out: list[str] = []
    for kind, run in groupby(nodes, key=_kind):
        group = list(run)
        if kind == "p":
            out.append(_paragraph([n for n in group if isinstance(n, mrkdwn.Line)], names))
        elif kind in ("ul", "ol"):
            out.append(_list(kind, [n for n in group if isinstance(n, mrkdwn.ListItem)], names))
        else:
            out += (_block_node(node, names) for node in group)
    return "".join(out)


def _kind(node: mrkdwn.Node) -> str:
    if isinstance(node, mrkdwn.Line):
        return "p"
    if isinstance(node, mrkdwn.ListItem):
        return "ol" if node.marker.endswith(".") else "ul"
    return "block"


def _paragraph(lines: Sequence[mrkdwn.Line], names: Names) -> str:
    inner = "<br>".join(inline_html(line.parts, names) for line in lines)
    if not lines[-1].parts:  # a blank last line shows as a gap, as in Slack
        inner += "<br>"
    return element("p", {"class": "bk-p"}, inner)


def _list(kind: str, items: Sequence[mrkdwn.ListItem], names: Names) -> str:
    rows = (
        element(
            "li",
            {},
            element("span", {"class": "bk-list-marker"}, escape(item.marker))
            + element("span", {"class": "bk-list-text"}, inline_html(item.parts, names)),
        )
        for item in items
    )
    return element(kind, {"class": "bk-list"}, "".join(rows))


def _block_node(node: mrkdwn.Node, names: Names) -> str:
    if isinstance(node, mrkdwn.Quote):
        return element("blockquote", {"class": "bk-quote"}, nodes_html(node.children, names))
    if isinstance(node, mrkdwn.Preformatted):
        return element("pre", {"class": "bk-pre"}, escape(node.text))
    return nodes_html([node], names)  # pragma: no cover - lines and items are grouped above


# -- inline ------------------------------------------------------------------------------


def inline_html(parts: Iterable[mrkdwn.Inline], names: Names) -> str:
    return "".join(_inline(part, names) for part in parts)


def _inline(part: mrkdwn.Inline, names: Names) -> str:
    match part:
        case mrkdwn.Text(text=text):
            return escape(text)
        case mrkdwn.Styled(style=style, children=children):
            return element(_STYLE_TAGS[style], {}, inline_html(children, names))
        case mrkdwn.Code(text=text):
            return element("code", {"class": "bk-code"}, escape(text))
        case mrkdwn.Link():
            return _link(part)
        case mrkdwn.Mention():
            return _mention(part, names)
        case mrkdwn.Date():
            return _date(part)
        case mrkdwn.Emoji():
            return _emoji(part)
    raise TypeError(f"not a mrkdwn part: {part!r}")  # pragma: no cover


def _link(link: mrkdwn.Link) -> str:
    shown = link.label if link.label is not None else link.url.removeprefix("mailto:")
    if not is_safe_url(link.url):
        return escape(shown)
    return element("a", {"class": "bk-link", "href": link.url, **_LINK_TARGET}, escape(shown))


def _mention(mention: mrkdwn.Mention, names: Names) -> str:
    if mention.kind == "broadcast":
        return element("span", {"class": "bk-mention bk-mention--broadcast"}, f"@{mention.target}")
    if mention.kind == "channel":
        found = names.channel(mention.target) if names.channel else None
        shown = "#" + (found or mention.label or mention.target)
        return element(
            "span", {"class": "bk-channel", "data-channel-id": mention.target}, escape(shown)
        )
    found = names.user(mention.target) if names.user and mention.kind == "user" else None
    shown = found or mention.label or mention.target
    shown = shown if shown.startswith("@") else "@" + shown
    key = "data-user-id" if mention.kind == "user" else "data-usergroup-id"
    return element("span", {"class": "bk-mention", key: mention.target}, escape(shown))


def _date(date: mrkdwn.Date) -> str:
    """The fallback the bot wrote (deterministic: no clock, no reader's timezone);
    the instant itself rides along in `datetime` for a script that wants it."""
    try:
        instant: datetime | None = datetime.fromtimestamp(date.timestamp, tz=UTC)
    except (OverflowError, OSError, ValueError):
        instant = None
    iso = instant.strftime("%Y-%m-%dT%H:%M:%SZ") if instant else None
    shown = date.fallback or (instant.strftime("%Y-%m-%d %H:%M UTC") if instant else "")
    values = {"class": "bk-date", "datetime": iso, "data-format": date.format}
    return element("time", values, escape(shown))


def _emoji(emoji: mrkdwn.Emoji) -> str:
    code = f":{emoji.name}:"
    values = {"class": "bk-emoji", "role": "img", "aria-label": code, "title": code}
    return element("span", values, escape(emoji.char))
