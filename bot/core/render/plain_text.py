"""A Block Kit message as terminal text, for `python -m bot tip`."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from bot.core import mrkdwn
from bot.core.render.blocks import Block, Message


def from_mrkdwn(text: str) -> str:
    """What a reader takes from mrkdwn, without the markup: links by their label,
    quotes indented, emoji left out (a terminal may not draw them)."""
    lines: list[str] = []
    for node in mrkdwn.parse(text):
        match node:
            case mrkdwn.Preformatted(text=pre):
                lines += pre.split("\n")
            case mrkdwn.Quote(children=children):
                lines += ["  " + _line(child) for child in children]
            case _:
                lines.append(_line(node))
    return "\n".join(lines).strip("\n")


def _line(node: mrkdwn.Line | mrkdwn.ListItem) -> str:
    if isinstance(node, mrkdwn.ListItem):
        return f"{node.marker} {_inline(node.parts)}"
    return _inline(node.parts)


def _inline(parts: Sequence[mrkdwn.Inline]) -> str:
    out: list[str] = []
    after_emoji = False
    for part in parts:
        match part:
            case mrkdwn.Emoji():
                after_emoji = True
                continue
            case mrkdwn.Text(text=text) | mrkdwn.Code(text=text):
                piece = text
            case mrkdwn.Styled(children=children):
                piece = _inline(children)
            case mrkdwn.Link(url=url, label=label):
                piece = label if label is not None else url.removeprefix("mailto:")
            case mrkdwn.Mention(kind=kind, target=target, label=label):
                sign = "#" if kind == "channel" else "@"
                piece = label if label and label.startswith(sign) else sign + (label or target)
            case mrkdwn.Date(fallback=fallback):
                piece = fallback
        out.append(piece[1:] if after_emoji and piece.startswith(" ") else piece)
        after_emoji = False
    return "".join(out)


def render(message: Message, *, width: int = 78) -> str:
    if not message.blocks:
        return from_mrkdwn(message.text)
    return "\n\n".join(filter(None, (_block(block, width) for block in message.blocks)))


def _block(block: Block, width: int) -> str:
    kind = block.get("type")
    if kind == "header":
        title = block["text"]["text"]
        return f"{title}\n{'=' * min(len(title), width)}"
    if kind == "section":
        return "\n".join(
            _wrap(line, width) for line in from_mrkdwn(block["text"]["text"]).splitlines()
        )
    if kind == "context":
        return "\n".join(
            _wrap(from_mrkdwn(e.get("text", "")), width, indent="  ") for e in block["elements"]
        )
    return ""  # buttons and dividers have no meaning on a terminal


def _wrap(line: str, width: int, indent: str = "") -> str:
    return textwrap.fill(line, width, initial_indent=indent, subsequent_indent=indent) or line
