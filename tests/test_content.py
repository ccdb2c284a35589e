"""The catalogue is faithful to its source: every quote is verbatim from the article,
under the section it names, and every idea of the issue has its tips."""

from __future__ import annotations

import re
from pathlib import Path

from bot.core.tips_file import parse_catalogue

ARTICLE = Path("content/article.txt").read_text(encoding="utf-8")
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


def test_every_idea_of_the_article_has_two_or_three_tips():
    assert [t.slug for t in CATALOGUE.topics] == TOPICS
    for slug in TOPICS:
        assert 2 <= len(CATALOGUE.tips_in(slug)) <= 3, slug


def test_tips_are_distinct_and_actionable():
    titles = [t.title.casefold() for t in CATALOGUE.tips]
    bodies = [t.body.casefold() for t in CATALOGUE.tips]
    assert len(set(titles)) == len(titles) and len(set(bodies)) == len(bodies)
    for tip in CATALOGUE.tips:
        assert tip.try_this.startswith("This week,"), tip.id
        assert tip.audience, tip.id


def test_bodies_are_in_our_own_words_not_copied_from_the_article():
    article_words = collapse(ARTICLE).casefold().split()
    shingles = {" ".join(article_words[i : i + 7]) for i in range(len(article_words) - 6)}
    for tip in CATALOGUE.tips:
        words = collapse(f"{tip.title} {tip.body} {tip.try_this}").casefold().split()
        copied = [" ".join(words[i : i + 7]) for i in range(len(words) - 6)]
        assert not shingles.intersection(copied), tip.id


def test_ai_failure_aliases_reach_it():
    for alias in ("ai-failures", "failure", "fail-gracefully"):
        assert CATALOGUE.resolve_topic(alias).slug == "ai-failure"
