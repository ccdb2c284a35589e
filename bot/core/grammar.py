"""The `/pmtip` command grammar: the text after the command, parsed into a value.

Parsing never fails: anything that is not a keyword is a lookup, and a keyword
with bad arguments becomes a `Invalid` carrying a message for the user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from functools import cache
from zoneinfo import available_timezones

DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAYS = {name[:3]: index for index, name in enumerate(DAY_NAMES)} | {
    name: index for index, name in enumerate(DAY_NAMES)
}
_DAYS.update({"tues": 1, "wednes": 2, "thur": 3, "thurs": 3})
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_QUOTED_MAX = 60  # how much of a word we did not understand is quoted back


@dataclass(frozen=True, slots=True)
class RandomTip:
    pass


@dataclass(frozen=True, slots=True)
class Lookup:
    """A topic, an alias or free words."""

    query: str


@dataclass(frozen=True, slots=True)
class Search:
    query: str


@dataclass(frozen=True, slots=True)
class ListTopics:
    pass


@dataclass(frozen=True, slots=True)
class Help:
    pass


@dataclass(frozen=True, slots=True)
class Subscribe:
    day: int | None  # 0 = Monday; None = the configured default
    at: time | None
    timezone: str | None
    topics: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    pass


@dataclass(frozen=True, slots=True)
class ShowSchedule:
    pass


@dataclass(frozen=True, slots=True)
class Reload:
    pass


@dataclass(frozen=True, slots=True)
class Preview:
    tip_id: str


@dataclass(frozen=True, slots=True)
class PostNow:
    pass


@dataclass(frozen=True, slots=True)
class Stats:
    pass


@dataclass(frozen=True, slots=True)
class Invalid:
    """A keyword used the wrong way; `message` says what is wrong and what works."""

    message: str


Command = (
    RandomTip
    | Lookup
    | Search
    | ListTopics
    | Help
    | Subscribe
    | Unsubscribe
    | ShowSchedule
    | Reload
    | Preview
    | PostNow
    | Stats
    | Invalid
)

# (usage, what it does) for `/pmtip help`; a test keeps this and the parser in step.
USAGE: tuple[tuple[str, str], ...] = (
    ("/pmtip", "a random tip"),
    ("/pmtip ai-failure", "a tip on a topic (topic names and aliases both work)"),
    ("/pmtip monitoring models", "the tip that best matches your words"),
    ("/pmtip search moat", "a short list of every matching tip"),
    ("/pmtip topics", "every topic with a one-line description"),
    ("/pmtip help", "this help"),
    (
        "/pmtip subscribe [day] [HH:MM] [Area/City] [topics:a,b]",
        "post a weekly insight to this channel (e.g. `subscribe fri 10:30 Europe/Berlin`)",
    ),
    ("/pmtip unsubscribe", "stop this channel's weekly insight"),
    ("/pmtip schedule", "this channel's schedule and the next post time"),
)
ADMIN_USAGE: tuple[tuple[str, str], ...] = (
    ("/pmtip preview <tip-id>", "show exactly what a channel would receive"),
    ("/pmtip post-now", "post this channel's next weekly insight now"),
    ("/pmtip stats", "deliveries and votes per tip"),
    ("/pmtip reload", "reload content/tips.yaml now"),
)

SUBSCRIBE_FORMAT = (
    "Use `/pmtip subscribe [day] [HH:MM] [timezone] [topics:a,b]`, for example "
    "`/pmtip subscribe monday 09:00 Europe/Berlin`. Days: monday to sunday (or mon, tue, ...); "
    "time: 24-hour HH:MM; timezone: an IANA name such as America/New_York."
)


def unescape_slack(text: str) -> str:
    """Slack sends `&`, `<` and `>` escaped; work on what the person typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def parse(text: str) -> Command:
    words = unescape_slack(text).split()
    if not words:
        return RandomTip()
    keyword, rest = words[0].casefold().strip(".!?"), words[1:]
    match keyword:
        case "help" | "-h" | "--help" | "?":
            return Help()
        case "topics" | "list":
            return ListTopics()
        case "search" | "find":
            return (
                Search(" ".join(rest))
                if rest
                else Invalid("Tell me what to look for, for example `/pmtip search moat`.")
            )
        case "subscribe":
            return parse_subscribe(rest)
        case "unsubscribe":
            return Unsubscribe()
        case "schedule":
            return ShowSchedule()
        case "reload":
            return Reload()
        case "stats":
            return Stats()
        case "post-now" | "postnow":
            return PostNow()
        case "preview":
            return (
                Preview(rest[0])
                if len(rest) == 1
                else Invalid(
                    "Name one tip id, for example `/pmtip preview ai-failure-fallback-path`."
                )
            )
    return Lookup(" ".join(words))


def parse_subscribe(words: list[str]) -> Subscribe | Invalid:
    day: int | None = None
    at: time | None = None
    zone: str | None = None
    topics: tuple[str, ...] = ()
    for word in words:
        lowered = word.casefold()
        if lowered.startswith("topics:") or lowered.startswith("topic:"):
            topics = tuple(t for t in lowered.split(":", 1)[1].split(",") if t)
            if not topics:
                return Invalid("`topics:` needs topic names, like `topics:ai-failure,ai-fit`.")
        elif lowered.strip(",") in _DAYS:
            day = _DAYS[lowered.strip(",")]
        elif _TIME.match(word):
            parsed = parse_time(word)
            if parsed is None:
                return Invalid(f"`{_quoted(word)}` is not a time of day. {SUBSCRIBE_FORMAT}")
            at = parsed
        elif "/" in word or word.upper() == "UTC":
            zone = canonical_timezone(word)
            if zone is None:
                return Invalid(f"`{_quoted(word)}` is not a timezone I know. {SUBSCRIBE_FORMAT}")
        else:
            return Invalid(f"I don't understand `{_quoted(word)}`. {SUBSCRIBE_FORMAT}")
    return Subscribe(day=day, at=at, timezone=zone, topics=topics)


def _quoted(word: str) -> str:
    """A person's word, safe to quote in a mrkdwn reply: short, with `&`, `<` and `>`
    escaped so `<!channel>` stays text. (bot.core.render imports this module, so
    its `escape` cannot be used here.)"""
    short = word if len(word) <= _QUOTED_MAX else word[: _QUOTED_MAX - 1] + "…"
    return short.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def parse_time(text: str) -> time | None:
    found = _TIME.match(text.strip())
    if not found:
        return None
    hour, minute = int(found.group(1)), int(found.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_day(text: str) -> int | None:
    return _DAYS.get(text.strip().casefold())


def canonical_timezone(name: str) -> str | None:
    """The IANA name for `name`, matched without regard to case, or None."""
    return _zones_by_folded_name().get(name.casefold())


@cache
def _zones_by_folded_name() -> dict[str, str]:
    zones = {zone.casefold(): zone for zone in available_timezones()}
    zones["utc"] = "UTC"
    return zones
