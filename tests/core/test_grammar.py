"""The /pmtip grammar: every keyword, and text that is no keyword."""

from __future__ import annotations

from datetime import time

import pytest

from bot.core import grammar as g


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", g.RandomTip()),
        ("   ", g.RandomTip()),
        ("help", g.Help()),
        ("HELP", g.Help()),
        ("topics", g.ListTopics()),
        ("search moat  building", g.Search("moat building")),
        ("ai-failure", g.Lookup("ai-failure")),
        ("  how do   I monitor ", g.Lookup("how do I monitor")),
        ("unsubscribe", g.Unsubscribe()),
        ("schedule", g.ShowSchedule()),
        ("reload", g.Reload()),
        ("stats", g.Stats()),
        ("post-now", g.PostNow()),
        ("preview moat-system", g.Preview("moat-system")),
    ],
)
def test_parse_recognises_each_form(text, expected):
    assert g.parse(text) == expected


def test_search_without_words_explains_itself():
    assert isinstance(g.parse("search"), g.Invalid)
    assert "search moat" in g.parse("search").message


def test_slack_escapes_are_undone_before_parsing():
    assert g.parse("&lt;!channel&gt; &amp; co") == g.Lookup("<!channel> & co")


def test_subscribe_defaults_and_full_form():
    assert g.parse("subscribe") == g.Subscribe(day=None, at=None, timezone=None)
    assert g.parse("subscribe Fri 10:30 europe/berlin topics:ai-failure,ai-fit") == g.Subscribe(
        day=4, at=time(10, 30), timezone="Europe/Berlin", topics=("ai-failure", "ai-fit")
    )
    assert g.parse("subscribe wednesday 7:05 UTC").day == 2


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("subscribe funday", "funday"),
        ("subscribe mon 25:00", "25:00"),
        ("subscribe mon 09:00 Mars/Olympus", "Mars/Olympus"),
        ("subscribe topics:", "topics:"),
    ],
)
def test_subscribe_mistakes_say_what_is_wrong_and_what_works(text, fragment):
    parsed = g.parse(text)
    assert isinstance(parsed, g.Invalid)
    assert fragment in parsed.message


def test_timezones_are_matched_without_regard_to_case():
    assert g.canonical_timezone("america/new_york") == "America/New_York"
    assert g.canonical_timezone("utc") == "UTC"
    assert g.canonical_timezone("../../etc/passwd") is None
    assert g.canonical_timezone("America") is None


def test_every_keyword_the_parser_knows_is_in_the_help():
    usage = " ".join(u for u, _ in (*g.USAGE, *g.ADMIN_USAGE))
    keywords = [
        "help",
        "topics",
        "search",
        "subscribe",
        "unsubscribe",
        "schedule",
        "preview",
        "post-now",
        "stats",
        "reload",
    ]
    for keyword in keywords:
        assert f"/pmtip {keyword}" in usage, keyword
        assert not isinstance(g.parse(keyword), g.Lookup), keyword
