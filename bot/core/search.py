"""Free-words search: which tips answer `/pmtip <words>`, best first.

BM25 (bm25s, over sparse matrices) scores each field on its own, and a tip's score
is the weighted sum of its fields' scores, term by term. Per-field indexes rather
than repeating a field's words: BM25 measures each field against fields of its kind
(a long body does not dilute a short title), and a weight says plainly how much a
field counts. Topic fields (name, aliases, the admins' `words`, description) are
indexed over topics, so a word's rarity is judged among topics, and every tip of a
topic shares its topic's score.

A tip's score is then multiplied by the share of the query's terms it matches, so
one term matched in many fields (a tag, a title and the body) cannot outrank a tip
that matches the whole query: `machine learning` is about AI, not about `learning`.

A word no field holds is taken as a typo of the closest word that one does
(rapidfuzz), when one is close enough.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import bm25s
import numpy as np
from rapidfuzz import fuzz, process

from bot.core.model import Tip, Topic
from bot.core.search_terms import STOP_WORDS, query_words, stem, words

# bm25s sets its logger to DEBUG when imported, which would bypass LOG_LEVEL: let
# it inherit the application's level again.
logging.getLogger("bm25s").setLevel(logging.NOTSET)

# How much a match in each field counts, topic fields first. The topic's names and
# the words PMs use for it say most about what a query is after; a tip's title
# says more than its body; a tag is a hint, no more than a body word.
TOPIC_FIELDS: tuple[tuple[str, float, Callable[[Topic], str]], ...] = (
    ("names", 3.0, lambda t: " ".join((t.slug, t.title, *t.aliases, *t.words))),
    ("description", 1.0, lambda t: t.description),
)
TIP_FIELDS: tuple[tuple[str, float, Callable[[Tip], str]], ...] = (
    ("title", 2.0, lambda t: t.title),
    ("tags", 1.0, lambda t: " ".join(t.tags)),
    ("text", 1.0, lambda t: " ".join((t.body, t.try_this, t.quote))),
)
# A typo must be this close (rapidfuzz's ratio, 0-100) to a word the catalogue
# holds, and at least this long: shorter words have too many neighbours.
TYPO_CUTOFF = 84.0
TYPO_MIN_LENGTH = 4
TYPO_MAX_LENGTH = 40  # no word is longer; a longer one is not worth remembering
# How alike a query word and a topic's word must be for the topic to be offered
# as close when nothing matched (rapidfuzz's ratio, 0-100).
CLOSE_CUTOFF = 60.0
_MEMO_SIZE = 4096


@dataclass(frozen=True, slots=True)
class _Field:
    weight: float
    index: bm25s.BM25
    vocabulary: dict[str, int]  # term -> the index's id for it


def _field(corpus: list[list[str]], weight: float) -> _Field:
    # bm25s needs a word somewhere: an empty field (no tags at all) holds one nobody types.
    corpus = corpus or [[]]
    if not any(corpus):
        corpus[0] = [" "]
    index = bm25s.BM25()
    index.index(corpus, show_progress=False)
    return _Field(weight, index, {t: i for t, i in index.vocab_dict.items() if t})


class SearchIndex:
    """The search index of one (immutable) catalogue."""

    def __init__(self, topics: Sequence[Topic], tips: Sequence[Tip]) -> None:
        self._tips = tuple(tips)
        position = {topic.slug: n for n, topic in enumerate(topics)}
        # Tips of a topic that is not listed share a placeholder topic with no words.
        self._topic_of = np.array([position.get(t.topic, len(topics)) for t in tips], dtype=int)
        # Every word as written (spellings made American) -> its term; typos are
        # matched against these words.
        self._surface: dict[str, str] = {}
        self._topic_fields = [
            _field([self._analyse(text(t)) for t in topics] + [[]], weight)
            for _, weight, text in TOPIC_FIELDS
        ]
        self._tip_fields = [
            _field([self._analyse(text(t)) for t in tips], weight) for _, weight, text in TIP_FIELDS
        ]
        # A typo is read as a word that means something, never as a stop word.
        self._surface_words = [
            w for w in self._surface if len(w) >= TYPO_MIN_LENGTH and w not in STOP_WORDS
        ]
        self._known = {t for f in (*self._topic_fields, *self._tip_fields) for t in f.vocabulary}
        self._typos: dict[str, str | None] = {}
        # Each word that names a topic (slug, title, aliases, words) -> that topic.
        self._topic_words: dict[str, str] = {}
        for topic in topics:
            for word in words(TOPIC_FIELDS[0][2](topic)):
                if word not in STOP_WORDS:
                    self._topic_words.setdefault(word, topic.slug)

    def _analyse(self, text: str) -> list[str]:
        """The terms of an indexed text, stop words kept (a query of only stop words
        is searched with them)."""
        found = []
        for word in words(text):
            term = self._surface.get(word)
            if term is None:
                term = self._surface[word] = stem(word)
            found.append(term)
        return found

    def search(self, query: str, *, limit: int) -> list[Tip]:
        """The tips that match the query, best first (at most `limit`)."""
        query_terms = list(dict.fromkeys(self._term(w) for w in query_words(query)))
        found = [t for t in query_terms if t is not None]
        if not found or not self._tips or limit <= 0:
            return []
        total = np.zeros(len(self._tips))
        matched = np.zeros(len(self._tips))
        for term in found:
            score = self._term_score(term)
            total += score
            matched += score > 0
        total *= matched / len(query_terms)
        return [self._tips[n] for n in _best(total, limit)]

    def closest_topics(self, query: str, *, limit: int) -> list[str]:
        """Slugs of the topics whose names or words look most like the query's words,
        closest first: what to offer when nothing matched."""
        best: dict[str, float] = {}
        for word in query_words(query):
            close = process.extract(
                word, list(self._topic_words), scorer=fuzz.ratio, score_cutoff=CLOSE_CUTOFF, limit=9
            )
            for name, score, _ in close:
                slug = self._topic_words[name]
                best[slug] = max(best.get(slug, 0.0), score)
        return sorted(best, key=lambda slug: -best[slug])[:limit]

    def _term(self, word: str) -> str | None:
        """The indexed term a query word stands for: its own, or a typo's, or None."""
        term = stem(word)
        if term in self._known:
            return term
        if not TYPO_MIN_LENGTH <= len(word) <= TYPO_MAX_LENGTH or not word.isalpha():
            return None
        if word not in self._typos:
            close = process.extractOne(
                word, self._surface_words, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF
            )
            if len(self._typos) >= _MEMO_SIZE:
                self._typos.clear()  # bounded; a rare reset is simpler than an LRU
            self._typos[word] = self._surface[close[0]] if close else None
        return self._typos[word]

    def _term_score(self, term: str) -> np.ndarray:
        score = np.zeros(len(self._tips))
        for field in self._tip_fields:
            if term in field.vocabulary:
                score += field.weight * field.index.get_scores_from_ids([field.vocabulary[term]])
        by_topic = None
        for field in self._topic_fields:
            if term in field.vocabulary:
                found = field.weight * field.index.get_scores_from_ids([field.vocabulary[term]])
                by_topic = found if by_topic is None else by_topic + found
        if by_topic is not None:
            score += by_topic[self._topic_of]
        return score


def _best(scores: np.ndarray, limit: int) -> list[int]:
    """Positions of the `limit` highest positive scores, best first; ties in file order."""
    candidates = np.flatnonzero(scores > 0)
    if len(candidates) > limit:
        # Everything at or above the limit-th best score, ties included, then sorted.
        threshold = np.partition(scores[candidates], -limit)[-limit]
        candidates = candidates[scores[candidates] >= threshold]
    order = np.lexsort((candidates, -scores[candidates]))
    return [int(n) for n in candidates[order][:limit]]
