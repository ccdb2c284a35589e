"""The terminal renderer (`python -m bot tip`) reads mrkdwn as Slack does: markup
dropped, everything the reader should see kept."""

from __future__ import annotations

import pytest

from bot.core.render import blocks
from bot.core.render.plain_text import from_mrkdwn, render

CASES = [
    ("markup goes", ":point_right: *Your move:* _try_ ~this~", "Your move: try this"),
    ("stars inside words stay", "2*3*4 and snake_case_name", "2*3*4 and snake_case_name"),
    ("code shows as typed", "run `a*b` then `_x_`", "run a*b then _x_"),
    ("preformatted shows as typed", "```line 3: `topic` *x*```", "line 3: `topic` *x*"),
    (
        "links by their label",
        "<https://x.io|the article> <https://y.io>",
        "the article https://y.io",
    ),
    ("people and channels", "<@U1> in <#C1|general> and <#C2>", "@U1 in #general and #C2"),
    ("dates by their fallback", "<!date^1700000000^{date}|14 November>", "14 November"),
    ("escapes decoded", "`/pmtip &lt;topic&gt;` &amp; more", "/pmtip <topic> & more"),
    ("quotes indented", "first\n> “quoted”", "first\n  “quoted”"),
    ("unknown shortcodes as typed", ":no_such_emoji: hi", ":no_such_emoji: hi"),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_mrkdwn_reads_as_plain_text(source, expected):
    assert from_mrkdwn(source) == expected


def test_a_shared_tip_names_the_person_who_shared_it():
    tip_text = render(blocks.notice("Shared by <@U0123> with `/pmtip`"))
    assert tip_text == "Shared by @U0123 with /pmtip"
