"""The line under every tip that says where it comes from.

The catalogue calls the article's untitled opening "Introduction"; that is our
label, not one of the article's headings, so the tip must not present it as one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.catalogue import Tip
from bot.core.render.tips import ARTICLE_TITLE, tip_blocks
from bot.core.tips_file import parse_catalogue, rendered_length

HEADING = "The Strategic Layer: Where Your Real Value Lives"


def tip_from(section: str) -> Tip:
    return Tip(
        id="t",
        topic="moat",
        title="A title",
        body="A body.",
        try_this="This week, do a thing.",
        quote="a quote",
        section=section,
        audience=("business",),
    )


def source_of(tip: Tip) -> str:
    """The text of the context element that credits the article."""
    texts = [
        element["text"]
        for block in tip_blocks(tip)
        if block["type"] == "context"
        for element in block["elements"]
    ]
    [source] = [text for text in texts if ARTICLE_TITLE in text]
    return source


def test_a_tip_from_the_opening_credits_the_opening_not_a_section():
    source = source_of(tip_from("Introduction"))
    assert "Introduction" not in source and "section" not in source
    assert f"From the opening of _{ARTICLE_TITLE}_" in source
    assert "topic `moat`" in source


def test_a_tip_from_a_heading_names_that_section():
    source = source_of(tip_from(HEADING))
    assert f"section “{HEADING}”" in source and "opening" not in source
    assert "topic `moat`" in source


def test_the_section_name_is_escaped():
    assert "section “A &amp; B &lt;x&gt;”" in source_of(tip_from("A & B <x>"))


@pytest.mark.parametrize("section", ["Introduction", HEADING, "A & B <x>", "s" * 300])
def test_the_validator_measures_the_source_line_as_it_is_rendered(section):
    shown = source_of(tip_from(section))
    assert rendered_length("section", section, topic="moat") == len(shown)


def test_no_shipped_tip_presents_introduction_as_a_heading():
    catalogue = parse_catalogue(Path("content/tips.yaml").read_text(encoding="utf-8")).catalogue
    opening = [tip for tip in catalogue.tips if tip.section == "Introduction"]
    assert opening, "the catalogue has tips from the article's opening"
    for tip in catalogue.tips:
        assert "“Introduction”" not in source_of(tip), tip.id
