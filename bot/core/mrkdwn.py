"""Slack's mrkdwn, parsed into a small tree that each renderer walks: the terminal
(`plain_text`) and the playground's HTML (`bot.playground`).

The rules, as Slack applies them to a mrkdwn text object:
- ```preformatted``` runs between triple backticks, across lines; nothing inside is
  formatted. `code` spans stay on one line; nothing inside them is formatted either.
- `>` (or its escaped form `&gt;`) at the start of a line quotes that line; `>>>`
  quotes the rest of the text. Consecutive quoted lines form one quote.
- Lines starting with `•`, `- ` or `1. ` are list items; the marker shows as typed.
- *bold*, _italic_ and ~strike~ need a boundary: the opening marker starts the text
  or follows a non-word character and comes before a non-space; the closing one
  follows a non-space and comes before a non-word character or the end. They nest
  (*bold _italic_*), never span a line, and an unmatched marker stays literal, so
  `2*3*4` and `snake_case_name` are plain text.
- `<…>` is a token: a link `<https://x|label>` or `<https://x>`, a mention
  `<@U123>`, `<#C123|name>`, `<!here>`, `<!channel>`, `<!everyone>`,
  `<!subteam^S123|@team>`, or a date `<!date^1700000000^{date_long} at {time}|fallback>`.
  Bare http(s) URLs are links too (Slack's `verbatim: false` default).
- `:name:` is an emoji when Slack knows the name (`bot.core.emoji`); else it is text.
- Only `&amp;`, `&lt;` and `&gt;` are decoded, once: `&amp;lt;` shows as `&lt;`, and
  `&quot;` shows as typed. Raw `<` and `>` that form no token stay literal.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Literal

from bot.core.emoji import EMOJI

Style = Literal["bold", "italic", "strike"]
MentionKind = Literal["user", "channel", "broadcast", "usergroup"]
MARKERS: dict[str, Style] = {"*": "bold", "_": "italic", "~": "strike"}
BROADCASTS = frozenset({"here", "channel", "everyone"})


@dataclass(frozen=True, slots=True)
class Text:
    text: str  # as shown: the escapes already decoded


@dataclass(frozen=True, slots=True)
class Styled:
    style: Style
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Code:
    text: str


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    label: str | None  # None: Slack shows the address itself


@dataclass(frozen=True, slots=True)
class Mention:
    kind: MentionKind
    target: str  # U123, C123, here, S123
    label: str | None


@dataclass(frozen=True, slots=True)
class Date:
    timestamp: int
    format: str
    fallback: str


@dataclass(frozen=True, slots=True)
class Emoji:
    name: str
    char: str


Inline = Text | Styled | Code | Link | Mention | Date | Emoji


@dataclass(frozen=True, slots=True)
class Line:
    parts: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class ListItem:
    marker: str  # "•", "-" or "3."
    parts: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Quote:
    children: tuple[Line | ListItem, ...]


@dataclass(frozen=True, slots=True)
class Preformatted:
    text: str


Node = Line | ListItem | Quote | Preformatted

_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}
_ENTITY = re.compile("&(?:amp|lt|gt);")
_FENCE = "```"
_MULTI_QUOTE = re.compile(r"(?:>>>|&gt;&gt;&gt;) ?")
_QUOTE = re.compile(r"(?:>|&gt;) ?")
_LIST_ITEM = re.compile(r"(•|-|\d{1,9}\.)[ \t]+(.*)", re.DOTALL)
_EMOJI_NAME = r"[a-z0-9_+'-]+"
_EMOJI_CODE = re.compile(f":({_EMOJI_NAME}):")
_TOKEN = re.compile(
    r"`(?P<code>[^`\n]+)`"
    r"|<(?P<angle>[^<>\s][^<>\n]*)>"
    rf"|:(?P<emoji>{_EMOJI_NAME}):"
    r"|(?<![\w/])(?P<url>https?://[^\s<>`]+)"
    r"|(?P<entity>&(?:amp|lt|gt);)"
)
_URL_TRAILER = ".,;:!?)'\"”’*_~"


def decode_entities(text: str) -> str:
    """Slack's three escapes, decoded in one pass."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group()], text)


def split_emoji(text: str) -> tuple[Text | Emoji, ...]:
    """A plain_text object's text (no markup, no escapes) with its known emoji picked out."""
    parts: list[Text | Emoji] = []
    position = search_from = 0
    while match := _EMOJI_CODE.search(text, search_from):
        if (char := EMOJI.get(match.group(1))) is None:
            search_from = match.start() + 1  # `:a:calendar:`: the second colon may open one
            continue
        if match.start() > position:
            parts.append(Text(text[position : match.start()]))
        parts.append(Emoji(match.group(1), char))
        position = search_from = match.end()
    if position < len(text):
        parts.append(Text(text[position:]))
    return tuple(parts)


def parse(text: str) -> tuple[Node, ...]:
    nodes: list[Node] = []
    for chunk, preformatted in _split_preformatted(text):
        if preformatted:
            nodes.append(Preformatted(decode_entities(chunk)))
        elif chunk:
            nodes += _parse_lines(chunk)
    return tuple(nodes)


