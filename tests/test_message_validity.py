"""Every message pmtip can render is one Slack accepts: every tip in the catalogue,
every list and help reply, odd user text, and a catalogue far larger than ours."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.catalogue import Catalogue
from bot.core.render.lists import help_message, no_match, search_results, topics_message
from bot.core.render.tips import shared_tip, tip_reply, weekly_insight
from tests.support import message_corpus
from tests.support.message_corpus import CATALOGUE, TIPS, queries
from tests.support.slack_validation import (
    assert_no_broadcast,
    assert_valid_message,
    assert_valid_view,
    message_problems,
)

# -- the checker itself must be able to fail ------------------------------------

GOOD = {
    "text": "fallback",
    "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "Title"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "Body"}},
    ],
}


def _button(**overrides):
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": "Go"},
        "action_id": "go",
        "value": "v",
    } | overrides


def _with_block(block):
    return {"text": "fallback", "blocks": [block]}


INVALID = [
    ("no fallback text", {"blocks": GOOD["blocks"]}, "no `text`"),
    ("blank fallback text", {"text": "  ", "blocks": GOOD["blocks"]}, "no `text`"),
    ("fallback over 40,000", {"text": "x" * 40_001, "blocks": []}, "40000"),
    ("51 blocks", {"text": "t", "blocks": [GOOD["blocks"][1]] * 51}, "51 blocks"),
    ("unknown block type", _with_block({"type": "banner", "text": "hi"}), "block type"),
    (
        "header over 150",
        _with_block({"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}),
        "header",
    ),
    (
        "mrkdwn header",
        _with_block({"type": "header", "text": {"type": "mrkdwn", "text": "*h*"}}),
        "header",
    ),
    (
        "empty section",
        _with_block({"type": "section", "text": {"type": "mrkdwn", "text": ""}}),
        "section text",
    ),
    (
        "section over 3,000",
        _with_block({"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3001}}),
        "section text",
    ),
    (
        "button text over 75",
        _with_block(
            {
                "type": "actions",
                "elements": [_button(text={"type": "plain_text", "text": "b" * 76})],
            }
        ),
        "button text",
    ),
    (
        "button value over 2,000",
        _with_block({"type": "actions", "elements": [_button(value="v" * 2001)]}),
        "value",
    ),
    (
        "action_id over 255",
        _with_block({"type": "actions", "elements": [_button(action_id="a" * 256)]}),
        "action_id",
    ),
    (
        "block_id over 255",
        _with_block({"type": "actions", "block_id": "b" * 256, "elements": [_button()]}),
        "block_id",
    ),
    (
        "11 context elements",
        _with_block({"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}),
        "context elements",
    ),
    (
        "26 actions elements",
        _with_block(
            {"type": "actions", "elements": [_button(action_id=f"a{i}") for i in range(26)]}
        ),
        "actions elements",
    ),
    (
        "duplicate block ids",
        {
            "text": "t",
            "blocks": [
                {"type": "actions", "block_id": "same", "elements": [_button()]},
                {"type": "actions", "block_id": "same", "elements": [_button()]},
            ],
        },
        "used twice",
    ),
    (
        "section accessory button too long",
        _with_block(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "s"},
                "accessory": _button(text={"type": "plain_text", "text": "b" * 76}),
            }
        ),
        "button text",
    ),
]


def test_the_checker_accepts_a_plain_valid_message():
    assert message_problems(GOOD) == []
    assert_valid_message(GOOD)


@pytest.mark.parametrize(("fault", "message", "expected"), INVALID, ids=[i[0] for i in INVALID])
def test_the_checker_rejects_a_message_with(fault, message, expected):
    problems = message_problems(message)
    assert any(expected in problem for problem in problems), problems
    with pytest.raises(AssertionError):
        assert_valid_message(message)


def test_the_checker_lists_every_fault_of_a_message_that_breaks_many_rules():
    message = {
        "text": "",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "h" * 200}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "s" * 4000}},
            {"type": "actions", "elements": [_button(value="v" * 3000)]},
        ],
    }
    problems = message_problems(message)
    for expected in ("no `text`", "header text", "section text", "button value"):
        assert any(expected in p for p in problems), (expected, problems)


def test_the_view_checker_allows_100_blocks_and_refuses_101():
    section = GOOD["blocks"][1]
    assert_valid_view({"type": "home", "blocks": [section] * 100})
    with pytest.raises(AssertionError, match="101 blocks"):
        assert_valid_view({"type": "home", "blocks": [section] * 101})


def test_the_broadcast_check_catches_a_raw_channel_mention():
    with pytest.raises(AssertionError):
        assert_no_broadcast({"text": "hi <!channel>", "blocks": []})
    assert_no_broadcast({"text": "hi &lt;!channel&gt;", "blocks": []})


# -- every message and view pmtip can send -------------------------------------------

MESSAGES = message_corpus.every_message()
VIEWS = message_corpus.every_view()


@pytest.mark.parametrize("message", [m for _, m in MESSAGES], ids=[n for n, _ in MESSAGES])
def test_every_message_pmtip_can_send_is_valid(message):
    assert_valid_message(message)


@pytest.mark.parametrize("view", [v for _, v in VIEWS], ids=[n for n, _ in VIEWS])
def test_every_home_tab_pmtip_can_publish_is_valid(view):
    assert_valid_view(view)


# -- every tip in content/tips.yaml ----------------------------------------------


@pytest.mark.parametrize("tip", TIPS, ids=[tip.id for tip in TIPS])
def test_every_rendering_of_every_catalogue_tip_is_valid(tip):
    reply = tip_reply(tip)
    assert_valid_message(reply)
    assert reply.blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": tip.title}}
    assert_valid_message(tip_reply(tip, note="Here is a note with <tags> & such"))
    shared = shared_tip(tip, shared_by="U0123ABCDEF")
    assert_valid_message(shared)
    assert "<@U0123ABCDEF>" in shared.text
    assert_valid_message(weekly_insight(tip))


def test_the_catalogue_has_the_tips_the_issue_asks_for():
    # the per-tip test above would pass vacuously on an empty catalogue
    assert len(TIPS) >= 30
    assert {"ai-failure", "moat", "ai-lifecycle"} <= {t.slug for t in CATALOGUE.topics}


# -- lists, help, searches and misses ----------------------------------------------


def test_topics_and_help_messages_are_valid():
    assert_valid_message(topics_message(CATALOGUE))
    assert_valid_message(help_message())
    assert_valid_message(help_message(is_admin=True))


@pytest.mark.parametrize("query", queries())
def test_search_results_and_misses_are_valid_for_any_query(query):
    found = CATALOGUE.search(query, limit=50)
    assert_valid_message(search_results(query, found))
    assert_valid_message(no_match(query, CATALOGUE.topics[:3]))
    assert_no_broadcast(no_match(query, []))


def test_search_results_listing_every_tip_stay_within_limits():
    message = search_results("everything", TIPS)
    assert_valid_message(message)
    assert len(message.blocks) <= 50


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.text(min_size=0, max_size=5000))
def test_any_text_a_person_types_renders_as_a_valid_escaped_reply(text):
    for message in (
        no_match(text, CATALOGUE.topics[:3]),
        search_results(text, TIPS[:10]),
    ):
        assert_valid_message(message)
        assert "<!" not in message.text and "<!" not in str(message.blocks)


# -- a catalogue much larger than ours ------------------------------------------


@pytest.fixture(scope="module")
def huge_catalogue() -> Catalogue:
    """500 topics and 10,000 tips, some at every length limit the tips file allows."""
    return message_corpus.huge_catalogue()


def test_a_huge_catalogue_still_renders_a_valid_topics_message(huge_catalogue):
    message = topics_message(huge_catalogue)
    assert_valid_message(message)
    assert len(message.blocks) <= 50
    assert "topic-0" in message.text and "topic-499" in message.text


@pytest.mark.parametrize("query", ["strategy", "tip", "this week", "<&>", "q" * 1000, "zz"])
def test_a_huge_catalogue_still_renders_valid_search_results(huge_catalogue, query):
    found = huge_catalogue.search(query, limit=50)
    message = search_results(query, found) if found else no_match(query, [])
    assert_valid_message(message)


def test_tips_at_every_length_limit_render_validly(huge_catalogue):
    longest = [tip for tip in huge_catalogue.tips if len(tip.id) > 100]
    assert len(longest) > 100
    for tip in longest:
        assert_valid_message(tip_reply(tip))
        assert_valid_message(shared_tip(tip, shared_by="U" + "9" * 20))
        assert_valid_message(weekly_insight(tip))
