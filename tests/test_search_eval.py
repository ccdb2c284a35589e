"""content/search-eval.yaml, the queries search is measured against: well formed
(every entry names real topics, each query reaches search as `/pmtip <query>`), and
search answers at least FLOOR of them well.

A query lands when the tip `/pmtip <query>` shows first belongs to one of its `good`
topics. benchmarks/search_eval.py prints the figure and every miss.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from bot.core import grammar, replies
from bot.core.tips_file import parse_catalogue

EVAL_PATH = Path("content/search-eval.yaml")
CATALOGUE = parse_catalogue(Path("content/tips.yaml").read_text(encoding="utf-8")).catalogue
KINDS = {"word", "jargon", "question", "typo", "spelling", "inflection", "phrase"}
MIN_QUERIES = 100
FLOOR = 0.9


def load_entries() -> list:
    entries = yaml.safe_load(EVAL_PATH.read_text(encoding="utf-8"))
    assert isinstance(entries, list), "the file is a list of {query, good, kind} entries"
    return entries


ENTRIES = load_entries()


def test_there_are_enough_queries_of_every_kind():
    assert len(ENTRIES) >= MIN_QUERIES
    kinds = {entry.get("kind") for entry in ENTRIES if isinstance(entry, dict)}
    assert kinds == KINDS


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: str(e.get("query", e)))
def test_each_entry_is_a_query_with_good_topics_and_a_kind(entry):
    assert isinstance(entry, dict) and set(entry) == {"query", "good", "kind"}, entry
    query, good = entry["query"], entry["good"]
    assert isinstance(query, str) and query.strip() == query and query, entry
    assert entry["kind"] in KINDS, entry
    assert isinstance(good, list) and good, entry
    assert len(set(good)) == len(good), f"a topic is listed twice: {entry}"
    unknown = [slug for slug in good if CATALOGUE.topic(slug) is None]
    assert not unknown, f"{query!r} names topics not in content/tips.yaml: {unknown}"


def test_queries_are_unique_ignoring_case_and_spacing():
    folded = [" ".join(entry["query"].casefold().split()) for entry in ENTRIES]
    repeated = {query for query in folded if folded.count(query) > 1}
    assert not repeated


def test_every_query_reaches_search_as_a_lookup():
    # Measured as `/pmtip <query>`: a query that the grammar reads as a command
    # (`help`, `topics`, `search x`) would measure something else.
    for entry in ENTRIES:
        assert isinstance(grammar.parse(entry["query"]), grammar.Lookup), entry["query"]


def test_every_topic_is_a_good_answer_somewhere():
    covered = {slug for entry in ENTRIES for slug in entry["good"]}
    assert covered == {topic.slug for topic in CATALOGUE.topics}


def test_the_cases_the_issue_names_stay_in_the_set():
    # Removing a hard query would raise the figure without improving search.
    by_query = {entry["query"]: set(entry["good"]) for entry in ENTRIES}
    assert "orchestration" not in by_query["user research"]
    assert by_query["user research"] == {"discovery"}
    assert by_query["machine learning"] <= {t.slug for t in CATALOGUE.topics if t.slug[:3] == "ai-"}
    named = "AI UX PM moaat discovry probabilty prioritize prioritise hallucinations drift LLM"
    for query in [
        *named.split(),
        "so what",
        "should I learn to code",
        "copycat",
        "customer interviews",
    ]:
        assert query in by_query, query


def landed_on(query: str) -> str | None:
    """The topic of the tip `/pmtip <query>` shows first, as the listener answers it."""
    command = grammar.parse(query)
    reply = replies.answer(CATALOGUE, command, last_tip_id=None, rng=random.Random(0))
    return reply.tip.topic if reply.tip else None


def test_at_least_nine_in_ten_queries_land_on_a_good_topic():
    misses = [
        (entry["query"], landed_on(entry["query"]), entry["good"])
        for entry in ENTRIES
        if landed_on(entry["query"]) not in entry["good"]
    ]
    landed = len(ENTRIES) - len(misses)
    assert landed >= FLOOR * len(ENTRIES), f"{landed}/{len(ENTRIES)} landed; misses: {misses}"
