"""What pmtip says to the admins who curate the tips file and read the feedback:
refusals to everyone else, reload results, a refused edit's problems (a reply or
a direct message), an unknown tip id, and `/pmtip stats`. Pure rendering; the
shell passes in every fact and sends the result.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from bot.core.catalogue import Catalogue
from bot.core.controls import show_controls
from bot.core.feedback import TipStats
from bot.core.render import blocks
from bot.core.render.blocks import Block, Message

PROBLEM_LINES_SHOWN = 30  # in a reply or a direct message; `validate` lists more
STATS_LIST_SIZE = 10
VALIDATE_HINT = "Run `python -m bot validate` on the file to see every problem."


def refusal(*, action: str, who_can_help: str) -> Message:
    helpers = who_can_help[:1].upper() + who_can_help[1:]
    return blocks.notice(f"Sorry, only admins can {action}. {helpers} can do it for you.")


def safe_text(text: str) -> str:
    """Text from the file or the system, with control characters as visible escapes
    (bot.core.problems escapes its messages already; a path or an OS error may not be)."""
    return blocks.escape(show_controls(text))


def problem_blocks(problems: Sequence[str], *, shown: int, left_out: int = 0) -> list[Block]:
    """The problems as monospaced lines, packed into sections within Slack's limits;
    `left_out` more were not even kept."""
    lines = [safe_text(blocks.clip(line, 500)) for line in problems[:shown]]
    out: list[Block] = []
    chunk: list[str] = []
    for line in lines:
        if chunk and sum(len(x) + 1 for x in chunk) + len(line) + 8 > blocks.SECTION_MAX:
            out.append(blocks.section("```" + "\n".join(chunk) + "```"))
            chunk = []
        chunk.append(line)
    if chunk:
        out.append(blocks.section("```" + "\n".join(chunk) + "```"))
    more = max(len(problems) - shown, 0) + left_out
    if more:
        out.append(blocks.context(f"…and {more} more. {VALIDATE_HINT}"))
    return out


def reload_reply(*, ok: bool, summary: str, problems: Sequence[str], left_out: int = 0) -> Message:
    """The answer to `/pmtip reload`."""
    if ok:
        return blocks.notice(f":white_check_mark: Reloaded {safe_text(summary)}.")
    return _rejection(
        ":x: *The tips file was not reloaded.*",
        summary=summary,
        problems=problems,
        left_out=left_out,
        ending="Fix these lines, save, and run `/pmtip reload` again.",
    )


def rejected_edit_notice(*, summary: str, problems: Sequence[str], left_out: int = 0) -> Message:
    """The direct message to each admin when a saved edit of the file is refused."""
    return _rejection(
        ":warning: *A change to the tips file was not loaded.*",
        summary=summary,
        problems=problems,
        left_out=left_out,
        ending="Fix these lines and save again; I pick the file up within seconds.",
    )


def _rejection(
    title: str, *, summary: str, problems: Sequence[str], left_out: int, ending: str
) -> Message:
    out = [
        blocks.section(f"{title}\n{safe_text(summary)}"),
        *problem_blocks(problems, shown=PROBLEM_LINES_SHOWN, left_out=left_out),
        blocks.context(ending),
    ]
    text = f"{summary}. " + " | ".join(problems[:5])
    return blocks.fit(Message(text=safe_text(text), blocks=out))


def close_tip_ids(catalogue: Catalogue, tip_id: str, *, limit: int = 3) -> list[str]:
    ids = [tip.id for tip in catalogue.tips]
    close = difflib.get_close_matches(tip_id, ids, n=limit, cutoff=0.5)
    if len(close) < limit:  # a fragment of an id: `moat` for `moat-defensibility`
        close += [i for i in ids if tip_id in i and i not in close][: limit - len(close)]
    return close


def unknown_tip(tip_id: str, suggestions: Sequence[str]) -> Message:
    text = f"No tip has the id `{blocks.echo(tip_id)}`."
    if suggestions:
        text += " Did you mean " + ", ".join(f"`{s}`" for s in suggestions) + "?"
    text += " Tip ids are the `id:` lines of the tips file; `/pmtip search <words>` finds tips."
    return blocks.notice(text)


def stats(catalogue: Catalogue, tallies: Sequence[TipStats]) -> Message:
    """Deliveries and votes per tip for the whole catalogue, most and least useful first."""
    by_id = {tally.tip_id: tally for tally in tallies}
    every = [by_id.get(tip.id, TipStats(tip.id, 0, 0, 0)) for tip in catalogue.tips]
    retired = [t for t in tallies if catalogue.tip(t.tip_id) is None]
    voted = [t for t in every if t.votes]
    most = sorted((t for t in voted if t.useful), key=lambda t: (-t.score, -t.useful, t.tip_id))[
        :STATS_LIST_SIZE
    ]
    least = sorted(
        (t for t in voted if t.not_for_me), key=lambda t: (t.score, -t.not_for_me, t.tip_id)
    )[:STATS_LIST_SIZE]

    def line(tally: TipStats) -> str:
        tip = catalogue.tip(tally.tip_id)
        title = blocks.escape(blocks.clip(tip.title, 80)) if tip else "_retired_"
        return (
            f"`{tally.tip_id}` {title} · posted {tally.deliveries} · "
            f":thumbsup: {tally.useful} · not for me {tally.not_for_me}"
        )

    total_posts = sum(t.deliveries for t in every) + sum(t.deliveries for t in retired)
    total_votes = sum(t.votes for t in every) + sum(t.votes for t in retired)
    out: list[blocks.Block] = [
        blocks.header("pmtip stats"),
        blocks.section(
            f"{len(catalogue.tips)} tips · {total_posts} weekly posts · {total_votes} votes · "
            f"{sum(1 for t in every if not t.deliveries)} tips never posted"
        ),
    ]
    if most:
        out.append(blocks.section("*Most useful*\n" + "\n".join(line(t) for t in most)))
    if least:
        out.append(blocks.section("*Least useful*\n" + "\n".join(line(t) for t in least)))
    if not voted:
        out.append(blocks.section("_No votes yet._"))
    out.append(blocks.section("*Every tip* (most useful first)"))
    ranked = sorted(every, key=lambda t: (-t.score, -t.useful, -t.deliveries, t.tip_id))
    out += blocks.chunked_sections(
        [line(t) for t in [*ranked, *retired]], max_blocks=blocks.MAX_BLOCKS - len(out) - 1
    )
    text = (
        f"pmtip stats: {len(catalogue.tips)} tips, {total_posts} weekly posts, {total_votes} votes"
    )
    return blocks.fit(Message(text=text, blocks=out))
