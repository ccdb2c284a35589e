"""The App Home tab everyone sees: topic buttons, the weekly insight in the person's
channels and, for admins, the catalogue's state and the feedback. Pure rendering;
the shell passes in every fact (the time included) and publishes the view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.catalogue import Catalogue
from bot.core.feedback import TipStats
from bot.core.render import blocks
from bot.core.render.admin import problem_blocks, safe_text
from bot.core.render.blocks import Block
from bot.core.render.tips import ARTICLE_TITLE
from bot.core.render.weekly import slack_date

MAX_VIEW_BLOCKS = 100
BUTTONS_PER_ACTIONS = 25
TOPIC_ACTION_BLOCKS_MAX = 20  # 500 topics as buttons; beyond that, a pointer to /pmtip topics
CHANNEL_LINES_MAX = 50
HOME_PROBLEM_LINES_SHOWN = 10
HOME_STATS_SHOWN = 5


@dataclass(frozen=True, slots=True)
class CatalogueStatus:
    """The live catalogue's state, for admins."""

    path: str
    tips: int
    topics: int
    loaded_at: datetime | None  # None: no good file has loaded since the start
    rejected_at: datetime | None = None
    rejected_summary: str | None = None
    rejected_problems: tuple[str, ...] = ()
    rejected_problems_left_out: int = 0  # beyond those in rejected_problems


@dataclass(frozen=True, slots=True)
class ChannelPost:
    """A subscribed channel the person is in, and when its next insight goes out."""

    channel_id: str
    schedule_text: str  # "every Monday at 09:00 (Europe/Berlin)"
    next_post: datetime
    timezone: str


def topic_action_id(index: int) -> str:
    """Buttons of one actions block need distinct action_ids; the listener
    matches them all by the HOME_TOPIC prefix."""
    return f"{blocks.HOME_TOPIC}.{index}"


# -- the Home tab ---------------------------------------------------------------------------


def home_view(
    *,
    catalogue: Catalogue,
    channels: Sequence[ChannelPost] | None,
    status: CatalogueStatus | None = None,
    tallies: Sequence[TipStats] | None = None,
) -> dict[str, Any]:
    """The Home tab. `channels` is None when they could not be looked up; `status`
    and `tallies` are given for admins only. Never more than 100 blocks."""
    out: list[Block] = [
        blocks.header("pmtip: strategy nudges for PMs"),
        blocks.section(
            "Pick a topic and I'll send you a tip from it in a direct message. "
            "Anywhere in Slack, `/pmtip` gives a tip too, `/pmtip help` shows the rest."
        ),
    ]
    out += _topic_blocks(catalogue)
    out.append(blocks.divider())
    out += _channel_blocks(channels)
    if status is not None:
        out.append(blocks.divider())
        out += _status_blocks(status)
    if tallies is not None:
        out += _stats_blocks(catalogue, tallies)
    out.append(blocks.context(f"Tips come from the article _{ARTICLE_TITLE}_."))
    if len(out) > MAX_VIEW_BLOCKS:  # the budgets above keep well under; this is the backstop
        out = [*out[: MAX_VIEW_BLOCKS - 1], blocks.context("_…cut to fit the Home tab._")]
    return {"type": "home", "blocks": out}


def _topic_blocks(catalogue: Catalogue) -> list[Block]:
    if not catalogue.topics:
        return [
            blocks.section(
                ":construction: No tips are available right now; the admins have been told."
            )
        ]
    out: list[Block] = [blocks.section("*Topics*")]
    capacity = BUTTONS_PER_ACTIONS * TOPIC_ACTION_BLOCKS_MAX
    shown = catalogue.topics[:capacity]
    for start in range(0, len(shown), BUTTONS_PER_ACTIONS):
        buttons = [
            blocks.button(
                f"{topic.title} ({len(catalogue.tips_in(topic.slug))})",
                topic_action_id(start + offset),
                topic.slug,
            )
            for offset, topic in enumerate(shown[start : start + BUTTONS_PER_ACTIONS])
        ]
        out.append(blocks.actions(f"home_topics:{start // BUTTONS_PER_ACTIONS}", *buttons))
    hidden = len(catalogue.topics) - len(shown)
    if hidden > 0:
        out.append(blocks.context(f"…and {hidden} more topics: `/pmtip topics` lists them all."))
    return out


