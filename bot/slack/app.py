"""The Bolt app: its settings, its middleware and every listener (bot.slack.routes).

No module-level App: bot.wiring calls `build_bolt_app` once per process (a test
once per app) with the listeners it built.

process_before_response=True runs each listener inline, so the reply to a
lookup travels in the HTTP response itself, without Bolt's 10 ms ack poll and
without a thread hand-off. Anything that calls Slack or the database runs after
the ack has gone: on the worker pool for /pmtip commands, as a lazy listener
for buttons.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.authorization.authorize import Authorize
from slack_bolt.middleware import Middleware
from slack_bolt.oauth import OAuthFlow
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import InstallationStore

from bot.core.workspace import Workspace
from bot.slack import routes
from bot.slack.install_pages import NOT_INSTALLED
from bot.slack.payloads import OWN_WORKSPACE
from bot.slack.request_token import RequestToken
from bot.slack.routes import Listeners
from bot.slack.workspace_clients import WorkspaceClients


@dataclass(frozen=True)
class Installs:
    """Many workspaces: the install flow, how a request finds its workspace's token,
    and how the clock does (bot.slack.oauth.open_installs builds them)."""

    flow: OAuthFlow
    authorize: Authorize
    store: InstallationStore
    token_for: Callable[[Workspace], str | None]
    clients: WorkspaceClients  # the weekly post's, per workspace (its token_for)
    installer_of: Callable[[str | None, str | None], str | None]  # (enterprise, team)


class _OnEveryRequest(Middleware):
    """Runs a cheap check before each request (the reloader's: threads do not survive
    gunicorn's fork, so each worker starts its poller on its first request). A
    Middleware subclass, not a function: Bolt calls it directly instead of building
    keyword arguments for it on every request, which cost more than the check.

    With one workspace (`own` given) it also makes every request's rows the bot's own
    team's (its token's, as auth.test names it), whatever team the payload names: in
    a Slack Connect channel a person of another organisation names theirs, and their
    vote on the weekly post must count in this workspace's stats, not start a
    workspace of its own. While auth.test cannot say, the payload's team stands.
    One middleware for both: each one more costs every request a hop through Bolt."""

    def __init__(
        self, check: Callable[[], None], own: Callable[[], Workspace | None] | None = None
    ) -> None:
        self._check = check
        self._own = own

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        self._check()
        if self._own is not None and (own := self._own()) is not None:
            req.context[OWN_WORKSPACE] = (own.team_id, own.enterprise_id)
        return next()


class _QuietTokenNotice(logging.Filter):
    # Bolt reads SLACK_BOT_TOKEN from the environment even when it is handed a
    # client, then warns that the token is unused: true, and only noise here.
    def filter(self, record: logging.LogRecord) -> bool:
        return "will be unused" not in record.getMessage()


def build_bolt_app(
    *,
    client: WebClient,
    signing_secret: str,
    socket_mode: bool,
    listeners: Listeners,
    on_every_request: Callable[[], None],
    installs: Installs | None = None,
    own_workspace: Callable[[], Workspace | None] | None = None,
    lazy_executor: Executor | None = None,
) -> App:
    """The app for one workspace (the client's token; `own_workspace` says which it is),
    or for every workspace that installed it (`installs`: each request gets its
    workspace's token)."""
    bolt_logger = logging.getLogger("bot.bolt")
    if not any(isinstance(f, _QuietTokenNotice) for f in bolt_logger.filters):
        bolt_logger.addFilter(_QuietTokenNotice())
    app = App(
        client=client,
        signing_secret=signing_secret,
        process_before_response=True,
        request_verification_enabled=not socket_mode,
        logger=bolt_logger,
        listener_executor=lazy_executor,
        oauth_flow=installs.flow if installs else None,
        authorize=installs.authorize if installs else None,  # type: ignore[arg-type]  # Bolt takes an Authorize too
        installation_store=installs.store if installs else None,
        user_facing_authorize_error_message=NOT_INSTALLED if installs else None,
    )
    app.use(_OnEveryRequest(on_every_request, None if installs else own_workspace))
    if installs is not None:
        app.use(RequestToken(installs.installer_of))
    routes.register(app, listeners)
    return app
