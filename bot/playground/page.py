"""The page around the messages: Jinja2 templates (autoescaped) and what they show.

Messages and the Home tab are HTML from `render.py`, which escapes every text at its
leaf; they enter the templates as Markup. Everything else (names, times, the tips
file's state, the log of calls) is plain data, escaped by Jinja2's autoescape.

The page is rendered whole once, then in fragments (`fragments`) that the page's
script swaps in whenever the World changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from bot.catalogue.source import CatalogueSource
from bot.core.controls import show_controls
from bot.core.delivery_rules import EVENT_TYPE
from bot.playground import config
from bot.playground.config import BOT_USER_ID, CHANNEL_ID, CHANNEL_NAME, PEOPLE, Person
from bot.playground.driver import SLACKBOT, Playground
from bot.playground.render import render_message, render_view
from bot.playground.world import Posted, Snapshot

ENVIRONMENT = Environment(
    loader=PackageLoader("bot.playground", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENVIRONMENT.filters["when"] = lambda instant, zone: instant.astimezone(ZoneInfo(zone)).strftime(
    "%a %d %b %Y, %H:%M %Z"
)
NAMES = {someone.id: someone.name for someone in PEOPLE} | {
    BOT_USER_ID: config.BOT_NAME,
    SLACKBOT: "Slackbot",
}
TIPS_LISTED_MAX = 300  # the panel lists this many tips; the file may hold thousands
_WHERE = re.compile(r"(\d+):(\d+): (.*)", re.DOTALL)
MEMBER_HINTS = ("/pmtip ai-failure", "/pmtip", "/pmtip topics", "/pmtip search moat", "/pmtip help")
ADMIN_HINTS = (
    "/pmtip subscribe",
    "/pmtip schedule",
    "/pmtip stats",
    "/pmtip post-now",
    "/pmtip reload",
)


@dataclass(frozen=True, slots=True)
class MessageView:
    id: str
    author: str
    is_app: bool
    time: str
    ephemeral: bool
    command: str | None
    edited: bool
    weekly: bool
    html: Markup


@dataclass(frozen=True, slots=True)
class ProblemView:
    where: str  # "line 4, column 7", or "" when the problem names no place
    message: str
    source_line: str | None  # the file's text at that line


@dataclass(frozen=True, slots=True)
class TipsPanel:
    path: str
    summary: str
    loaded_at: str | None
    topics: list[tuple[str, str, list[tuple[str, str]]]]  # slug, title, [(tip id, title)]
    tips_left_out: int
    rejected_summary: str | None
    rejected_at: str | None
    problems: list[ProblemView]
    problems_left_out: int


def user_name(user_id: str) -> str | None:
    return NAMES.get(user_id)


def channel_name(channel_id: str) -> str | None:
    return CHANNEL_NAME if channel_id == CHANNEL_ID else None


def _shown_time(instant: datetime, zone: str) -> str:
    return instant.astimezone(ZoneInfo(zone)).strftime("%a %d %b, %H:%M")


def message_views(
    snapshot: Snapshot, *, conversation: str, viewer: Person, zone: str
) -> list[MessageView]:
    return [
        _message_view(m, zone)
        for m in snapshot.messages
        if m.conversation == conversation and m.visible_to in (None, viewer.id)
    ]


def _message_view(message: Posted, zone: str) -> MessageView:
    weekly = (message.metadata or {}).get("event_type") == EVENT_TYPE
    html = render_message(message.body, user_name=user_name, channel_name=channel_name)
    return MessageView(
        id=message.id,
        author=NAMES.get(message.author, message.author),
        is_app=message.author in (BOT_USER_ID, SLACKBOT),
        time=_shown_time(message.at, zone),
        ephemeral=message.visible_to is not None,
        command=message.command,
        edited=message.edited,
        weekly=weekly,
        html=Markup(html),  # the renderer escapes every text it writes
    )


def tips_panel(source: CatalogueSource, *, zone: str) -> TipsPanel:
    catalogue = source.current()
    listed = catalogue.tips[:TIPS_LISTED_MAX]
    topics = [
        (topic.slug, topic.title, [(t.id, t.title) for t in listed if t.topic == topic.slug])
        for topic in catalogue.topics
    ]
    rejected = source.rejected
    problems = _problems(source.path, rejected.problems) if rejected else []
    return TipsPanel(
        path=show_controls(str(source.path)),
        summary=f"{len(catalogue.tips)} tips in {len(catalogue.topics)} topics",
        loaded_at=_shown_time(source.loaded_at, zone) if source.loaded_at else None,
        topics=topics,
        tips_left_out=len(catalogue.tips) - len(listed),
        rejected_summary=rejected.summary if rejected else None,
        rejected_at=_shown_time(rejected.at, zone) if rejected and rejected.at else None,
        problems=problems,
        problems_left_out=rejected.problems_left_out if rejected else 0,
    )


def _problems(path: Path, formatted: tuple[str, ...]) -> list[ProblemView]:
    """`PATH:LINE:COLUMN: message` lines, split, each with the file's line it names."""
    prefix = show_controls(str(path)) + ":"
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    views = []
    for text in formatted:
        match = _WHERE.fullmatch(text.removeprefix(prefix))
        if match is None:
            views.append(ProblemView("", text, None))
            continue
        line, column, message = int(match[1]), int(match[2]), match[3]
        source_line = show_controls(lines[line - 1]) if 0 < line <= len(lines) else None
        views.append(ProblemView(f"line {line}, column {column}", message, source_line))
    return views


FRAGMENTS = ("topbar", "channel", "dm", "home", "side")


def state(playground: Playground) -> dict[str, Any]:
    """The World's version and each part of the page that changes, as HTML, by the
    name of its `data-fragment` element."""
    values = context(playground)
    html = {name: ENVIRONMENT.get_template(f"_{name}.html").render(values) for name in FRAGMENTS}
    return {"version": values["version"], "fragments": html}


def context(playground: Playground) -> dict[str, Any]:
    snapshot = playground.world.snapshot()
    viewer = playground.viewer
    zone = playground.session.settings.default_timezone
    parts = playground.parts
    is_admin = viewer.role == config.ADMIN.role
    return {
        "version": f"{playground.session.generation}.{snapshot.version}",
        "viewer": viewer,
        "people": PEOPLE,
        "now": playground.session.clock.now(),
        "zone": zone,
        "channel_name": CHANNEL_NAME,
        "channel": message_views(snapshot, conversation=CHANNEL_ID, viewer=viewer, zone=zone),
        "dm": message_views(snapshot, conversation=viewer.dm_channel, viewer=viewer, zone=zone),
        "home": _home_html(snapshot.views.get(viewer.id)),
        "hints": MEMBER_HINTS + (ADMIN_HINTS if is_admin else ()),
        "tips": tips_panel(parts.catalogue, zone=zone) if is_admin else None,
        "calls": list(reversed(snapshot.calls))[:40],
        "warnings": snapshot.warnings,
        "clock_report": snapshot.clock_report,
    }


def _home_html(view: dict[str, Any] | None) -> Markup | None:
    if view is None:
        return None
    return Markup(render_view(view, user_name=user_name, channel_name=channel_name))


def page_html(playground: Playground) -> str:
    return ENVIRONMENT.get_template("page.html").render(context(playground))
