"""The playground's Slack, in memory: the messages each person can see, the Home tabs
pmtip published, the `response_url`s it was handed, and a log of every call it made.

The stand-in (`standin.py`) and the app driver (`driver.py`) change it; the page reads
`snapshot()`. Every change bumps `version` and wakes whoever waits in `wait_for_change`
(the page's long poll), so a reply shows the moment it is captured.

`respond` follows what Slack does with a post to a `response_url`: `delete_original`
removes the message the URL belongs to, `replace_original` replaces its content in
place (an ephemeral message stays ephemeral), and anything else is a new message,
for everyone with `response_type: in_channel`, else only for the person who acted.
A URL takes at most five posts, as Slack's does.
"""

from __future__ import annotations

import copy
import itertools
import secrets
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.playground.config import BOT_USER_ID

RESPONSE_URL_USES = 5  # Slack: up to 5 posts within 30 minutes
CALLS_KEPT = 200


@dataclass
class Posted:
    """One message in a conversation, as the page shows it."""

    id: str
    conversation: str
    author: str  # a user id (the bot's for pmtip)
    body: dict[str, Any]  # `text` and `blocks`, as Slack keeps them
    at: datetime  # on the playground's clock
    ts: str
    visible_to: str | None = None  # ephemeral: only this person sees it
    command: str | None = None  # the command an ephemeral reply answers, shown above it
    metadata: dict[str, Any] | None = None
    edited: bool = False


@dataclass(frozen=True, slots=True)
class Call:
    """A call pmtip made to the stand-in (a Web API method or a response_url)."""

    method: str
    summary: str
    ok: bool
    at: datetime


@dataclass
class _ResponseUrl:
    conversation: str
    user: str
    original: str | None  # the message id a replace or delete applies to
    command: str | None = None  # the command it answers, shown above a new reply
    uses: int = 0


@dataclass(frozen=True)
class Snapshot:
    """What the page renders: copies, safe to read without the lock."""

    version: int
    messages: tuple[Posted, ...]
    views: dict[str, dict[str, Any]]
    calls: tuple[Call, ...]
    warnings: tuple[str, ...]
    clock_report: tuple[str, ...]
    bot_in_channel: bool


@dataclass
class World:
    now: Callable[[], datetime]
    version: int = 0
    bot_in_channel: bool = False
    messages: list[Posted] = field(default_factory=list)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: deque[Call] = field(default_factory=lambda: deque(maxlen=CALLS_KEPT))
    warnings: list[str] = field(default_factory=list)
    clock_report: list[str] = field(default_factory=list)
    _responses: dict[str, _ResponseUrl] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _changed: threading.Condition = field(default_factory=threading.Condition)

    # -- reading ---------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        with self._changed:
            return Snapshot(
                version=self.version,
                messages=tuple(copy.deepcopy(m) for m in self.messages),
                views=copy.deepcopy(self.views),
                calls=tuple(self.calls),
                warnings=tuple(self.warnings),
                clock_report=tuple(self.clock_report),
                bot_in_channel=self.bot_in_channel,
            )

    def message(self, message_id: str) -> Posted | None:
        with self._changed:
            found = next((m for m in self.messages if m.id == message_id), None)
            return copy.deepcopy(found)

    def wait_for_change(self, since: int, *, timeout: float) -> int:
        """The version once it differs from `since`, or after `timeout` seconds."""
        with self._changed:
            self._changed.wait_for(lambda: self.version != since, timeout=timeout)
            return self.version

    def wait_until(self, predicate: Callable[[World], bool], *, timeout: float) -> bool:
        """Whether `predicate(world)` came true within `timeout` seconds (for tests)."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self), timeout=timeout)

    # -- changing ----------------------------------------------------------------------

    def _bump(self) -> None:
        self.version += 1
        self._changed.notify_all()

    def touch(self) -> None:
        """Something outside the world changed (the tips file): wake the page."""
        with self._changed:
            self._bump()

    def post(
        self,
        *,
        conversation: str,
        author: str,
        body: Mapping[str, Any],
        visible_to: str | None = None,
        command: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Posted:
        with self._changed:
            number = next(self._ids)
            at = self.now()
            posted = Posted(
                id=f"m{number}",
                conversation=conversation,
                author=author,
                body=_content(body),
                at=at,
                ts=f"{at.timestamp():.0f}.{number:06d}",
                visible_to=visible_to,
                command=command,
                metadata=metadata,
            )
            self.messages.append(posted)
            self._bump()
            return copy.deepcopy(posted)

    def publish_view(self, user_id: str, view: dict[str, Any]) -> None:
        with self._changed:
            self.views[user_id] = view
            self._bump()

    def join_channel(self) -> None:
        with self._changed:
            self.bot_in_channel = True
            self._bump()

    def record_call(self, method: str, summary: str, *, ok: bool) -> None:
        with self._changed:
            self.calls.append(Call(method, summary, ok, self.now()))
            self._bump()

    def warn(self, text: str) -> None:
        with self._changed:
            if text not in self.warnings:
                self.warnings.append(text)
            self._bump()

    def report_clock(self, lines: list[str]) -> None:
        with self._changed:
            self.clock_report = list(lines)
            self._bump()

    # -- response_url ------------------------------------------------------------------

    def new_response_url(
        self, *, conversation: str, user: str, original: str | None, command: str | None = None
    ) -> str:
        """A fresh, unguessable response_url id for a request the page sends."""
        key = secrets.token_urlsafe(12)
        with self._changed:
            self._responses[key] = _ResponseUrl(conversation, user, original, command)
        return key

    def set_response_original(self, key: str, message_id: str) -> None:
        """The message a replace or delete through this URL applies to (a command's ack)."""
        with self._changed:
            if (target := self._responses.get(key)) is not None:
                target.original = message_id

    def respond(self, key: str, body: Mapping[str, Any]) -> str | None:
        """Apply a post to a response_url; None, or the error Slack would answer."""
        with self._changed:
            target = self._responses.get(key)
            if target is None:
                return "expired_url"
            target.uses += 1
            if target.uses > RESPONSE_URL_USES:
                self.warnings.append(f"a response_url was used more than {RESPONSE_URL_USES}×")
                self._bump()
                return "used_url"
            original = next((m for m in self.messages if m.id == target.original), None)
            if body.get("delete_original"):
                if original is not None:
                    self.messages.remove(original)
                self._bump()
                return None
            if not body.get("text") and not body.get("blocks"):
                return "no_text"
            if body.get("replace_original") and original is not None:
                original.body = _content(body)
                original.edited = True
                self._bump()
                return None
        in_channel = body.get("response_type") == "in_channel"
        self.post(
            conversation=target.conversation,
            author=BOT_USER_ID,
            body=body,
            visible_to=None if in_channel else target.user,
            command=None if in_channel else target.command,
        )
        return None


def _content(body: Mapping[str, Any]) -> dict[str, Any]:
    """What Slack keeps of a message: its text and blocks (a deep copy)."""
    return copy.deepcopy({k: body[k] for k in ("text", "blocks") if body.get(k) is not None})
