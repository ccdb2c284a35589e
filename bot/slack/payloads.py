"""Slack's request bodies, parsed once into small frozen values, so that listeners and
handlers read fields instead of walking dicts. A field that is missing or of the
wrong shape reads as empty: a forged or odd payload gets a polite answer, not a crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bot.core.workspace import Workspace


def _text(value: object) -> str:
    return str(value or "")


def _object(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


# Set on every request's context with one workspace (bot.slack.app): (team, enterprise).
OWN_WORKSPACE = "pmtip_own_workspace"


class Resolved(Protocol):
    """What Bolt resolved of a request (its BoltContext): whose workspace it is."""

    @property
    def team_id(self) -> str | None: ...
    @property
    def enterprise_id(self) -> str | None: ...
    def get(self, key: str, default: Any = None, /) -> Any: ...


def workspace_of(context: Resolved) -> Workspace:
    """The workspace a request comes from, as Bolt resolved it: for a shared channel,
    the workspace the app is installed in (the payload's `authorizations`), not the
    channel's host; for an org-wide install, the workspace of the person acting.
    With one workspace, the bot's own, whatever team the payload names."""
    own = context.get(OWN_WORKSPACE)
    if own:  # kept under a key of pmtip's: Bolt re-reads team_id from a lazy copy's body
        team_id, enterprise_id = own
        return Workspace(team_id=team_id, enterprise_id=enterprise_id)
    return Workspace(team_id=context.team_id or "", enterprise_id=context.enterprise_id or "")


@dataclass(frozen=True, slots=True)
class SlashCommand:
    """`/pmtip <text>`, typed in `channel_id` by `user_id`, in `workspace`."""

    user_id: str
    channel_id: str
    text: str
    workspace: Workspace

    @classmethod
    def parse(cls, body: Mapping[str, Any], *, workspace: Workspace) -> SlashCommand:
        return cls(
            user_id=_text(body.get("user_id")),
            channel_id=_text(body.get("channel_id")),
            text=_text(body.get("text")),
            workspace=workspace,
        )


@dataclass(frozen=True, slots=True)
class BlockAction:
    """A click on a button: who clicked, the button's value, and where."""

    user_id: str
    value: str
    channel_id: str | None  # None on the Home tab
    is_ephemeral: bool  # the button sits on a message only the clicker sees

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> BlockAction:
        actions = body.get("actions")
        first = _object(actions[0]) if isinstance(actions, list) and actions else {}
        return cls(
            user_id=_text(_object(body.get("user")).get("id")),
            value=_text(first.get("value")),
            channel_id=_text(_object(body.get("channel")).get("id")) or None,
            is_ephemeral=bool(_object(body.get("container")).get("is_ephemeral")),
        )


@dataclass(frozen=True, slots=True)
class HomeOpened:
    """`app_home_opened`: the Home tab, or the Messages tab (which fires it too)."""

    user_id: str
    tab: str

    @classmethod
    def parse(cls, event: Mapping[str, Any]) -> HomeOpened:
        return cls(user_id=_text(event.get("user")), tab=_text(event.get("tab", "home")))
