"""Properties of the path from what a person types to what pmtip answers.

For any text up to Slack's 4,000-character limit, as Slack sends it (with `&`,
`<` and `>` escaped) and as a forged request could send it (raw): parsing never
fails, every lookup answer is a message Slack accepts, and the person's text
comes back escaped, so it can never mention, link or notify anyone.
"""

from __future__ import annotations

import difflib
import random
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.catalogue.source import read_catalogue
from bot.core import catalogue, grammar, replies
from bot.core.render import blocks
from bot.core.render.lists import no_match, search_results
from bot.core.render.tips import tip_reply, weekly_insight
from bot.core.render.weekly import unknown_topics
from tests.support.app_server import TIPS_PATH
from tests.support.slack_validation import assert_valid_message

CATALOGUE, _PROBLEMS = read_catalogue(TIPS_PATH)
assert CATALOGUE is not None, f"content/tips.yaml does not load: {_PROBLEMS}"

TOPIC_NAMES = list(CATALOGUE._topic_names)  # slugs and aliases, as suggest() sees them
SLACK_TEXT_MAX = 4000  # the longest text Slack sends after a slash command
PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# Words that steer the parser into each of its branches, and text that would do
# harm if it came back raw.
KEYWORDS = [
    "help",
    "?",
    "topics",
    "list",
    "search",
    "find",
    "subscribe",
    "unsubscribe",
    "schedule",
    "reload",
    "stats",
    "post-now",
    "preview",
    "mon",
    "friday",
    "09:00",
    "25:99",
    "Europe/Berlin",
    "Mars/Olympus",
    "UTC",
    "topics:",
    "topics:ai-failure,moat",
    "ai-failure",
    "moat",
    "ai-failur",
]
HOSTILE = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<#C123>",
    "<!subteam^S1>",
    "<https://evil.example|click>",
    "&",
    "&amp;",
    "&lt;",
    "&gt;",
    "&#60;",
    "<",
    ">",
    "*bold*",
    "`code`",
    "\u202e",
    "\x00",
    "🙂",
]
ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")
BLOCKQUOTE = re.compile(r"(?m)^> ")

any_text = st.text(max_size=SLACK_TEXT_MAX)
steered_text = st.lists(
    st.one_of(st.sampled_from(KEYWORDS), st.sampled_from(HOSTILE), st.text(max_size=30)),
    max_size=40,
).map(" ".join)
long_word = st.builds(
    lambda keyword, piece, n: f"{keyword} " + (piece * n)[: SLACK_TEXT_MAX - 20],
    st.sampled_from(["subscribe", "search", "preview", ""]),
    st.sampled_from(HOSTILE),
    st.integers(min_value=1, max_value=2000),
)
person_text = st.one_of(any_text, steered_text, long_word)


def _misspell(name: str) -> str:
    """A topic name with one letter dropped and one doubled: a typical typo."""
    middle = len(name) // 2
    return name[:middle] + name[middle + 1 :] + name[-1]


