"""What `/pmtip` answers to a lookup: the pure decision, with no Slack in sight."""

from __future__ import annotations

import random
from dataclasses import dataclass

from bot.core.catalogue import Catalogue, Tip, Topic, pick_tip
from bot.core.grammar import Help, Invalid, ListTopics, Lookup, RandomTip, Search
from bot.core.render import blocks
from bot.core.render.blocks import Message
from bot.core.render.lists import help_message, no_match, search_results, topics_message
from bot.core.render.tips import tip_reply

LookupCommand = RandomTip | Lookup | Search | ListTopics | Help | Invalid


@dataclass(frozen=True, slots=True)
class Reply:
    message: Message
    tip: Tip | None = None  # the tip shown, so the caller can avoid repeating it


def answer(
    catalogue: Catalogue,
    command: LookupCommand,
    *,
    last_tip_id: str | None,
    rng: random.Random,
    is_admin: bool = False,
) -> Reply:
    match command:
        case Help():
            return Reply(help_message(is_admin=is_admin))
        case ListTopics():
            return Reply(topics_message(catalogue))
        case Invalid(message=text):
            return Reply(blocks.notice(text))
        case Search(query=query):
            found = catalogue.search(query, limit=50)
            if not found:
                return _no_match(catalogue, query)
            return Reply(search_results(query, found))
        case RandomTip():
            return _tip_reply(pick_tip(catalogue.tips, avoid=last_tip_id, rng=rng))
        case Lookup(query=query):
            topic = catalogue.resolve_topic(query)
            if topic is not None:
                chosen = pick_tip(catalogue.tips_in(topic.slug), avoid=last_tip_id, rng=rng)
                if chosen is None:
                    return Reply(blocks.notice(f"The topic `{topic.slug}` has no tips yet."))
                return _tip_reply(chosen)
            found = catalogue.search(query, limit=1)
            if found:
                return _tip_reply(found[0])
            return _no_match(catalogue, query)
    raise TypeError(f"not a lookup command: {command!r}")  # pragma: no cover


def another_tip(catalogue: Catalogue, current_id: str, *, rng: random.Random) -> Reply:
    """A different tip of the same topic as `current_id` (any tip if that one is gone)."""
    current = catalogue.tip(current_id)
    pool = catalogue.tips_in(current.topic) if current else catalogue.tips
    return _tip_reply(pick_tip(pool, avoid=current_id, rng=rng))


def _tip_reply(tip: Tip | None) -> Reply:
    if tip is None:
        return Reply(blocks.notice("The catalogue has no tips yet; ask an admin to add some."))
    return Reply(tip_reply(tip), tip)


def _no_match(catalogue: Catalogue, query: str) -> Reply:
    close = _suggestions(catalogue, query)
    # None close: a few topics to start from all the same, never a dead end.
    starters = () if close else catalogue.topics[:3]
    return Reply(no_match(query, close, starters=starters))


def _suggestions(catalogue: Catalogue, query: str) -> list[Topic]:
    # Suggest against the whole text and against each word: `moaat` and
    # `tips on mots` should both lead somewhere; then by the topics' own words.
    slugs: list[str] = []
    for needle in dict.fromkeys([query, *query.split()]):  # a one-word query only once
        if len(slugs) >= 3:
            break
        slugs += [s for s in catalogue.suggest(needle) if s not in slugs]
    slugs += [s for s in catalogue.closest_topics(query) if s not in slugs]
    topics = (catalogue.topic(slug) for slug in slugs[:3])
    return [topic for topic in topics if topic is not None]
