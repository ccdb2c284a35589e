"""Many workspaces: where each workspace's installation (its bot token) is kept and found.

slack_sdk's SQLAlchemy installation and OAuth-state stores, on the same database as
everything else (their tables come from pmtip's Alembic migrations), with three
things added:

- one row per workspace: a re-install replaces the workspace's installation
  instead of adding a row beside it (slack_sdk keeps every install as history);
- a state is consumed by one DELETE (two racing callbacks cannot both pass), and each
  new state deletes the expired ones (slack_sdk keeps them: anyone opens the page);
- a bounded LRU with a TTL in front of the lookups, so that finding a token costs
  the same with 1,000 installed workspaces as with one.

`Tokens.token_for(workspace)` is the scheduler's way to a workspace's token (it runs
without a request, so Bolt's own rotation never happens for it): it refreshes a
rotating token that is about to expire and saves it back, as Bolt does on requests.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy
from cachetools import TTLCache
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import Engine, and_
from sqlalchemy.exc import SQLAlchemyError

from bot.core.workspace import Workspace

log = logging.getLogger(__name__)

# What a workspace grants at install: the same minimal scopes as manifest.yml and
# manifest-distribution.yml (tests/test_manifest.py checks all three agree).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "channels:read",
    "channels:join",
    "channels:history",
    "groups:read",
    "groups:history",
    "mpim:read",
    "users:read",
)
CACHE_SIZE = 2048  # workspaces whose installation a process keeps at hand
CACHE_SECONDS = 60.0  # how stale another process's install, rotation or uninstall may look
REFRESH_MINUTES = 120  # refresh a rotating token this long before it expires (Bolt's default)
STATE_SECONDS = 600  # how long an "Add to Slack" link stays valid (Bolt's default)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)  # naive UTC, as slack_sdk keeps expire_at


def _enterprise(enterprise_id: str | None) -> str | None:
    return enterprise_id or None  # slack_sdk stores "no enterprise" as NULL; pmtip as ""


class WorkspaceInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store, keeping only the latest installation of each workspace."""

    def save(self, installation: Installation) -> None:
        try:
            super().save(installation)  # inserts the new one, or updates it (a rotation)
            self._forget_older(self.installations, installation)
        except SQLAlchemyError as error:  # Bolt shows its failure page for a BoltError
            raise BoltError(
                f"the installation could not be saved: {type(error).__name__}"
            ) from None

    def save_bot(self, bot: Bot) -> None:
        super().save_bot(bot)
        self._forget_older(self.bots, bot)

    def _forget_older(self, table: sqlalchemy.Table, row: Installation | Bot) -> None:
        """Delete every row of the workspace but its latest (the one just saved)."""
        c = table.c
        same_workspace = and_(
            c.client_id == self.client_id,
            c.enterprise_id == row.enterprise_id,
            c.team_id == row.team_id,
        )
        with self.engine.begin() as conn:
            latest = conn.execute(
                sqlalchemy.select(c.id)
                .where(same_workspace)
                .order_by(c.installed_at.desc(), c.id.desc())
                .limit(1)
            ).scalar()
            if latest is not None:
                conn.execute(table.delete().where(and_(same_workspace, c.id != latest)))


class OneTimeStateStore(SQLAlchemyOAuthStateStore):
    """slack_sdk's state store, whose `consume` is one DELETE: only one caller wins."""

    def issue(self, *args: Any, **kwargs: Any) -> str:
        expired = self.oauth_states.c.expire_at <= _now()
        with self.engine.begin() as conn:
            conn.execute(self.oauth_states.delete().where(expired))
        return str(super().issue(*args, **kwargs))

    def consume(self, state: str) -> bool:
        now = _now()
        c = self.oauth_states.c
        try:
            with self.engine.begin() as conn:
                gone = conn.execute(
                    self.oauth_states.delete().where(and_(c.state == state, c.expire_at > now))
                )
                return bool(gone.rowcount)
        except SQLAlchemyError as error:
            log.warning("an OAuth state could not be checked: %s", type(error).__name__)
            return False