def _channel_blocks(channels: Sequence[ChannelPost] | None) -> list[Block]:
    out: list[Block] = [blocks.section("*Weekly insight in your channels*")]
    if channels is None:
        out.append(blocks.context("I couldn't look up your channels just now; try again later."))
        return out
    if not channels:
        out.append(
            blocks.context(
                "None of your channels gets the weekly insight. "
                "`/pmtip subscribe` in a channel starts one."
            )
        )
        return out
    ordered = sorted(channels, key=lambda c: (c.next_post, c.channel_id))
    lines = [
        f"• <#{c.channel_id}> {blocks.escape(c.schedule_text)} · next: "
        f"{slack_date(c.next_post, c.timezone)}"
        for c in ordered[:CHANNEL_LINES_MAX]
    ]
    if len(ordered) > CHANNEL_LINES_MAX:
        lines.append(f"…and {len(ordered) - CHANNEL_LINES_MAX} more channels.")
    out += blocks.chunked_sections(lines, max_blocks=5)
    return out


def _status_blocks(status: CatalogueStatus) -> list[Block]:
    if status.loaded_at is None:
        loaded = "*Loaded:* never since the start: no good file yet"
    else:
        loaded = f"*Loaded:* {slack_date(status.loaded_at, 'UTC')}"
    out: list[Block] = [
        blocks.header("Admin: the catalogue"),
        blocks.section(
            f"*File:* `{safe_text(status.path)}`\n"
            f"*Serving:* {status.tips} tips in {status.topics} topics\n{loaded}"
        ),
    ]
    if status.rejected_summary is not None:
        when = f" ({slack_date(status.rejected_at, 'UTC')})" if status.rejected_at else ""
        summary = safe_text(status.rejected_summary)
        out.append(blocks.section(f":warning: *The last edit was not loaded*{when}\n{summary}"))
        out += problem_blocks(
            status.rejected_problems,
            shown=HOME_PROBLEM_LINES_SHOWN,
            left_out=status.rejected_problems_left_out,
        )
    else:
        out.append(blocks.context("The file on disk is the one being served."))
    out.append(
        blocks.context(
            "`/pmtip reload` reloads it now; `/pmtip preview &lt;tip-id&gt;` shows a tip."
        )
    )
    return out


def _stats_blocks(catalogue: Catalogue, tallies: Sequence[TipStats]) -> list[Block]:
    voted = [t for t in tallies if t.votes and catalogue.tip(t.tip_id)]
    posts = sum(t.deliveries for t in tallies)
    votes = sum(t.votes for t in tallies)
    out: list[Block] = [
        blocks.header("Admin: feedback"),
        blocks.section(f"{posts} weekly posts · {votes} votes on {len(voted)} tips"),
    ]

    def line(tally: TipStats) -> str:
        tip = catalogue.tip(tally.tip_id)
        title = blocks.escape(blocks.clip(tip.title, 80)) if tip else tally.tip_id
        return (
            f"`{tally.tip_id}` {title} · :thumbsup: {tally.useful} · "
            f"not for me {tally.not_for_me} · posted {tally.deliveries}"
        )

    most = sorted((t for t in voted if t.useful), key=lambda t: (-t.score, -t.useful, t.tip_id))
    least = sorted((t for t in voted if t.not_for_me), key=lambda t: (t.score, t.tip_id))
    if most:
        shown = most[:HOME_STATS_SHOWN]
        out.append(blocks.section("*Most useful*\n" + "\n".join(line(t) for t in shown)))
    if least:
        shown = least[:HOME_STATS_SHOWN]
        out.append(blocks.section("*Least useful*\n" + "\n".join(line(t) for t in shown)))
    out.append(blocks.context("`/pmtip stats` lists every tip."))
    return out
