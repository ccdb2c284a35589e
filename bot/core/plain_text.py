"""A Block Kit message as terminal text, for `python -m bot tip`."""

from __future__ import annotations

import re
import textwrap

from bot.core.blocks import Block, Message

_LINK = re.compile(r"<([^|>]+)\|([^>]+)>")
_EMOJI = re.compile(r":[a-z0-9_+-]+:\s?")


def from_mrkdwn(text: str) -> str:
    text = _LINK.sub(r"\2", text)
    text = _EMOJI.sub("", text)
    text = re.sub(r"(?<!\w)_(.+?)_(?!\w)", r"\1", text)
    text = text.replace("*", "").replace("`", "").strip()
    text = re.sub(r"(?m)^> ?", "  ", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


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