class CachedInstallationStore(InstallationStore):
    """The installation store behind a bounded LRU with a TTL. Saving or deleting a
    workspace's installation here forgets it at once; other processes see the change
    within CACHE_SECONDS (an uninstall also deletes the workspace's subscriptions, so
    nothing is posted with a stale token meanwhile)."""

    def __init__(
        self,
        inner: InstallationStore,
        *,
        size: int = CACHE_SIZE,
        seconds: float = CACHE_SECONDS,
        timer: Callable[[], float] | None = None,
    ) -> None:
        self.inner = inner
        self._cache: TTLCache[tuple[Any, ...], Any] = TTLCache(
            maxsize=size, ttl=seconds, timer=timer or time.monotonic
        )
        self._lock = threading.Lock()  # cachetools' caches are not thread-safe
        self.lookups = 0  # how many lookups reached the inner store (for tests and benchmarks)

    @property
    def logger(self) -> logging.Logger:
        return log

    def _cached(self, key: tuple[Any, ...], find: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        found = find()
        with self._lock:
            self.lookups += 1
            self._cache[key] = found  # None too: an unknown workspace costs one lookup per TTL
        return found

    def forget(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        with self._lock:
            for key in [k for k in self._cache if k[1:3] == (enterprise_id, team_id)]:
                del self._cache[key]

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        key = ("installation", enterprise_id, team_id, user_id, bool(is_enterprise_install))
        found: Installation | None = self._cached(
            key,
            lambda: self.inner.find_installation(
                enterprise_id=enterprise_id,
                team_id=team_id,
                user_id=user_id,
                is_enterprise_install=is_enterprise_install,
            ),
        )
        return found

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        key = ("bot", enterprise_id, team_id, None, bool(is_enterprise_install))
        found: Bot | None = self._cached(
            key,
            lambda: self.inner.find_bot(
                enterprise_id=enterprise_id,
                team_id=team_id,
                is_enterprise_install=is_enterprise_install,
            ),
        )
        return found

    def save(self, installation: Installation) -> None:
        self.inner.save(installation)
        self.forget(enterprise_id=installation.enterprise_id, team_id=installation.team_id)
        if installation.is_enterprise_install:  # cached as team None (see slack_sdk's find)
            self.forget(enterprise_id=installation.enterprise_id, team_id=None)

    def save_bot(self, bot: Bot) -> None:
        self.inner.save_bot(bot)
        self.forget(enterprise_id=bot.enterprise_id, team_id=bot.team_id)

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.inner.delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        self.forget(enterprise_id=enterprise_id, team_id=team_id)

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        self.inner.delete_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )
        self.forget(enterprise_id=enterprise_id, team_id=team_id)

    def delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.inner.delete_all(enterprise_id=enterprise_id, team_id=team_id)
        self.forget(enterprise_id=enterprise_id, team_id=team_id)


def installation_store(engine: Engine, *, client_id: str) -> CachedInstallationStore:
    return CachedInstallationStore(WorkspaceInstallationStore(client_id=client_id, engine=engine))


def state_store(engine: Engine) -> OneTimeStateStore:
    return OneTimeStateStore(expiration_seconds=STATE_SECONDS, engine=engine)


class Tokens:
    """Each workspace's bot token for work done without a request (the weekly post)."""

    def __init__(
        self,
        *,
        store: InstallationStore,
        client_id: str,
        client_secret: str,
        client: WebClient,  # for oauth.v2.access; aimed at SLACK_API_BASE_URL
        refresh_minutes: int = REFRESH_MINUTES,
    ) -> None:
        self._store = store
        self._rotator = TokenRotator(
            client_id=client_id, client_secret=client_secret, client=client
        )
        self._refresh_minutes = refresh_minutes
        self._rotating = threading.Lock()  # one refresh at a time: a refresh token is used once

    def token_for(self, workspace: Workspace) -> str | None:
        """The workspace's bot token, refreshed first if it expires soon; None when the
        workspace has no installation or its token cannot be refreshed (logged)."""
        installation = self._installation(workspace)
        if installation is None or not installation.bot_token:
            return None
        if installation.bot_refresh_token is None:
            return installation.bot_token  # a token that does not rotate
        with self._rotating:
            installation = self._installation(workspace) or installation  # another may have
            try:
                refreshed = self._rotator.perform_token_rotation(
                    installation=installation, minutes_before_expiration=self._refresh_minutes
                )
            except (SlackTokenRotationError, SlackApiError, OSError) as error:
                log.warning(
                    "workspace %s: its token could not be refreshed (%s)",
                    workspace,
                    _reason(error),
                )
                return None
            if refreshed is None:
                return installation.bot_token
            self._store.save(refreshed)
            log.info("workspace %s: its bot token was refreshed", workspace)
            return refreshed.bot_token

    def _installation(self, workspace: Workspace) -> Installation | None:
        enterprise_id = _enterprise(workspace.enterprise_id)
        found = self._store.find_installation(
            enterprise_id=enterprise_id, team_id=workspace.team_id, is_enterprise_install=False
        )
        if found is None and enterprise_id is not None:  # an org-wide install covers it
            found = self._store.find_installation(
                enterprise_id=enterprise_id, team_id=None, is_enterprise_install=True
            )
        return found


def _reason(error: Exception) -> str:
    """Slack's error code for a failed refresh, or the kind of network failure."""
    api_error = getattr(error, "api_error", error)  # SlackTokenRotationError wraps one
    if isinstance(api_error, SlackApiError):
        return str(api_error.response.get("error") or "unknown_error")
    return type(error).__name__
