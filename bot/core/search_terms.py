"""Words into search terms: the one text analysis both the index and a query go
through, so that `prioritise`, `prioritizing` and `Prioritisation` meet.

Case-folded, British spellings turned American (breame's word list), stemmed with
the Snowball English stemmer (PyStemmer). Two-letter words count: AI, UX, ML and UI
are what PMs type.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer
from breame.spelling import BRITISH_ENGLISH_SPELLINGS

# Words that say nothing about which tip is wanted. Kept short on purpose: a stop
# word is a word search can never find. `pm` is here because every tip is for PMs;
# a query made only of stop words is still searched, with them (search.py).
STOP_WORDS = frozenset(
    """a about an and any are as at be but by can could do does for from get give had has
    have how i if in into is it its me my of on or our please pm pms should show so some
    than that the their them then there these they this tip tips to us was we were what
    when where which who why will with would you your""".split()
)

_WORD = re.compile(r"\w+", re.UNICODE)
_STEMMER = Stemmer.Stemmer("english")
# One letter says nothing (a, i, x); two letters often do (AI, UX, ML).
MIN_WORD = 2


def words(text: str) -> list[str]:
    """The words of `text`, case-folded, with British spellings made American."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    # breame's own table (its get_american_spelling only lower-cases and looks it up).
    american = BRITISH_ENGLISH_SPELLINGS.get
    return [american(word, word) for word in _WORD.findall(folded) if len(word) >= MIN_WORD]


def stem(word: str) -> str:
    return _stem(word) if len(word) <= 40 else _STEMMER.stemWord(word)


@lru_cache(maxsize=16384)
def _stem(word: str) -> str:
    return str(_STEMMER.stemWord(word))


def terms(text: str, *, keep_stop_words: bool = False) -> list[str]:
    """The search terms of `text`: its words, stemmed, without stop words unless asked."""
    return [stem(w) for w in words(text) if keep_stop_words or w not in STOP_WORDS]


def query_words(text: str) -> list[str]:
    """The words of a query to search for: without stop words, unless it has nothing
    else (`so what`, `why` are questions too)."""
    found = words(text)
    meaningful = [w for w in found if w not in STOP_WORDS]
    return list(dict.fromkeys(meaningful or found))
