"""Lists and pointers: the topics, `/pmtip help`, search results, and the answer
when nothing matches."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.catalogue import Catalogue, Tip, Topic
from bot.core.grammar import ADMIN_USAGE, USAGE
from bot.core.render.blocks import (
    MAX_BLOCKS,
    SHOW,
    TOPIC,
    Block,
    Message,
    actions,
    button,
    chunked_sections,
    clip,
    context,
    echo,
    escape,
    fit,
    header,
    section,
)
from bot.core.render.tips import ARTICLE_TITLE


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


def no_match(
    query: str, suggestions: Sequence[Topic], *, starters: Sequence[Topic] = ()
) -> Message:
    """Nothing matched: the closest topics (or, with none close, a few to start
    from) as buttons that open a tip, so the answer is never a dead end."""
    lines = [f"I couldn't find a tip for “{echo(query)}”."]
    if suggestions:
        names = ", ".join(f"`/pmtip {topic.slug}`" for topic in suggestions[:3])
        lines.append(f"Did you mean {names}?")
    elif starters:
        lines.append("These topics are a good place to start.")
    lines.append("Try `/pmtip topics` to see every topic, or `/pmtip help`.")
    body = " ".join(lines)
    offered = [*suggestions[:3]] or [*starters[:3]]
    blocks: list[Block] = [section(body)]
    if offered:
        buttons = [
            button(topic.title, f"{TOPIC}.{n}", topic.slug) for n, topic in enumerate(offered)
        ]
        blocks.append(actions("pmtip_closest_topics", *buttons))
    return fit(Message(text=body.replace("`", ""), blocks=blocks))
