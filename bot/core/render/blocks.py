"""Block Kit's building blocks within Slack's limits, and `Message`: Block Kit plus
a plain-text fallback. The other modules of bot.core.render build every message
pmtip sends from these.

Text that came from a person (what they typed) or from the tips file is escaped,
so `<!channel>` shows as text and never pings anyone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

MAX_BLOCKS = 50
HEADER_MAX = 150
SECTION_MAX = 3000
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
BLOCK_ID_MAX = 255
CONTEXT_TEXT_MAX = 2000
FALLBACK_MAX = 40000
ECHO_MAX = 200  # how much of a person's own text is echoed back

# action_ids the listeners answer to
SHARE = "pmtip_share"
ANOTHER = "pmtip_another"
SHOW = "pmtip_show"
VOTE_USEFUL = "pmtip_vote_useful"
VOTE_NOT_FOR_ME = "pmtip_vote_not_for_me"
HOME_TOPIC = "pmtip_home_topic"
# A topic offered when nothing matched: `pmtip_topic.<n>`, the slug in the value
# (action ids must differ within a message; one listener matches them all).
TOPIC = "pmtip_topic"

Block = dict[str, Any]


@dataclass(frozen=True)
class Message:
    text: str
    blocks: list[Block] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def escape(text: str) -> str:
    """Escape Slack's mrkdwn control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def echo(text: str) -> str:
    """A person's text, safe and short enough to quote back to them."""
    return escape(clip(" ".join(text.split()), ECHO_MAX))


# -- block builders --------------------------------------------------------


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, HEADER_MAX)}}


def section(mrkdwn: str, *, accessory: Block | None = None) -> Block:
    block: Block = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": clip(mrkdwn, SECTION_MAX)},
    }
    if accessory:
        block["accessory"] = accessory
    return block


def context(*mrkdwn: str) -> Block:
    elements = [{"type": "mrkdwn", "text": clip(t, CONTEXT_TEXT_MAX)} for t in mrkdwn[:10]]
    return {"type": "context", "elements": elements}


def button(text: str, action_id: str, value: str, *, style: str | None = None) -> Block:
    # A value is an id the click must bring back whole: cutting it would name another
    # tip or none. The tips file keeps ids far shorter; refuse rather than cut.
    if len(value) > BUTTON_VALUE_MAX:
        raise ValueError(
            f"button value of {len(value)} characters; Slack allows {BUTTON_VALUE_MAX}"
        )
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(text, BUTTON_TEXT_MAX), "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def actions(block_id: str, *elements: Block) -> Block:
    if len(block_id) > BLOCK_ID_MAX:  # ids are unique per message: a cut one could clash
        raise ValueError(f"block_id of {len(block_id)} characters; Slack allows {BLOCK_ID_MAX}")
    return {"type": "actions", "block_id": block_id, "elements": list(elements[:25])}


def divider() -> Block:
    return {"type": "divider"}


def chunked_sections(lines: Iterable[str], *, max_blocks: int) -> list[Block]:
    """Lines packed into as few sections as fit Slack's section limit."""
    blocks: list[Block] = []
    current = ""
    for line in lines:
        line = clip(line, SECTION_MAX)
        if current and len(current) + 1 + len(line) > SECTION_MAX:
            blocks.append(section(current))
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        blocks.append(section(current))
    if len(blocks) > max_blocks:
        blocks = [*blocks[: max_blocks - 1], section("_…and more; the list was cut to fit._")]
    return blocks


def fit(message: Message) -> Message:
    """The message with at most 50 blocks and a fallback within Slack's limit."""
    blocks = message.blocks
    if len(blocks) > MAX_BLOCKS:
        blocks = [*blocks[: MAX_BLOCKS - 1], context("_…cut to fit one message._")]
    return Message(text=clip(message.text, FALLBACK_MAX), blocks=blocks)


def notice(mrkdwn: str) -> Message:
    """A short reply in a single section (the text is the caller's, already escaped)."""
    return fit(Message(text=clip(mrkdwn, FALLBACK_MAX), blocks=[section(mrkdwn)]))
