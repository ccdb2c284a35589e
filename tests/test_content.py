"""The catalogue is faithful to its source: every quote is verbatim from the article,
under the section it names, and every idea of the issue has its tips."""

from __future__ import annotations

import re
from pathlib import Path

from bot.core.tips_file import parse_catalogue

# The article marks emphasis with `*` (“*fail gracefully*”); a quote is the words, not the marks.
ARTICLE = Path("content/article.txt").read_text(encoding="utf-8").replace("*", "")
CATALOGUE = parse_catalogue(Path("content/tips.yaml").read_text(encoding="utf-8")).catalogue
SECTIONS = [
    "The Critical Nuance: Not All PMs Are The Same",
    "The Valid, But Limited, Case for Technical Literacy",
    "The Strategic Layer: Where Your Real Value Lives",
    "The AI Example: Where the “Learn to Code” Advice Falls Apart",
    "Synthesis: Reclaim Your Role as the Architect",
]
TOPICS = """leverage core-questions pm-spectrum orchestration credibility de-risking
supporting-skill discovery moat principles ai-roles ai-failure ai-fit ai-lifecycle
ai-probability architect""".split()


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def section_texts() -> dict[str, str]:
    """The article cut at its headings; the part before the first is the Introduction."""
    texts, name, start = {}, "Introduction", 0
    for heading in SECTIONS:
        at = ARTICLE.index(heading)
        texts[name] = collapse(ARTICLE[start:at])
        name, start = heading, at + len(heading)
    texts[name] = collapse(ARTICLE[start:])
    return texts


def test_the_shipped_catalogue_is_valid():
    assert CATALOGUE is not None
    assert len(CATALOGUE.tips) >= 30


def test_every_quote_is_verbatim_from_the_section_it_names():
    sections = section_texts()
    for tip in CATALOGUE.tips:
        assert tip.section in sections, (tip.id, tip.section)
        assert collapse(tip.quote) in sections[tip.section], tip.id


# Words a sentence cannot end on: a quote that stops at one was cut mid-thought.
DANGLING = set("a an the that to of and or but with for in on by is are your you this".split())


def test_no_quote_stops_mid_thought():
    for tip in CATALOGUE.tips:
        last_word = re.sub(r"[^\w’']", " ", tip.quote).split()[-1].casefold()
        assert last_word not in DANGLING, (tip.id, tip.quote)


def test_every_idea_of_the_article_has_two_to_four_tips():
    # The article gives most of its space to the strategic layer and to what a PM
    # must understand about AI; those ideas may carry a fourth tip.
    assert [t.slug for t in CATALOGUE.topics] == TOPICS
    for slug in TOPICS:
        assert 2 <= len(CATALOGUE.tips_in(slug)) <= 4, slug


def test_coding_is_secondary_is_one_theme_among_many():
    """Tips whose main message is that coding is secondary carry the tag
    `coding-secondary`. The article's title makes that point, but its body is about
    the strategic layer and understanding AI: at most one tip in six says it, so the
    weekly rotation is not weeks of the same message."""
    theme = [tip.id for tip in CATALOGUE.tips if "coding-secondary" in tip.tags]
    assert theme, "the article's title message still has its tips"
    assert len(theme) * 6 <= len(CATALOGUE.tips), theme


def test_the_closing_line_of_the_synthesis_has_a_tip():
    line = "The market rewards PMs who make great strategic decisions and design products that win."
    assert any(line in tip.quote for tip in CATALOGUE.tips)


def test_tips_are_distinct_and_actionable():
    titles = [t.title.casefold() for t in CATALOGUE.tips]
    bodies = [t.body.casefold() for t in CATALOGUE.tips]
    assert len(set(titles)) == len(titles) and len(set(bodies)) == len(bodies)
    for tip in CATALOGUE.tips:
        assert tip.try_this.startswith("This week,"), tip.id
        assert tip.audience, tip.id


def copied_runs(text: str) -> set[str]:
    """Runs of seven words that `text` shares with the article, outside “marked quotes”."""
    article_words = collapse(ARTICLE).casefold().split()
    shingles = {" ".join(article_words[i : i + 7]) for i in range(len(article_words) - 6)}
    unquoted = re.sub(r"“[^”]*”", " / ", text)
    words = collapse(unquoted).casefold().split()
    return shingles.intersection(" ".join(words[i : i + 7]) for i in range(len(words) - 6))


def test_bodies_are_in_our_own_words_not_copied_from_the_article():
    for tip in CATALOGUE.tips:
        assert not copied_runs(f"{tip.title} {tip.body} {tip.try_this}"), tip.id


def test_topic_descriptions_are_our_own_words_or_marked_quotes():
    for topic in CATALOGUE.topics:
        assert not copied_runs(topic.description), topic.slug
        # Shorter copied phrases give themselves away too: the article's own
        # sentence with no quote marks. Compare each clause against the article.
        for clause in re.split(r"[;:?.]", re.sub(r"“[^”]*”", " ", topic.description)):
            words = clause.split()
            if len(words) >= 5:
                assert collapse(clause).casefold() not in collapse(ARTICLE).casefold(), clause


def test_ai_failure_aliases_reach_it():
    for alias in ("ai-failures", "failure", "fail-gracefully"):
        assert CATALOGUE.resolve_topic(alias).slug == "ai-failure"
