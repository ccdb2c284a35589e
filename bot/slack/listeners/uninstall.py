"""Many workspaces: a workspace that uninstalls pmtip, or revokes its bot token, is
forgotten within the same request: its installation and every row pmtip keeps for it
(subscriptions, the delivery ledger, rotation, votes). With no subscription left,
nothing more is posted there; a reinstall starts fresh.

Bolt skips the token lookup for these two events (the token is already dead) and
acknowledges them once the listener returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import BoltContext
from slack_sdk.oauth.installation_store import InstallationStore

from bot.core.workspace import Workspace
from bot.slack.payloads import workspace_of

log = logging.getLogger(__name__)

Forget = Callable[[Workspace], None]


def uninstalled_listener(
    *, installations: InstallationStore, forget_data: Forget
) -> Callable[..., None]:
    def app_uninstalled(context: BoltContext) -> None:
        _forget(context, installations=installations, forget_data=forget_data, why="uninstalled")

    return app_uninstalled


def tokens_revoked_listener(
    *, installations: InstallationStore, forget_data: Forget
) -> Callable[..., None]:
    def tokens_revoked(event: Mapping[str, Any], context: BoltContext) -> None:
        # pmtip asks for no user scopes, so only the bot's token matters; a user token
        # revoked elsewhere leaves the installation as it is.
        # A signed event of another shape than Slack's (a list of bot user ids) is
        # acknowledged and changes nothing: no traceback, no retries.
        tokens = event.get("tokens")
        bots = tokens.get("bot") if isinstance(tokens, Mapping) else None
        if isinstance(bots, list) and bots:
            _forget(context, installations=installations, forget_data=forget_data, why="revoked")

    return tokens_revoked


def _forget(
    context: BoltContext, *, installations: InstallationStore, forget_data: Forget, why: str
) -> None:
    workspace = workspace_of(context)
    if context.is_enterprise_install and workspace.enterprise_id:
        # An org-wide install ends for every workspace of the org (Store.delete_workspace).
        workspace = Workspace(team_id="", enterprise_id=workspace.enterprise_id)
    installations.delete_all(enterprise_id=context.enterprise_id, team_id=context.team_id)
    forget_data(workspace)
    log.info("workspace %s %s pmtip: its installation and data are deleted", workspace, why)