def as_slack_sends(text: str) -> str:
    """Slack escapes these three before the text reaches the app."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn_strings(message: blocks.Message) -> Iterator[str]:
    """The fallback and every mrkdwn text in the blocks: what Slack reads as markup."""
    yield message.text
    yield from _mrkdwn_in(message.blocks)


def _mrkdwn_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            yield value["text"]
        for child in value.values():
            yield from _mrkdwn_in(child)
    elif isinstance(value, list):
        for child in value:
            yield from _mrkdwn_in(child)


def assert_escaped(message: blocks.Message) -> None:
    """No raw `<`, `>` or bare `&` anywhere Slack reads markup.

    None of these replies links or mentions anything, so any `<`, or any `>`
    other than the blockquote a tip's quote opens with, could only be the
    person's own text, unescaped.
    """
    for text in mrkdwn_strings(message):
        text = BLOCKQUOTE.sub("", text)
        assert "<" not in text and ">" not in text, f"raw angle bracket in {text[:300]!r}"
        assert not ENTITY.search(text), f"bare & in {text[:300]!r}"


def lookup_reply(text: str, seed: int) -> blocks.Message | None:
    command = grammar.parse(text)
    if not isinstance(command, replies.LookupCommand):
        return None
    reply = replies.answer(CATALOGUE, command, last_tip_id=None, rng=random.Random(seed))
    return reply.message


@PROPERTY_SETTINGS
@given(text=person_text)
@example(text="")
@example(text=" " * SLACK_TEXT_MAX)
@example(text="subscribe <!channel>")
@example(text="subscribe Europe/<!here>")
def test_parsing_any_text_gives_a_command(text: str) -> None:
    for sent in (text, as_slack_sends(text)):
        command = grammar.parse(sent)
        assert isinstance(command, grammar.Command)


@PROPERTY_SETTINGS
@given(text=person_text, seed=st.integers(min_value=0, max_value=2**32))
@example(text="subscribe <!channel>", seed=0)
@example(text="subscribe mon 09:00 Mars/<!everyone>", seed=0)
@example(text="preview <@U123> x", seed=0)
@example(text="search " + "&" * 3990, seed=0)
@example(text="subscribe " + "&" * 3980, seed=0)
def test_every_lookup_answer_is_valid_and_escaped(text: str, seed: int) -> None:
    for sent in (text, as_slack_sends(text)):
        message = lookup_reply(sent, seed)
        if message is None:
            continue  # subscribe and friends are answered by the shell; see tests/slack
        assert_valid_message(message)
        assert len(message.blocks) <= blocks.MAX_BLOCKS
        assert_escaped(message)


@PROPERTY_SETTINGS
@given(text=person_text)
def test_text_quoted_back_by_the_block_builders_is_valid_and_escaped(text: str) -> None:
    query = grammar.unescape_slack(as_slack_sends(text))
    for message in (
        no_match(query, CATALOGUE.topics[:3]),
        search_results(query, CATALOGUE.search(query, limit=50)),
        blocks.notice(f"You said “{blocks.echo(query)}”."),
        unknown_topics(query.split()[:20] or [query], CATALOGUE),
    ):
        assert_valid_message(message)
        assert_escaped(message)
    assert len(blocks.echo(query)) <= blocks.ECHO_MAX * len("&amp;")


@PROPERTY_SETTINGS
@given(text=st.text(min_size=1, max_size=SLACK_TEXT_MAX).filter(str.strip))
def test_tips_with_any_text_render_as_valid_escaped_messages(text: str) -> None:
    tip = CATALOGUE.tips[len(text) % len(CATALOGUE.tips)]
    odd = type(tip)(
        id=tip.id,
        topic=tip.topic,
        title=text[:150],
        body=text,
        try_this=text,
        quote=text,
        section=text[:300],
        audience=tip.audience,
        tags=tip.tags,
    )
    for message in (tip_reply(odd), weekly_insight(odd)):
        assert_valid_message(message)
        assert_escaped(message)


# -- the shortcut in front of difflib ------------------------------------------------------


@PROPERTY_SETTINGS
@given(a=st.text(max_size=80), b=st.text(max_size=80))
def test_letter_codes_never_undercount_the_letters_two_texts_share(a: str, b: str) -> None:
    code_a, code_b = catalogue.letter_code(a), catalogue.letter_code(b)
    if code_a is None or code_b is None:
        return  # a slot overflowed: the caller lets difflib judge every name
    shared = sum((Counter(a) & Counter(b)).values())
    assert (code_a & code_b).bit_count() >= shared


@PROPERTY_SETTINGS
@given(word=st.one_of(st.text(max_size=40), st.sampled_from(TOPIC_NAMES).map(_misspell)))
def test_suggestions_are_what_difflib_alone_would_give(word: str) -> None:
    needle = catalogue.normalize_word(word)
    expected: list[str] = []
    if needle:
        close = difflib.get_close_matches(needle, TOPIC_NAMES, n=9, cutoff=0.6)
        expected = list(dict.fromkeys(CATALOGUE._topic_names[n] for n in close))[:3]
    assert CATALOGUE.suggest(word) == expected
