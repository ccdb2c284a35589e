"""Bolt's OAuth for many workspaces: the install flow and how a request finds its token.

Built from Bolt's own parts (`OAuthSettings`, `OAuthFlow`, `InstallationStoreAuthorize`),
with pmtip's pages and stores (bot.slack.installations). Every Web API call they make
(oauth.v2.access, auth.test, a token refresh) goes through the client they are handed,
so SLACK_API_BASE_URL reaches them too: Bolt's defaults would build their own clients
aimed at slack.com.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cachetools import TTLCache
from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth import OAuthStateStore
from sqlalchemy import Engine

from bot.slack.app import Installs
from bot.slack.client import web_client
from bot.slack.install_pages import failure_page, install_page, success_page
from bot.slack.installations import (
    BOT_SCOPES,
    CACHE_SECONDS,
    CACHE_SIZE,
    REFRESH_MINUTES,
    STATE_SECONDS,
    CachedInstallationStore,
    Tokens,
    installation_store,
    state_store,
)
from bot.slack.workspace_clients import WorkspaceClients

log = logging.getLogger(__name__)
OAUTH_LOG = logging.getLogger("bot.bolt.oauth")
HTML: dict[str, str | Sequence[str]] = {"Content-Type": "text/html; charset=utf-8"}
_CODE = re.compile(r"(with code: )\S+")


class _HideCode(logging.Filter):
    """Bolt logs the code it could not exchange ("... with code: <code> - error: ..."):
    with the client secret a code becomes a token, and Slack may refuse it for a moment
    only (ratelimited), so the code is masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _CODE.search(message):
            record.msg, record.args = _CODE.sub(r"\1********", message), None
        return True


OAUTH_LOG.addFilter(_HideCode())


@dataclass(frozen=True)
class OAuthCredentials:
    client_id: str
    client_secret: str = field(repr=False)  # never in a log line or a traceback


class _PmtipOAuthFlow(OAuthFlow):
    """Bolt's flow with pmtip's install page."""

    def build_install_page_html(self, url: str, request: BoltRequest) -> str:
        return install_page(url)


def _success(args: SuccessArgs) -> BoltResponse:
    installation = args.installation
    log.info(
        "installed in workspace %s (enterprise %s)",
        installation.team_id,
        installation.enterprise_id or "none",
    )
    body = success_page(
        team_name=installation.team_name or installation.enterprise_name or "",
        team_id=installation.team_id or "",
        app_id=installation.app_id or "",
    )
    return BoltResponse(status=200, body=body, headers=_forget_state_cookie(args.settings))


def _failure(args: FailureArgs) -> BoltResponse:
    # The reason may come from the redirect's query (`error=`): a short excerpt only.
    log.warning("an installation failed: %s", args.reason[:80])
    return BoltResponse(
        # A store that failed is a moment's outage, not a server error: try again.
        status=503 if args.suggested_status_code >= 500 else args.suggested_status_code,
        body=failure_page(args.reason),
        headers=_forget_state_cookie(args.settings),
    )


def _forget_state_cookie(settings: OAuthSettings) -> dict[str, str | Sequence[str]]:
    return {**HTML, "Set-Cookie": [settings.state_utils.build_set_cookie_for_deletion()]}


class _LockedTtlCache(MutableMapping[str, Any]):
    """A bounded TTL cache that several threads may share (Bolt's own cache is a dict
    that grows with every token it sees)."""

    def __init__(self, *, size: int, seconds: float) -> None:
        self._cache: TTLCache[str, Any] = TTLCache(maxsize=size, ttl=seconds)
        self._lock = threading.Lock()

    def __getitem__(self, key: str) -> Any:
        with self._lock:
            return self._cache[key]

    def __setitem__(self, key: str, value: Any) -> None:
        with self._lock:
            self._cache[key] = value

    def __delitem__(self, key: str) -> None:
        with self._lock:
            del self._cache[key]

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._cache

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            return iter(list(self._cache))

    def __len__(self) -> int:
        with self._lock:
            return len(self._cache)


def authorize(
    *,
    credentials: OAuthCredentials,
    installations: CachedInstallationStore,
    client: WebClient,
) -> InstallationStoreAuthorize:
    """How each request finds its workspace's token: the cached installation, refreshed
    when it rotates and expires soon, and the bot's ids (auth.test) cached per token."""
    found = InstallationStoreAuthorize(
        logger=logging.getLogger("bot.bolt.authorize"),
        installation_store=installations,
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
        token_rotation_expiration_minutes=REFRESH_MINUTES,
        cache_enabled=True,
        client=client,  # the token refresh's oauth.v2.access, at SLACK_API_BASE_URL
    )
    cache = _LockedTtlCache(size=CACHE_SIZE, seconds=CACHE_SECONDS)
    found.authorize_result_cache = cache  # type: ignore[assignment]  # a dict in Bolt
    return found


def oauth_flow(
    *,
    credentials: OAuthCredentials,
    installations: CachedInstallationStore,
    states: OAuthStateStore,
    client: WebClient,
) -> OAuthFlow:
    """`/slack/install` and `/slack/oauth_redirect`, answered by bot.slack.web."""
    settings = OAuthSettings(
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        installation_store=installations,
        installation_store_bot_only=False,
        token_rotation_expiration_minutes=REFRESH_MINUTES,
        state_store=states,
        state_expiration_seconds=STATE_SECONDS,
        callback_options=CallbackOptions(success=_success, failure=_failure),
        logger=logging.getLogger("bot.bolt.oauth"),
    )
    return _PmtipOAuthFlow(client=client, settings=settings, logger=OAUTH_LOG)


def open_installs(
    *, engine: Engine, client_id: str, client_secret: str, client: WebClient, base_url: str | None
) -> Installs:
    """Everything many workspaces need, on pmtip's database engine; every call to Slack
    through `client` (or, for the clock's refreshes, a client aimed at the same place)."""
    credentials = OAuthCredentials(client_id=client_id, client_secret=client_secret)
    found = installation_store(engine, client_id=client_id)
    refresher = web_client(token="", base_url=base_url, retries=True)
    tokens = Tokens(store=found, client_id=client_id, client_secret=client_secret, client=refresher)
    return Installs(
        flow=oauth_flow(
            credentials=credentials, installations=found, states=state_store(engine), client=client
        ),
        authorize=authorize(credentials=credentials, installations=found, client=client),
        store=found,
        token_for=tokens.token_for,
        clients=WorkspaceClients(token_for=tokens.token_for, base_url=base_url),
        installer_of=lambda enterprise_id, team_id: _installer(found, enterprise_id, team_id),
    )


def _installer(
    installations: CachedInstallationStore, enterprise_id: str | None, team_id: str | None
) -> str | None:
    found = installations.find_installation(enterprise_id=enterprise_id, team_id=team_id)
    return found.user_id if found else None
