"""The tip catalogue: topics, tips and the queries the bot answers from them.

Plain data and pure functions. A Catalogue is immutable; a reload builds a new
one and swaps the reference, so a request sees either the old or the new one.
"""

from __future__ import annotations

import difflib
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from bot.core.model import Tip, Topic
from bot.core.search import SearchIndex

__all__ = ["AUDIENCES", "TIP_ID_MAX", "Catalogue", "Tip", "Topic", "normalize_word", "pick_tip"]

AUDIENCES = ("business", "platform", "infrastructure")
# The one limit on a tip id, in characters. The tips file (validator and schema),
# the store's columns and the buttons all hold this much: an id travels whole as a
# button value (Slack allows 2,000) and in a block id ("weekly:" + id, Slack allows 255).
TIP_ID_MAX = 200


def normalize_word(text: str) -> str:
    # People type the same few words: remember short ones (long text is rare and
    # would make the cache a way to fill memory).
    return _normalize_short(text) if len(text) <= _MEMO_KEY_MAX else _normalize(text)


@lru_cache(maxsize=8192)
def _normalize_short(text: str) -> str:
    return _normalize(text)


def _normalize(text: str) -> str:
    """Fold a user's word into the form topic slugs and aliases are kept in."""
    folded = unicodedata.normalize("NFKC", text).casefold().strip()
    folded = re.sub(r"[\s_]+", "-", folded)
    return re.sub(r"[^\w-]", "", folded).strip("-")


@dataclass(frozen=True)
class Catalogue:
    topics: tuple[Topic, ...]
    tips: tuple[Tip, ...]
    _by_id: dict[str, Tip] = field(init=False, repr=False, compare=False)
    _by_topic: dict[str, tuple[Tip, ...]] = field(init=False, repr=False, compare=False)
    _topic_names: dict[str, str] = field(init=False, repr=False, compare=False)
    _index: SearchIndex = field(init=False, repr=False, compare=False)
    # Each topic name with its letter code, to rule names out before difflib runs.
    _name_letters: tuple[tuple[str, int | None], ...] = field(init=False, repr=False, compare=False)
    # Answers already computed for this (immutable) catalogue: people repeat words.
    _suggestions: dict[tuple[str, int], tuple[str, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _searches: dict[tuple[str, int], tuple[Tip, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _closest: dict[tuple[str, int], tuple[str, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        by_topic: dict[str, list[Tip]] = {t.slug: [] for t in self.topics}
        for tip in self.tips:
            by_topic.setdefault(tip.topic, []).append(tip)
        names: dict[str, str] = {}
        for topic in self.topics:
            names[normalize_word(topic.slug)] = topic.slug
            for alias in topic.aliases:
                names.setdefault(normalize_word(alias), topic.slug)
        object.__setattr__(self, "_by_id", {tip.id: tip for tip in self.tips})
        object.__setattr__(self, "_by_topic", {k: tuple(v) for k, v in by_topic.items()})
        object.__setattr__(self, "_topic_names", names)
        object.__setattr__(self, "_index", SearchIndex(self.topics, self.tips))
        object.__setattr__(self, "_name_letters", tuple((n, letter_code(n)) for n in names))

    # -- look-ups ---------------------------------------------------------

    def tip(self, tip_id: str) -> Tip | None:
        return self._by_id.get(tip_id)

    def topic(self, slug: str) -> Topic | None:
        return next((t for t in self.topics if t.slug == slug), None)

    def resolve_topic(self, word: str) -> Topic | None:
        """The topic a word names, by slug or alias, ignoring case and punctuation."""
        slug = self._topic_names.get(normalize_word(word))
        return self.topic(slug) if slug else None

    def tips_in(self, slug: str) -> tuple[Tip, ...]:
        return self._by_topic.get(slug, ())

    def search(self, query: str, *, limit: int = 10) -> list[Tip]:
        """Tips ranked by how well they match the words of the query, best first
        (bot.core.search)."""
        if len(query) > _MEMO_KEY_MAX:
            return self._index.search(query, limit=limit)
        key = (query, limit)
        found = self._searches.get(key)
        if found is None:
            found = tuple(self._index.search(query, limit=limit))
            if len(self._searches) >= _MEMO_SIZE:
                self._searches.clear()
            self._searches[key] = found
        return list(found)

    def closest_topics(self, query: str, *, limit: int = 3) -> list[str]:
        """Slugs of the topics whose words look most like the query's (bot.core.search)."""
        if len(query) > _MEMO_KEY_MAX:
            return self._index.closest_topics(query, limit=limit)
        key = (query, limit)
        found = self._closest.get(key)
        if found is None:  # a "no match" repeats as often as a match does
            found = tuple(self._index.closest_topics(query, limit=limit))
            if len(self._closest) >= _MEMO_SIZE:
                self._closest.clear()
            self._closest[key] = found
        return list(found)

    def suggest(self, word: str, *, limit: int = 3) -> list[str]:
        """Topic slugs that look like a mistyped word, closest first."""
        needle = normalize_word(word)
        if not needle:
            return []
        # difflib is the slow part of a "did you mean", and typos repeat.
        memo = self._suggestions
        found = memo.get((needle, limit))
        if found is None:
            candidates = _could_match(needle, self._name_letters, cutoff=0.6)
            close = difflib.get_close_matches(needle, candidates, n=limit * 3, cutoff=0.6)
            found = tuple(dict.fromkeys(self._topic_names[name] for name in close))
            if len(needle) <= _MEMO_KEY_MAX:
                if len(memo) >= _MEMO_SIZE:
                    memo.clear()  # bounded; a rare reset is simpler than an LRU
                memo[(needle, limit)] = found
        return list(found[:limit])


_MEMO_SIZE = 4096
_MEMO_KEY_MAX = 100  # longer texts are answered afresh, never remembered
_SLOTS, _SLOT_BITS = 64, 16


def letter_code(text: str) -> int | None:
    """The letters of `text` folded into one integer, for a fast bound on how many
    letters two texts share: each of 64 slots holds, in unary, how many letters of
    the text fall in it (by code point). ANDing two codes and counting the bits
    gives at least the shared letters, never fewer. None when a slot overflows."""
    slots: dict[int, int] = {}
    for letter, count in Counter(text).items():
        slot = ord(letter) % _SLOTS
        slots[slot] = slots.get(slot, 0) + count
    code = 0
    for slot, count in slots.items():
        if count > _SLOT_BITS:
            return None
        code |= ((1 << count) - 1) << (slot * _SLOT_BITS)
    return code


def _could_match(
    needle: str, names: Sequence[tuple[str, int | None]], *, cutoff: float
) -> list[str]:
    """The names that may pass difflib's `quick_ratio` test against `needle`.

    difflib runs that test itself, one SequenceMatcher call per name; ruling names
    out here on their letter codes first is several times cheaper. Only names
    that cannot pass are dropped, so get_close_matches answers the same.
    """
    code = letter_code(needle)
    survivors = []
    for name, name_code in names:
        total = len(needle) + len(name)
        if 2.0 * min(len(needle), len(name)) / total < cutoff:  # difflib's real_quick_ratio
            continue
        if code is not None and name_code is not None:
            shared_at_most = (code & name_code).bit_count()
            if 2.0 * shared_at_most / total < cutoff:
                continue
        survivors.append(name)
    return survivors


def pick_tip(candidates: Sequence[Tip], *, avoid: str | None, rng: random.Random) -> Tip | None:
    """A random tip from candidates, not the one to avoid when there is a choice."""
    pool = [tip for tip in candidates if tip.id != avoid] or list(candidates)
    return rng.choice(pool) if pool else None
