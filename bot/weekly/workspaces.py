"""Many workspaces: the weekly post goes out with each subscription's own workspace's
token, looked up for that workspace (and refreshed when it rotates and expires soon:
bot.slack.installations.Tokens), and judges authorship with that workspace's bot.

With one workspace there is none of this: the run's one client and identity serve
every subscription (bot.weekly.run.Run.workspaces is None).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from cachetools import LRUCache
from slack_sdk import WebClient

from bot.core.workspace import Workspace
from bot.slack.client import web_client
from bot.slack.identity import BotIdentity
from bot.store.base import Subscription

KEPT = 1024  # workspaces whose client and bot identity a clock keeps at hand


@dataclass
class WorkspaceSlack:
    """Each subscription's workspace, and that workspace's client and bot identity."""

    workspace_of: Callable[[Subscription], Workspace]
    token_for: Callable[[Workspace], str | None]  # None: not installed, or no usable token
    client_with: Callable[[str], WebClient]  # a client with this token, without retries
    _clients: LRUCache[str, WebClient] = field(default_factory=lambda: LRUCache(maxsize=KEPT))
    _identities: LRUCache[Workspace, BotIdentity] = field(
        default_factory=lambda: LRUCache(maxsize=KEPT)
    )
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, sub: Subscription) -> WebClient | None:
        token = self.token_for(self.workspace_of(sub))
        if token is None:
            return None
        with self._lock:
            client = self._clients.get(token)
            if client is None:  # a new token (an install, a refresh): a client for it
                client = self._clients[token] = self.client_with(token)
            return client

    def identity(self, sub: Subscription) -> BotIdentity:
        """The workspace's bot, as its auth.test says (asked once; a bot's ids outlive
        its tokens)."""
        workspace = self.workspace_of(sub)
        with self._lock:
            identity = self._identities.get(workspace)
        if identity is None:
            client = self.client(sub) or self.client_with("")  # no token: "cannot tell"
            identity = BotIdentity(client)
            with self._lock:
                identity = self._identities.setdefault(workspace, identity)
        return identity


def subscription_workspace(sub: Subscription) -> Workspace:
    """The workspace a subscription row belongs to.

    SEAM: subscription rows carry their workspace once the store keys its rows by
    workspace (branch mdata); until then, with many workspaces, no weekly post can
    know where it goes, and says so instead of guessing."""
    workspace = getattr(sub, "workspace", None)
    if not isinstance(workspace, Workspace):
        raise LookupError("subscriptions do not record their workspace yet")
    return workspace


def workspace_slack(
    *, token_for: Callable[[Workspace], str | None], base_url: str | None
) -> WorkspaceSlack:
    """Each workspace's client for the weekly post (no retry handlers: bot.weekly
    decides about retries), aimed where SLACK_API_BASE_URL says."""
    return WorkspaceSlack(
        workspace_of=subscription_workspace,
        token_for=token_for,
        client_with=lambda token: web_client(token=token, base_url=base_url, retries=False),
    )
