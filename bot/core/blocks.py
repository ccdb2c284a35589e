"""Rendering into Slack messages: every function returns a `Message`, Block Kit plus a
plain-text fallback, already within Slack's limits.

Text that came from a person (what they typed) or from the tips file is escaped,
so `<!channel>` shows as text and never pings anyone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from bot.core.catalogue import Catalogue, Tip, Topic
from bot.core.grammar import ADMIN_USAGE, USAGE

ARTICLE_TITLE = "Why PMs Should Prioritize Strategy Over Coding"
# The catalogue's name for the article's untitled opening: our label, not a heading.
OPENING_SECTION = "Introduction"
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


# -- tips ------------------------------------------------------------------


def tip_fallback(tip: Tip) -> str:
    return escape(f"{tip.title}: {tip.body} Your move: {tip.try_this}")


def source_line(*, section: str, topic: str) -> str:
    """Where a tip comes from: the article's opening or one of its sections, and the topic."""
    if section.casefold() == OPENING_SECTION.casefold():
        where = f"From the opening of _{ARTICLE_TITLE}_"
    else:
        where = f"From _{ARTICLE_TITLE}_, section “{escape(section)}”"
    return f"{where} · topic `{topic}`"


def tip_blocks(tip: Tip, *, heading: str | None = None) -> list[Block]:
    """The tip itself: title, body, the action to try, and where it comes from."""
    blocks: list[Block] = []
    if heading:
        blocks.append(context(heading))
    blocks += [
        header(tip.title),
        section(escape(tip.body)),
        section(f":point_right: *Your move:* {escape(tip.try_this)}"),
        context(
            f"> “{escape(clip(tip.quote, 600))}”",
            source_line(section=tip.section, topic=tip.topic),
        ),
    ]
    return blocks


def tip_reply(tip: Tip, *, note: str | None = None) -> Message:
    """The ephemeral reply to `/pmtip`: the tip with Share and Another buttons."""
    if note is None:
        return _plain_tip_reply(tip)
    return _tip_reply(tip, note=note)


@lru_cache(maxsize=4096)
def _plain_tip_reply(tip: Tip) -> Message:
    # The same tip always renders the same: render it once (Tip is frozen and
    # hashable; a reloaded catalogue brings new Tip values, so nothing goes stale).
    # Callers must not mutate the message, and none does.
    return _tip_reply(tip, note=None)


def _tip_reply(tip: Tip, *, note: str | None) -> Message:
    blocks = tip_blocks(tip)
    if note:
        blocks.insert(0, context(note))
    blocks.append(
        actions(
            f"tip:{tip.id}",
            button("Share to channel", SHARE, tip.id, style="primary"),
            button("Another tip", ANOTHER, tip.id),
        )
    )
    return fit(Message(text=tip_fallback(tip), blocks=blocks))


def shared_tip(tip: Tip, *, shared_by: str) -> Message:
    """The tip as posted for everyone, naming who shared it."""
    blocks = tip_blocks(tip)
    blocks.append(context(f"Shared by <@{shared_by}> with `/pmtip`"))
    return fit(Message(text=f"<@{shared_by}> shared a PM tip: {tip_fallback(tip)}", blocks=blocks))


def weekly_insight(tip: Tip) -> Message:
    """The weekly post: the tip, feedback buttons and another-tip for the clicker."""
    blocks = tip_blocks(tip, heading=":calendar: *PM insight of the week*")
    blocks.append(
        actions(
            f"weekly:{tip.id}",
            button(":thumbsup: Useful", VOTE_USEFUL, tip.id),
            button("Not for me", VOTE_NOT_FOR_ME, tip.id),
            button("Another tip", ANOTHER, tip.id),
        )
    )
    return fit(Message(text=f"PM insight of the week: {tip_fallback(tip)}", blocks=blocks))


# -- lists and help ----------------------------------------------------------


def topics_message(catalogue: Catalogue) -> Message:
    lines = [
        f"• `{topic.slug}` · {escape(topic.description)} ({len(catalogue.tips_in(topic.slug))})"
        for topic in catalogue.topics
    ]
    blocks = [header("pmtip topics"), *chunked_sections(lines, max_blocks=MAX_BLOCKS - 2)]
    blocks.append(context("Try `/pmtip &lt;topic&gt;`, for example `/pmtip ai-failure`."))
    text = "Topics: " + ", ".join(t.slug for t in catalogue.topics)
    return fit(Message(text=text, blocks=blocks))


def help_message(*, is_admin: bool = False) -> Message:
    rows = [*USAGE, *(ADMIN_USAGE if is_admin else ())]
    # `<tip-id>` must be escaped, or Slack reads it as the start of a link.
    lines = [f"`{escape(usage)}` · {what}" for usage, what in rows]
    blocks = [
        header("How to use /pmtip"),
        section("\n".join(lines)),
        context(f"Tips are drawn from the article _{ARTICLE_TITLE}_."),
    ]
    text = "pmtip help: " + "; ".join(escape(u) for u, _ in rows)
    return fit(Message(text=text, blocks=blocks))


def search_results(query: str, tips: Sequence[Tip]) -> Message:
    shown = tips[:10]
    blocks: list[Block] = [section(f"*Tips matching “{echo(query)}”* ({len(tips)})")]
    for tip in shown:
        blocks.append(
            section(
                f"*{escape(tip.title)}*\n`{tip.topic}` · {escape(clip(tip.body, 150))}",
                accessory=button("Show", SHOW, tip.id),
            )
        )
    if len(tips) > len(shown):
        blocks.append(
            context(f"Showing the best {len(shown)} of {len(tips)}; add words to narrow it down.")
        )
    text = f"Tips matching “{echo(query)}”: " + escape("; ".join(t.title for t in shown))
    return fit(Message(text=text, blocks=blocks))


def no_match(query: str, suggestions: Sequence[Topic]) -> Message:
    lines = [f"I couldn't find a tip for “{echo(query)}”."]
    if suggestions:
        names = ", ".join(f"`/pmtip {topic.slug}`" for topic in suggestions[:3])
        lines.append(f"Did you mean {names}?")
    lines.append("Try `/pmtip topics` to see every topic, or `/pmtip help`.")
    body = " ".join(lines)
    return fit(Message(text=body.replace("`", ""), blocks=[section(body)]))


def notice(mrkdwn: str) -> Message:
    """A short reply in a single section (the text is the caller's, already escaped)."""
    return fit(Message(text=clip(mrkdwn, FALLBACK_MAX), blocks=[section(mrkdwn)]))
