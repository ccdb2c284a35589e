"""A tip as pmtip sends it: the ephemeral reply to `/pmtip`, the copy shared with a
channel, the weekly insight, its preview, and the direct message a Home-tab topic
button sends."""

from __future__ import annotations

from functools import lru_cache

from bot.core.catalogue import Tip
from bot.core.render.blocks import (
    ANOTHER,
    SHARE,
    VOTE_NOT_FOR_ME,
    VOTE_USEFUL,
    Block,
    Message,
    actions,
    button,
    clip,
    context,
    escape,
    fit,
    header,
    section,
)

ARTICLE_TITLE = "Why PMs Should Prioritize Strategy Over Coding"
# The catalogue's name for the article's untitled opening: our label, not a heading.
OPENING_SECTION = "Introduction"


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


def preview(tip: Tip) -> Message:
    """Exactly the weekly message, under a line saying it is a preview."""
    weekly = weekly_insight(tip)
    note = context(f":eyes: Preview of `{tip.id}` as a channel receives it. Only you can see this.")
    return fit(Message(text=weekly.text, blocks=[note, *weekly.blocks]))


def topic_tip(tip: Tip) -> Message:
    """A tip sent by direct message after a topic button on the Home tab."""
    out = tip_blocks(tip)
    out.append(actions(f"tip:{tip.id}", button("Another tip", ANOTHER, tip.id)))
    return fit(Message(text=tip_fallback(tip), blocks=out))
