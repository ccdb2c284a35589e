"""Search behaviour, each on a small hand-made catalogue built to break if the
behaviour did: stems, spellings, typos, two-letter words, stop words, and how much
a field (a topic's words, a title, a tag) counts."""

from __future__ import annotations

from bot.core.catalogue import Catalogue, Tip, Topic
from bot.core.search_terms import query_words, terms


def tip(tip_id: str, topic: str, title: str, body: str = "A body.", tags: tuple = ()) -> Tip:
    return Tip(
        id=tip_id,
        topic=topic,
        title=title,
        body=body,
        try_this="This week, try it.",
        quote="a quote",
        section="Introduction",
        audience=("business",),
        tags=tags,
    )


def top(catalogue: Catalogue, query: str) -> str | None:
    found = catalogue.search(query, limit=1)
    return found[0].id if found else None


# Two tips that differ only in the one word a test is about.
def pair(word: str, other: str = "roadmap") -> Catalogue:
    return Catalogue(
        topics=(Topic("one", "One", "First."), Topic("two", "Two", "Second.")),
        tips=(
            tip("other", "one", "Plan the week", f"Think about the {other} first."),
            tip("target", "two", "Plan the week", f"Think about the {word} first."),
        ),
    )


def test_inflections_meet_through_the_stemmer():
    assert terms("failing fails") == terms("fail fail")
    catalogue = pair("monitoring")
    for query in ("monitor", "monitored", "monitors", "Monitoring"):
        assert top(catalogue, query) == "target", query


def test_british_and_american_spellings_meet():
    assert terms("prioritise behaviour") == terms("prioritize behavior")
    for query in ("prioritise", "prioritize", "prioritisation", "prioritizing"):
        assert top(pair("prioritization"), query) == "target", query
    assert top(pair("behaviour"), "behavior") == "target"


def test_a_word_the_catalogue_lacks_is_read_as_the_typo_of_a_close_one():
    catalogue = pair("discovery")
    assert top(catalogue, "discovry") == "target"
    assert top(catalogue, "dicsovery") == "target"
    assert top(catalogue, "zzzzzzzz") is None
    assert top(pair("moat"), "mot") is None  # too short: too many neighbours
    # a word the catalogue has is never "corrected" into another
    assert top(pair("roadmaps", other="roadmap"), "roadmaps") in {"target", "other"}


def test_two_letter_words_count():
    assert query_words("AI and UX") == ["ai", "ux"]
    catalogue = Catalogue(
        topics=(Topic("one", "One", "First."), Topic("two", "Two", "Second.")),
        tips=(
            tip("design", "one", "Design the screen", "Good UX makes it clear."),
            tip("models", "two", "Know your models", "AI gets things wrong."),
        ),
    )
    assert top(catalogue, "UX") == "design"
    assert top(catalogue, "AI") == "models"


def test_stop_words_do_not_rank_but_a_query_of_only_stop_words_still_finds():
    catalogue = Catalogue(
        topics=(Topic("one", "One", "First."), Topic("two", "Two", "Second.")),
        tips=(
            tip("chatty", "one", "How to do it", "How to do what you do, as PMs do it, so to say."),
            tip("moat", "two", "Build a moat", "A moat keeps competitors out."),
            tip("so-what", "one", "Own the so what", "Say what it changes."),
        ),
    )
    assert query_words("how do PMs build a moat") == ["build", "moat"]
    assert top(catalogue, "how to do a moat as a PM") == "moat"
    assert query_words("so what") == ["so", "what"]  # nothing else to go on: kept
    assert top(catalogue, "so what") == "so-what"


def test_the_admins_words_for_a_topic_outweigh_a_mention_in_a_body():
    catalogue = Catalogue(
        topics=(
            Topic("moat", "Designing the moat", "Hard to copy.", words=("copycat", "me-too")),
            Topic("discovery", "Discovery", "Customers."),
        ),
        tips=(
            tip("moat-system", "moat", "Build a system", "Features are easy to copy."),
            tip("discovery-talk", "discovery", "Talk to customers", "Do not be a copycat."),
        ),
    )
    assert top(catalogue, "copycat") == "moat-system"
    assert top(catalogue, "me-too products") == "moat-system"


def test_one_shared_tag_does_not_outweigh_the_meaning_of_the_query():
    catalogue = Catalogue(
        topics=(
            Topic("coding", "Code to learn", "Learning by building."),
            Topic("ai", "Understanding AI", "Models.", words=("machine learning", "ML")),
        ),
        tips=(
            tip(
                "learn-by-coding",
                "coding",
                "Learning by coding",
                "Keep learning; learning never stops.",
                tags=("learning",),
            ),
            tip("ai-basics", "ai", "Know what a model can do", "Models predict."),
        ),
    )
    assert top(catalogue, "machine learning") == "ai-basics"
    assert top(catalogue, "learning") == "learn-by-coding"  # the tag still counts alone


def test_a_tip_matching_every_query_word_beats_one_matching_one_word_twice():
    catalogue = Catalogue(
        topics=(Topic("one", "One", "First."), Topic("two", "Two", "Second.")),
        tips=(
            tip("one-word", "one", "Plan the week", "Research first.", tags=("research",)),
            tip("both", "two", "Talk to people", "User research starts with one user."),
        ),
    )
    assert top(catalogue, "user research") == "both"


def test_nothing_close_means_no_result_and_an_empty_catalogue_finds_nothing():
    assert top(pair("moat"), "quantum blockchain") is None
    assert Catalogue(topics=(), tips=()).search("moat") == []