def _split_preformatted(text: str) -> list[tuple[str, bool]]:
    """The text cut into (chunk, is_preformatted), the fences dropped."""
    chunks: list[tuple[str, bool]] = []
    position = 0
    while (start := text.find(_FENCE, position)) != -1:
        end = text.find(_FENCE, start + len(_FENCE) + 1)  # ``` ``` holds at least one char
        if end == -1:
            break
        inner = text[start + len(_FENCE) : end]
        inner = inner.removeprefix("\n").removesuffix("\n")
        chunks.append((text[position:start].removesuffix("\n"), False))
        chunks.append((inner, True))
        position = end + len(_FENCE)
        if text.startswith("\n", position):
            position += 1
    chunks.append((text[position:], False))
    return chunks


def _parse_lines(chunk: str) -> list[Node]:
    out: list[Node] = []
    quoted: list[Line | ListItem] = []
    lines = chunk.split("\n")
    for index, line in enumerate(lines):
        if multi := _MULTI_QUOTE.match(line):
            rest = [line[multi.end() :], *lines[index + 1 :]]
            quoted += [_line(text) for text in rest]
            break
        if single := _QUOTE.match(line):
            quoted.append(_line(line[single.end() :]))
            continue
        if quoted:
            out.append(Quote(tuple(quoted)))
            quoted = []
        out.append(_line(line))
    if quoted:
        out.append(Quote(tuple(quoted)))
    return out


def _line(text: str) -> Line | ListItem:
    if item := _LIST_ITEM.fullmatch(text):
        return ListItem(item.group(1), parse_inline(item.group(2)))
    return Line(parse_inline(text))


# -- inline ----------------------------------------------------------------------------

# One line, cut into single characters (that may be markers) and finished tokens.
_Items = list[str | Inline]


def parse_inline(text: str) -> tuple[Inline, ...]:
    items = _atoms(text)
    closers = _closers(items)
    return tuple(_styled(items, 0, len(items), closers))


def _atoms(text: str) -> _Items:
    items: _Items = []
    position = 0
    while match := _TOKEN.search(text, position):
        items += text[position : match.start()]
        token, end = _token(match)
        if token is None:  # not a token after all: its first character is text
            items.append(text[match.start()])
            position = match.start() + 1
            continue
        items.append(token)
        position = end
    items += text[position:]
    return items


def _token(match: re.Match[str]) -> tuple[Inline | str | None, int]:
    kind = match.lastgroup
    value = match.group(kind or 0)
    if kind == "code":
        return Code(decode_entities(value)), match.end()
    if kind == "angle":
        return _angle(value), match.end()
    if kind == "emoji":
        char = EMOJI.get(value)
        return (Emoji(value, char) if char else None), match.end()
    if kind == "url":
        url = value.rstrip(_URL_TRAILER)
        return Link(decode_entities(url), None), match.start() + len(url)
    return _ENTITIES[value], match.end()  # a decoded character is text, never a marker


def _angle(content: str) -> Inline:
    target, bar, label_text = content.partition("|")
    label = decode_entities(label_text) if bar else None
    if target.startswith("@"):
        return Mention("user", target[1:], label)
    if target.startswith("#"):
        return Mention("channel", target[1:], label)
    if target.startswith("!"):
        name, *args = target[1:].split("^")
        if name in BROADCASTS:
            return Mention("broadcast", name, label)
        if name == "subteam" and args:
            return Mention("usergroup", args[0], label)
        if name == "date" and len(args) >= 2 and args[0].isdecimal():
            return Date(int(args[0]), args[1], label or "")
        return Text(label if label is not None else decode_entities(f"<{content}>"))
    return Link(decode_entities(target), label)


def _is_word(item: str | Inline | None) -> bool:
    return isinstance(item, str) and item.isalnum()


def _is_space(item: str | Inline | None) -> bool:
    return item is None or (isinstance(item, str) and item.isspace())


def _closers(items: _Items) -> dict[str, list[int]]:
    """Where each marker could close a run: after a non-space, before a non-word."""
    found: dict[str, list[int]] = {marker: [] for marker in MARKERS}
    for index, item in enumerate(items):
        if isinstance(item, str) and item in MARKERS and index > 0:
            after = items[index + 1] if index + 1 < len(items) else None
            if not _is_space(items[index - 1]) and not _is_word(after):
                found[item].append(index)
    return found


def _styled(items: _Items, start: int, end: int, closers: dict[str, list[int]]) -> list[Inline]:
    out: list[Inline] = []
    text: list[str] = []

    def flush() -> None:
        if text:
            out.append(Text("".join(text)))
            text.clear()

    index = start
    while index < end:
        item = items[index]
        if not isinstance(item, str):
            flush()
            out.append(item)
        elif (close := _close_of(items, index, end, closers)) is not None:
            flush()
            inner = _styled(items, index + 1, close, closers)
            out.append(Styled(MARKERS[item], tuple(inner)))
            index = close + 1
            continue
        else:
            text.append(item)
        index += 1
    flush()
    return out


def _close_of(items: _Items, index: int, end: int, closers: dict[str, list[int]]) -> int | None:
    """The closing marker of the run `items[index]` opens, if it opens one."""
    marker = items[index]
    if not isinstance(marker, str) or marker not in MARKERS:
        return None
    before = items[index - 1] if index > 0 else None
    after = items[index + 1] if index + 1 < end else None
    if _is_word(before) or _is_space(after) or after == marker:
        return None
    candidates = closers[marker]
    first = bisect_right(candidates, index + 1)  # at least one item inside
    if first < len(candidates) and candidates[first] < end:
        return candidates[first]
    return None
