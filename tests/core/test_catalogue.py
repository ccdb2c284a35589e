"""The catalogue's look-ups and search, on small hand-made catalogues."""

from __future__ import annotations

import random

from bot.core.catalogue import Catalogue, Tip, Topic, normalize_word, pick_tip
from bot.core.search_terms import words


def make_tip(tip_id: str, topic: str, title: str = "A title", body: str = "A body.", **kw) -> Tip:
    return Tip(
        id=tip_id,
        topic=topic,
        title=title,
        body=body,
        try_this=kw.get("try_this", "This week, do a thing."),
        quote=kw.get("quote", "a quote"),
        section=kw.get("section", "Introduction"),
        audience=("business",),
        tags=tuple(kw.get("tags", ())),
    )


CATALOGUE = Catalogue(
    topics=(
        Topic("ai-failure", "AI failure", "How AI fails.", ("ai-failures", "fail-gracefully")),
        Topic("moat", "Moat", "Hard to copy.", ("moats",)),
        Topic("ai-lifecycle", "Lifecycle", "Data and models over time.", ()),
    ),
    tips=(
        make_tip(
            "ai-failure-fallback", "ai-failure", "Design the fallback", "Plan for wrong answers."
        ),
        make_tip("ai-failure-limits", "ai-failure", "Know the limits", "Every model has limits."),
        make_tip(
            "moat-system", "moat", "Build a system", "Competitors copy features.", tags=["copy"]
        ),
        make_tip("ai-lifecycle-watch", "ai-lifecycle", "Watch models", "Set up monitoring early."),
    ),
)


def test_topics_resolve_by_slug_and_alias_regardless_of_case_and_punctuation():
    for word in ("ai-failure", "AI-Failure", " ai_failure ", "ai failure", "fail-gracefully!"):
        assert CATALOGUE.resolve_topic(word).slug == "ai-failure", word
    assert CATALOGUE.resolve_topic("moats").slug == "moat"
    assert CATALOGUE.resolve_topic("nothing-like-it") is None
    assert CATALOGUE.resolve_topic("") is None


def test_search_ranks_title_matches_above_body_matches():
    found = CATALOGUE.search("limits")
    assert [t.id for t in found] == ["ai-failure-limits"]
    assert CATALOGUE.search("monitoring")[0].id == "ai-lifecycle-watch"


def test_search_finds_a_mistyped_topic_name_by_its_stem_and_nothing_for_nonsense():
    assert CATALOGUE.search("ai-failur")[0].topic == "ai-failure"
    assert CATALOGUE.search("quantum blockchain synergy") == []


def test_search_folds_plurals():
    assert CATALOGUE.search("fallbacks")[0].id == "ai-failure-fallback"


def test_suggest_offers_close_topic_names():
    assert CATALOGUE.suggest("ai-failur")[0] == "ai-failure"
    assert CATALOGUE.suggest("mot") == ["moat"]
    assert CATALOGUE.suggest("zzzzzz") == []
    assert len(CATALOGUE.suggest("ai", limit=3)) <= 3


def test_pick_tip_avoids_the_last_tip_when_there_is_a_choice():
    tips = CATALOGUE.tips_in("ai-failure")
    rng = random.Random(7)
    for _ in range(50):
        assert pick_tip(tips, avoid="ai-failure-fallback", rng=rng).id == "ai-failure-limits"
    single = CATALOGUE.tips_in("moat")
    assert pick_tip(single, avoid="moat-system", rng=rng).id == "moat-system"
    assert pick_tip((), avoid=None, rng=rng) is None


def test_normalize_and_tokenize_handle_any_unicode():
    assert normalize_word("  Ai—Failure!! ") == "aifailure"
    assert words("Ёлки-палки 🎄 数据") == ["ёлки", "палки", "数据"]
    assert words("") == []
