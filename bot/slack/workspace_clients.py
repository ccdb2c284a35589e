"""Many workspaces: the client and bot identity the weekly post uses for each workspace.

The scheduler runs without a request, so Bolt resolves no token for it: each
workspace's bot token comes from its installation (bot.slack.installations.Tokens,
which refreshes a rotating token first). A workspace without one (never installed,
uninstalled, its token revoked or not refreshable) gets no client: only its own
posts stop. Clients and identities are kept per (workspace, token) in a bounded LRU,
so a rotated token gets a fresh pair and 1,000 workspaces cost 1,000 entries at most.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from cachetools import LRUCache
from slack_sdk import WebClient

from bot.core.workspace import Workspace
from bot.slack.client import web_client
from bot.slack.identity import BotIdentity

CLIENTS_KEPT = 2048  # as many as the installation cache (bot.slack.installations)

TokenFor = Callable[[Workspace], str | None]


@dataclass(frozen=True, slots=True)
class WorkspaceSlack:
    client: WebClient  # without retry handlers: bot.weekly decides about retries
    identity: BotIdentity  # this workspace's bot (its bot id differs per workspace)


class WorkspaceClients:
    def __init__(
        self, *, token_for: TokenFor, base_url: str | None, size: int = CLIENTS_KEPT
    ) -> None:
        self._token_for = token_for
        self._base_url = base_url
        self._kept: LRUCache[tuple[Workspace, str], WorkspaceSlack] = LRUCache(maxsize=size)
        self._lock = threading.Lock()  # cachetools' caches are not thread-safe

    def slack_for(self, workspace: Workspace) -> WorkspaceSlack | None:
        """The workspace's client and identity; None when it has no usable token."""
        token = self._token_for(workspace)
        if not token:
            return None
        key = (workspace, token)
        with self._lock:
            found = self._kept.get(key)
            if found is None:
                client = web_client(token=token, base_url=self._base_url, retries=False)
                found = self._kept[key] = WorkspaceSlack(
                    client=client, identity=BotIdentity(client)
                )
            return found
