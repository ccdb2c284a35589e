"""Every message and view pmtip can send, built by the same core functions the bot
calls: each tip in every form, lists, help, searches and misses for many queries,
the weekly replies, the admin replies, the shell's own notices and the Home tab in
each of its states. Tests that must hold for all of them (Slack accepts it, the
playground renders it) iterate this one corpus.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from functools import cache
from typing import Any

from bot.catalogue.source import read_catalogue
from bot.core import grammar, replies
from bot.core.catalogue import Catalogue, Tip, Topic
from bot.core.feedback import TipStats
from bot.core.render import blocks
from bot.core.render.admin import (
    close_tip_ids,
    refusal,
    rejected_edit_notice,
    reload_reply,
    stats,
    unknown_tip,
)
from bot.core.render.blocks import Message
from bot.core.render.home import CatalogueStatus, ChannelPost, home_view
from bot.core.render.lists import help_message, no_match, search_results, topics_message
from bot.core.render.tips import preview, shared_tip, tip_reply, topic_tip, weekly_insight
from bot.core.render.weekly import (
    cannot_post,
    describe_schedule,
    not_subscribed,
    post_now_done,
    schedule_status,
    subscribed,
    unknown_topics,
    unsubscribed,
)
from bot.core.schedule import WeeklySchedule, slot_on
from bot.slack.handlers.lookups import UNAVAILABLE
from bot.slack.listeners.pmtip import SORRY
from tests.support.app_server import TIPS_PATH

CATALOGUE, _PROBLEMS = read_catalogue(TIPS_PATH)
assert CATALOGUE is not None, f"content/tips.yaml does not load: {_PROBLEMS}"
TIPS = CATALOGUE.tips
EMPTY = Catalogue(topics=(), tips=())
PERSON = "U0123ABCDEF"
NOW = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)
BERLIN_MONDAY = WeeklySchedule(day=0, at=time(9, 0), timezone="Europe/Berlin")
NEXT_SLOT = slot_on(BERLIN_MONDAY, date(2026, 1, 12))
PAST_SLOT = slot_on(BERLIN_MONDAY, date(2026, 1, 5))
# Typed by a person: text that would ping, link or format if it came back raw.
HOSTILE_TEXT = '<!channel> <script>alert(1)</script> *bold* & &amp; "onload=x"'
BAD_COMMANDS = [
    "search",
    "subscribe 25:99",
    "subscribe Mars/Olympus",
    "subscribe whenever",
    "subscribe topics:",
    f"subscribe {HOSTILE_TEXT}",
]


def queries() -> list[str]:
    """Every word of every tip title and tag, every topic name, and odd text."""
    words = {w for tip in TIPS for w in (tip.title + " " + " ".join(tip.tags)).split()}
    topics = {t.slug for t in CATALOGUE.topics} | {a for t in CATALOGUE.topics for a in t.aliases}
    odd = [
        "a",
        "ai",
        "the and of",
        "<!channel>",
        "&amp;&lt;",
        "🚀🚀",
        "стратегия",
        "戦略",
        "x" * 4000,
        "model " * 700,
        "?!…",
        HOSTILE_TEXT,
    ]
    return list(dict.fromkeys([*sorted(words | topics), *odd]))  # "a" is a tag word too


def tip_messages(tip: Tip) -> dict[str, Message]:
    """A tip in every form pmtip sends it."""
    return {
        "tip_reply": tip_reply(tip),
        "tip_reply with a note": tip_reply(tip, note="Here is a note with <tags> & such"),
        "shared_tip": shared_tip(tip, shared_by=PERSON),
        "weekly_insight": weekly_insight(tip),
        "preview": preview(tip),
        "topic_tip": topic_tip(tip),
    }


def every_message() -> list[tuple[str, Message]]:
    """(what it is, the message) for every message pmtip can send."""
    return [*_tip_forms(), *_lookups(), *_weekly(), *_admin(), *_shell()]


def _tip_forms() -> Iterator[tuple[str, Message]]:
    for tip in TIPS:
        for form, message in tip_messages(tip).items():
            yield f"{form} {tip.id}", message


def _lookups() -> Iterator[tuple[str, Message]]:
    yield "topics", topics_message(CATALOGUE)
    yield "help", help_message()
    yield "help for admins", help_message(is_admin=True)
    yield "search listing every tip", search_results("everything", TIPS)
    yield "no match, topics to start from", no_match("zzqx", (), starters=CATALOGUE.topics[:3])
    for query in queries():
        label = query[:40]
        yield f"search {label}", search_results(query, CATALOGUE.search(query, limit=50))
        yield f"no match {label}", no_match(query, CATALOGUE.topics[:3])
    for text in BAD_COMMANDS:
        command = grammar.parse(text)
        assert isinstance(command, grammar.Invalid), text
        yield f"invalid {text[:40]}", blocks.notice(command.message)
    rng = random.Random(1)
    yield (
        "empty catalogue",
        replies.answer(EMPTY, grammar.RandomTip(), last_tip_id=None, rng=rng).message,
    )
    no_tips = Catalogue(topics=(Topic("moat", "Moats", "Defensibility"),), tips=())
    lookup = grammar.Lookup("moat")
    yield "topic without tips", replies.answer(no_tips, lookup, last_tip_id=None, rng=rng).message


def _weekly() -> Iterator[tuple[str, Message]]:
    for changed in (False, True):
        for topics in ((), ("ai-failure", "moat")):
            yield (
                f"subscribed changed={changed} topics={topics}",
                subscribed(
                    schedule=BERLIN_MONDAY,
                    topics=topics,
                    next_slot=NEXT_SLOT,
                    now=NOW,
                    changed=changed,
                    joined=not changed,
                ),
            )
    for reason in (None, "channel_not_found", "not_in_channel", "is_archived", "odd<reason>"):
        for next_slot in (NEXT_SLOT, PAST_SLOT):
            yield (
                f"schedule paused={reason} next={next_slot.key}",
                schedule_status(
                    schedule=BERLIN_MONDAY,
                    topics=("moat",),
                    next_slot=next_slot,
                    paused_reason=reason,
                    last_posted=PAST_SLOT.instant,
                    now=NOW,
                ),
            )
    yield "not subscribed", not_subscribed()
    yield "unsubscribed", unsubscribed(was_subscribed=True)
    yield (
        "refusal",
        refusal(action="subscribe a channel", who_can_help=f"<@{PERSON}>"),
    )
    yield "unknown topics", unknown_topics(["mots", HOSTILE_TEXT], CATALOGUE)
    for reason in ("private", "join_failed", "is_archived", "direct_message", "odd<reason>"):
        yield f"cannot post {reason}", cannot_post(reason)
    yield (
        "post-now done",
        post_now_done(
            title=TIPS[0].title, next_slot=NEXT_SLOT, timezone=BERLIN_MONDAY.timezone, now=NOW
        ),
    )
    yield "stats without votes", stats(CATALOGUE, [])
    yield "stats", stats(CATALOGUE, tallies())


def tallies() -> list[TipStats]:
    """Votes on a few tips, one of them retired from the catalogue."""
    counts = [TipStats(tip.id, n % 4, n % 3, n % 2) for n, tip in enumerate(TIPS[:12])]
    return [*counts, TipStats("retired-tip", 2, 1, 1)]


def _admin() -> Iterator[tuple[str, Message]]:
    problems = [f"line {n}: `topic` <must> be one of & the known topics" for n in range(1, 41)]
    yield "reloaded", reload_reply(ok=True, summary="40 tips in 9 topics", problems=[])
    yield (
        "reload refused",
        reload_reply(ok=False, summary="2 problems in tips.yaml", problems=problems[:2]),
    )
    yield (
        "reload refused, many problems",
        reload_reply(ok=False, summary="40 problems", problems=problems),
    )
    yield (
        "rejected edit",
        rejected_edit_notice(
            summary="a tab on line 3", problems=["line 3: a tab <where> spaces belong"]
        ),
    )
    yield "unknown tip", unknown_tip(HOSTILE_TEXT, [])
    yield (
        "unknown tip with suggestions",
        unknown_tip("moat", close_tip_ids(CATALOGUE, "moat")),
    )


def _shell() -> Iterator[tuple[str, Message]]:
    """The notices the listeners send in their own words."""
    yield "tips file unavailable", blocks.notice(UNAVAILABLE)
    yield "something went wrong", blocks.notice(SORRY)


def every_view() -> list[tuple[str, dict[str, Any]]]:
    """(what it is, the view) for the Home tab in each of its states."""
    channels = [
        ChannelPost(
            f"C{n:03d}",
            describe_schedule(BERLIN_MONDAY),
            NEXT_SLOT.instant,
            "Europe/Berlin",
        )
        for n in range(3)
    ]
    loaded = CatalogueStatus(path="content/tips.yaml", tips=len(TIPS), topics=9, loaded_at=NOW)
    rejected = CatalogueStatus(
        path="content/tips.yaml",
        tips=len(TIPS),
        topics=9,
        loaded_at=NOW,
        rejected_at=NOW,
        rejected_summary="2 problems <here>",
        rejected_problems=("line 3: a tab", "line 9: `topic` & more"),
    )
    never = CatalogueStatus(path="content/tips.yaml", tips=0, topics=0, loaded_at=None)
    home = home_view
    return [
        ("member, channels unknown", home(catalogue=CATALOGUE, channels=None)),
        ("member, no channels", home(catalogue=CATALOGUE, channels=[])),
        ("member, three channels", home(catalogue=CATALOGUE, channels=channels)),
        ("admin", home(catalogue=CATALOGUE, channels=channels, status=loaded, tallies=tallies())),
        (
            "admin, edit refused",
            home(catalogue=CATALOGUE, channels=[], status=rejected, tallies=[]),
        ),
        ("admin, no good file", home(catalogue=EMPTY, channels=None, status=never, tallies=[])),
    ]


# -- a catalogue much larger than ours ------------------------------------------


def _words(rng: random.Random, count: int) -> str:
    return " ".join(
        "".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 10))) for _ in range(count)
    )


@cache
def huge_catalogue() -> Catalogue:
    """500 topics and 10,000 tips, some at every length limit the tips file allows."""
    rng = random.Random(2)
    topics = tuple(
        Topic(
            slug=f"topic-{n}",
            title=f"Topic {n}",
            description=("& < > " * 50)[:300] if n % 7 == 0 else _words(rng, 40)[:300],
            aliases=(f"alias-{n}",),
        )
        for n in range(500)
    )
    tips = []
    for n in range(10_000):
        longest = n % 97 == 0
        tips.append(
            Tip(
                id=f"tip-{n}-" + ("x" * 180 if longest else "a"),
                topic=f"topic-{n % 500}",
                title=("<&>" * 50 if longest else f"Tip {n} {_words(rng, 4)}")[:150],
                body=("&" * 3000) if longest else f"strategy {_words(rng, 30)}",
                try_this=("<" * 2960) if longest else f"This week, {_words(rng, 10)}",
                quote=("q" * 1000) if longest else _words(rng, 8),
                section=("s" * 300) if longest else "Section",
                audience=("business",),
                tags=("strategy", _words(rng, 1)),
            )
        )
    return Catalogue(topics=topics, tips=tuple(tips))
