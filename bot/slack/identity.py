"""Who this bot is, as Slack says it: its bot id (and app id, when Slack gives one)
from `auth.test`, asked once and then remembered.

Reconciliation needs it: a message carrying pmtip's metadata proves a week was
posted only if this bot wrote it. Anyone can copy the metadata (another app, a
message forwarded by hand), so the author is what counts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.workspace import Workspace
from bot.store.base import Store

log = logging.getLogger(__name__)

NO_WORKSPACE = Workspace(team_id="")
ASK_AGAIN_AFTER_SECONDS = 60.0  # after a failed auth.test; a success is kept for good


@dataclass(frozen=True, slots=True)
class Identity:
    bot_id: str
    app_id: str | None  # auth.test names it for some tokens only
    # The token's workspace ("" when auth.test named none): one-workspace mode adopts
    # the rows kept before rows had a workspace as this one's.
    workspace: Workspace = NO_WORKSPACE

    def wrote(self, message: Mapping[str, Any]) -> bool:
        """Whether this bot posted `message` (a message object from conversations.history)."""
        if message.get("bot_id") == self.bot_id:
            return True
        profile = message.get("bot_profile") or {}
        app_id = message.get("app_id") or profile.get("app_id")
        return self.app_id is not None and app_id == self.app_id


class BotIdentity:
    """This bot's Identity, learnt from auth.test on first use and cached.

    `get()` returns None while Slack cannot say (auth.test failed, or named no bot):
    callers must then treat a message they cannot attribute as unknown. A failure
    is remembered for a minute, so a run over many channels asks once, not per channel.
    """

    def __init__(
        self, client: WebClient, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._monotonic = monotonic
        self._known: Identity | None = None
        self._failed_at: float | None = None
        self._lock = threading.Lock()

    def workspace(self) -> Workspace | None:
        """The token's workspace, as auth.test names it; None while it cannot say."""
        known = self.get()
        return known.workspace if known is not None and known.workspace.team_id else None

    def get(self) -> Identity | None:
        with self._lock:
            if self._known is not None:
                return self._known
            if (
                self._failed_at is not None
                and self._monotonic() - self._failed_at < ASK_AGAIN_AFTER_SECONDS
            ):
                return None
            self._known = self._ask()
            self._failed_at = None if self._known else self._monotonic()
            return self._known

    def _ask(self) -> Identity | None:
        try:
            answer = self._client.auth_test()
        except SlackApiError as error:
            reason = error.response.get("error") or f"HTTP {error.response.status_code}"
            log.warning("auth.test failed (%s); cannot tell this bot's messages apart", reason)
            return None
        except OSError as error:
            log.warning("auth.test failed (%s); cannot tell this bot's messages apart", error)
            return None
        bot_id = str(answer.get("bot_id") or "")
        if not bot_id:
            log.warning("auth.test named no bot: SLACK_BOT_TOKEN should be a bot token (xoxb-)")
            return None
        workspace = Workspace(
            team_id=str(answer.get("team_id") or ""),
            enterprise_id=str(answer.get("enterprise_id") or ""),
        )
        return Identity(
            bot_id=bot_id, app_id=str(answer.get("app_id") or "") or None, workspace=workspace
        )


def adopt_rows_from_before_workspaces(store: Store, identity: BotIdentity) -> None:
    """One workspace: the rows kept before rows had a workspace (migration 0004 gave
    them the placeholder "") become this bot's workspace's, once its token names it."""
    known = identity.get()
    if known is None or not known.workspace.team_id:
        log.warning(
            "auth.test did not say which workspace this bot is in: rows kept before "
            "pmtip knew workspaces are adopted at the next start"
        )
        return
    adopted = store.adopt_placeholder_rows(known.workspace)
    if adopted:
        log.info(
            "adopted %d rows from before workspaces as workspace %s's", adopted, known.workspace
        )
