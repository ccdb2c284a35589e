"""`/pmtip` end to end: signed slash commands to the real app over HTTP, every
branch of the grammar, with Slack's Web API played by a stand-in on 127.0.0.1."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.catalogue.source import read_catalogue
from bot.core import grammar
from bot.core.render import blocks
from bot.core.render.tips import ARTICLE_TITLE, source_line
from tests.support.app_server import TIPS_PATH, HttpReply, RunningApp
from tests.support.slack_validation import all_text, assert_no_broadcast, assert_valid_message

CATALOGUE, _ = read_catalogue(TIPS_PATH)
assert CATALOGUE is not None


@pytest.fixture
def app(running_app) -> RunningApp:
    return running_app()


def answer(reply: HttpReply) -> dict[str, Any]:
    """The ephemeral message a lookup returns in its acknowledgement, checked for Slack."""
    assert reply.status == 200, reply.body
    assert reply.headers["content-type"].startswith("application/json")
    message = reply.json
    assert message["response_type"] == "ephemeral"
    assert_valid_message(message)
    return message


def shown_tip_id(message: dict[str, Any]) -> str:
    """The tip a reply shows, by the value of its Share button."""
    buttons = [
        element
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == blocks.SHARE
    ]
    assert len(buttons) == 1, message["blocks"]
    tip = CATALOGUE.tip(buttons[0]["value"])
    assert tip is not None, f"the reply shows a tip not in the catalogue: {buttons[0]['value']}"
    header = message["blocks"][0]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": tip.title}}
    return tip.id


def topic_of(message: dict[str, Any]) -> str:
    return CATALOGUE.tip(shown_tip_id(message)).topic


def test_pmtip_alone_answers_a_random_catalogue_tip_in_the_ack(app, slack_api):
    message = answer(app.command(""))
    tip = CATALOGUE.tip(shown_tip_id(message))
    assert tip.title in message["text"]
    assert any("Your move" in all_text(b) for b in message["blocks"])
    # credited to the article: its section, or its opening (`section: Introduction`)
    source = source_line(section=tip.section, topic=tip.topic)
    assert ARTICLE_TITLE in source
    assert any(source in all_text(b) for b in message["blocks"] if b["type"] == "context")
    # a lookup is answered in the acknowledgement: no Web API call, no response_url post
    assert {call.method for call in slack_api.calls()} == {"auth.test"}


def test_pmtip_alone_draws_from_the_whole_catalogue(app):
    seen = {shown_tip_id(answer(app.command(""))) for _ in range(40)}
    assert len(seen) >= 10


@pytest.mark.parametrize(
    "text",
    ["ai-failure", "ai-failures", "failure", "fail-gracefully", "AI-Failure", "  ai-failure  "],
)
def test_a_topic_or_any_of_its_aliases_gives_a_tip_of_that_topic(app, text):
    assert topic_of(answer(app.command(text))) == "ai-failure"


def test_a_topic_never_repeats_the_same_tip_twice_in_a_row_for_one_person(app):
    assert len(CATALOGUE.tips_in("ai-failure")) > 1
    previous = shown_tip_id(answer(app.command("ai-failure", user_id="UREPEAT")))
    for _ in range(20):
        current = shown_tip_id(answer(app.command("ai-failure", user_id="UREPEAT")))
        assert current != previous
        assert CATALOGUE.tip(current).topic == "ai-failure"
        previous = current


def test_the_no_repeat_rule_is_per_person(app):
    # Two people asking in turn each get their own sequence, still never a repeat.
    last: dict[str, str] = {}
    for _ in range(10):
        for user in ("UALICE", "UBOB"):
            current = shown_tip_id(answer(app.command("moat", user_id=user)))
            assert current != last.get(user)
            last[user] = current


def test_monitoring_finds_an_ai_lifecycle_tip(app):
    assert topic_of(answer(app.command("monitoring"))) == "ai-lifecycle"


@pytest.mark.parametrize("tip", CATALOGUE.tips, ids=[tip.id for tip in CATALOGUE.tips])
def test_free_words_from_a_tip_title_find_that_tip(app, tip):
    assert shown_tip_id(answer(app.command(tip.title.lower()))) == tip.id


def test_free_words_find_the_best_matching_tip(app):
    assert topic_of(answer(app.command("financial modelling"))) == "supporting-skill"
    assert shown_tip_id(answer(app.command("how do I talk to engineers?")))


def test_search_lists_matching_tips_each_with_a_show_button(app):
    message = answer(app.command("search moat"))
    shows = [
        block["accessory"]
        for block in message["blocks"]
        if block.get("accessory", {}).get("action_id") == blocks.SHOW
    ]
    listed = {button["value"] for button in shows}
    assert {tip.id for tip in CATALOGUE.tips_in("moat")} <= listed
    assert all(CATALOGUE.tip(tip_id) for tip_id in listed)
    assert all(button["text"]["text"] == "Show" for button in shows)
    assert "moat" in message["blocks"][0]["text"]["text"]


def test_search_without_words_explains_how_to_search(app):
    message = answer(app.command("search"))
    assert "/pmtip search moat" in message["text"]


def test_topics_lists_every_topic_with_its_description(app):
    message = answer(app.command("topics"))
    body = all_text({"blocks": message["blocks"]})
    for topic in CATALOGUE.topics:
        assert f"`{topic.slug}`" in body
        assert topic.slug in message["text"]
        assert blocks.escape(topic.description) in body


def test_help_shows_every_form_of_the_grammar(app):
    message = answer(app.command("help"))
    body = all_text({"blocks": message["blocks"]})
    for usage, _ in grammar.USAGE:
        assert f"`{usage}`" in body, usage
        assert usage in message["text"]


# What each line of the help must parse to: help and parser stay in step.
HELP_MEANS = {
    "/pmtip": grammar.RandomTip,
    "/pmtip ai-failure": grammar.Lookup,
    "/pmtip monitoring models": grammar.Lookup,
    "/pmtip search moat": grammar.Search,
    "/pmtip topics": grammar.ListTopics,
    "/pmtip help": grammar.Help,
    "/pmtip subscribe": grammar.Subscribe,
    "/pmtip unsubscribe": grammar.Unsubscribe,
    "/pmtip schedule": grammar.ShowSchedule,
    "/pmtip preview": grammar.Preview,
    "/pmtip post-now": grammar.PostNow,
    "/pmtip stats": grammar.Stats,
    "/pmtip reload": grammar.Reload,
}


@pytest.mark.parametrize(("usage", "what"), grammar.USAGE + grammar.ADMIN_USAGE)
def test_every_example_in_help_parses_to_the_command_it_describes(usage, what):
    example = re.sub(r"\[[^\]]*\]", "", usage).replace("<tip-id>", "moat-system").strip()
    expected = HELP_MEANS[re.sub(r"\s*(\[.*|<.*)$", "", usage).strip()]
    assert isinstance(grammar.parse(example.removeprefix("/pmtip")), expected), usage


def test_help_keywords_are_case_insensitive(app):
    assert answer(app.command("HELP"))["text"] == answer(app.command("help"))["text"]


def test_a_near_miss_suggests_the_topic_and_points_to_the_topic_list(app):
    message = answer(app.command("mot"))  # too short for search to take as a typo
    body = all_text(message)
    assert "/pmtip moat" in body
    assert "/pmtip topics" in body
    assert "mot" in body  # what they typed, quoted back
    (offered,) = [b for b in message["blocks"] if b["type"] == "actions"]
    assert offered["elements"][0]["value"] == "moat"
    assert offered["elements"][0]["text"]["text"] == "Designing the moat"


def test_a_mistyped_topic_name_opens_its_tip(app):
    message = answer(app.command("ai-failur"))
    assert "couldn't find" not in message["text"]
    titles = [tip.title for tip in CATALOGUE.tips_in("ai-failure")]
    assert message["blocks"][0]["text"]["text"] in titles


def test_nothing_matching_still_gives_a_friendly_answer(app):
    message = answer(app.command("zzqx"))
    assert "couldn't find" in message["text"]
    assert "/pmtip topics" in message["text"]


@pytest.mark.parametrize(
    "text",
    [
        "<!channel>",
        "&lt;!channel&gt;",
        "<@U1>",
        "<!here> <!everyone>",
        "hello <!channel> world",
        "search <!channel>",
        "search &lt;!here&gt; moat",
        "<#C1|general> <!subteam^S1|team>",
    ],
)
def test_echoed_text_is_escaped_so_it_can_never_ping_anyone(app, text):
    message = answer(app.command(text))
    assert_no_broadcast(message)


def test_an_escaped_mention_is_shown_back_as_text(app):
    message = answer(app.command("<!channel>"))
    assert "&lt;!channel&gt;" in all_text(message)


@pytest.mark.parametrize(
    "text",
    [
        "🚀",
        "🚀 moat 🚀",
        "стратегия продукта",
        "戦略 コード",
        "产品战略",
        "?!…",
        "--- *** ___ ```",
        "'; DROP TABLE tips; --",
        "%s %d {0} {}",
        "\u200b\u200d",
        "a\tb\nc",
        "word " * 800,
        "x" * 4000,
    ],
)
def test_any_text_gets_a_valid_answer(app, text):
    message = answer(app.command(text))
    assert_no_broadcast(message)


def test_topic_and_slug_matching_ignore_case_and_trailing_punctuation(app):
    assert topic_of(answer(app.command("MOAT!"))) == "moat"


def test_a_reply_that_cannot_be_delivered_is_logged_not_lost(app, caplog):
    import time

    from tests.support.signing import slash_command_body

    nobody = "http://127.0.0.1:9/nobody-listens"  # port 9 (discard) is closed here
    with caplog.at_level("ERROR", logger="bot.slack"):
        reply = app.post_signed(slash_command_body("schedule", response_url=nobody))
        assert reply.status == 200
        deadline = time.monotonic() + 10
        while "could not answer /pmtip ShowSchedule" not in caplog.text:
            assert time.monotonic() < deadline, caplog.text
            time.sleep(0.05)
