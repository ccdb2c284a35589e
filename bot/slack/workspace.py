"""Which workspace a request belongs to: the key of every row it may read or change.

Many workspaces: the one Bolt authorized the request for (its context's team and
enterprise ids; an org-wide Enterprise Grid install is the enterprise alone, since
its team id names only where the request came from). One workspace: the bot's own
team, as auth.test names it, whatever team a request names (in a Slack Connect
channel a person from another organisation may click a button); the rows from
before many workspaces (the placeholder's) are adopted as that team's, once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.core.workspace import Workspace
from bot.slack.identity import BotIdentity
from bot.store.base import Store

log = logging.getLogger(__name__)

RequestWorkspace = Callable[[BoltContext], Workspace]


def from_context(context: BoltContext) -> Workspace:
    """The workspace Bolt resolved the request for."""
    enterprise_id = context.enterprise_id or ""
    if context.is_enterprise_install and enterprise_id:
        return Workspace(team_id="", enterprise_id=enterprise_id)
    return Workspace(team_id=context.team_id or "", enterprise_id=enterprise_id)


class OwnWorkspace:
    """One-workspace mode: the bot's own team (auth.test, asked once), which adopts the
    placeholder's rows the first time it is known. While auth.test cannot answer, a
    request counts as the workspace its context names (the same team, normally)."""

    def __init__(self, *, identity: BotIdentity, store: Store) -> None:
        self._identity = identity
        self._store = store
        self._adopted: Workspace | None = None
        self._lock = threading.Lock()

    def get(self) -> Workspace | None:
        """The bot's own workspace, or None while auth.test cannot say."""
        known = self._identity.get()
        if known is None or not known.team_id:
            return None
        own = Workspace(team_id=known.team_id, enterprise_id=known.enterprise_id)
        if self._adopted != own:
            with self._lock:
                if self._adopted != own:
                    self._store.adopt_placeholder_rows(own)
                    self._adopted = own
        return own

    def __call__(self, context: BoltContext) -> Workspace:
        return self.get() or from_context(context)


def request_workspace(*, many: bool, store: Store, identity: BotIdentity) -> RequestWorkspace:
    """Many workspaces: the request's, as Bolt authorized it. One workspace: the bot's
    own team (auth.test), asked now, so that the rows from before many workspaces are
    adopted before the first request or tick needs them."""
    if many:
        return from_context
    own = OwnWorkspace(identity=identity, store=store)
    own.get()  # auth.test failing now is logged; the next request asks again
    return own


def adopt_own_rows(*, many: bool, store: Store, client: WebClient) -> None:
    """One workspace, in a process without requests (the clock, post-due): the rows
    from before many workspaces become the bot's team's before the first tick (they
    are not posted to until then)."""
    if not many:
        OwnWorkspace(identity=BotIdentity(client), store=store).get()
