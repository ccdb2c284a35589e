"""What /pmtip answers, decided by the core alone, on the real catalogue."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from bot.core import grammar, replies
from bot.core.tips_file import parse_catalogue

CATALOGUE = parse_catalogue(Path("content/tips.yaml").read_text(encoding="utf-8")).catalogue


def answer(text: str, *, last: str | None = None, seed: int = 1) -> replies.Reply:
    command = grammar.parse(text)
    assert isinstance(command, replies.LookupCommand)
    return replies.answer(CATALOGUE, command, last_tip_id=last, rng=random.Random(seed))


def all_text(reply: replies.Reply) -> str:
    return reply.message.text + json.dumps(reply.message.blocks, ensure_ascii=False)


def test_a_topic_or_alias_gives_a_tip_of_that_topic():
    for text in ("ai-failure", "ai-failures", "failure", "fail-gracefully", "AI-FAILURE"):
        assert answer(text).tip.topic == "ai-failure", text


def test_a_topic_never_gives_the_same_tip_twice_in_a_row():
    last = None
    for seed in range(30):
        tip = answer("moat", last=last, seed=seed).tip
        assert tip.id != last
        last = tip.id


def test_free_words_find_the_best_matching_tip():
    assert answer("monitoring").tip.topic == "ai-lifecycle"
    assert answer("what should we build").tip.topic == "core-questions"


def test_search_lists_every_match_with_a_show_button():
    reply = answer("search moat")
    buttons = [b["accessory"]["value"] for b in reply.message.blocks if "accessory" in b]
    assert buttons and all(CATALOGUE.tip(tip_id) for tip_id in buttons)
    assert any(tip_id.startswith("moat-") for tip_id in buttons)


def test_a_mistyped_topic_suggests_the_right_one():
    assert answer("ai-failur").tip.topic == "ai-failure"  # its stem is the topic's
    reply = answer("mot")  # too short to be taken as a typo by search
    assert reply.tip is None
    assert "/pmtip moat" in reply.message.blocks[0]["text"]["text"]
    assert "/pmtip topics" in reply.message.blocks[0]["text"]["text"]


@pytest.mark.parametrize("text", ["<!channel>", "&lt;!channel&gt;", "<@U123> hi", "a & b <x>"])
def test_user_text_is_escaped_wherever_it_is_echoed(text):
    reply = answer(f"search {text}")
    rendered = all_text(reply)
    assert "<!channel>" not in rendered and "<@U123>" not in rendered and "<x>" not in rendered
    assert "&lt;" in rendered


def test_topics_and_help_list_everything():
    topics = all_text(answer("topics"))
    assert all(f"`{t.slug}`" in topics for t in CATALOGUE.topics)
    help_text = all_text(answer("help"))
    assert all(usage in help_text for usage, _ in grammar.USAGE)


def test_another_tip_stays_in_the_topic_and_changes_the_tip():
    rng = random.Random(3)
    current = CATALOGUE.tips_in("ai-roles")[0]
    for _ in range(20):
        reply = replies.another_tip(CATALOGUE, current.id, rng=rng)
        assert reply.tip.topic == "ai-roles" and reply.tip.id != current.id
    assert replies.another_tip(CATALOGUE, "retired-id", rng=rng).tip is not None


def test_a_long_search_says_how_many_more_there_are():
    reply = answer("search ai product")
    shown = [b for b in reply.message.blocks if "accessory" in b]
    total = len(CATALOGUE.search("ai product", limit=50))
    assert total > 10 and len(shown) == 10
    assert f"Showing the best 10 of {total}" in all_text(reply)


def test_help_shows_admin_commands_to_admins_only():
    command = grammar.parse("help")
    admin = replies.answer(CATALOGUE, command, last_tip_id=None, rng=random.Random(), is_admin=True)
    member = replies.answer(CATALOGUE, command, last_tip_id=None, rng=random.Random())
    for usage, _ in grammar.ADMIN_USAGE:
        usage = usage.replace("<", "&lt;").replace(">", "&gt;")
        assert usage in all_text(admin) and usage not in all_text(member)
