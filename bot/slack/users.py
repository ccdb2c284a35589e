"""Who is who in the workspace, as pmtip needs it, and the one definition of "admin":
someone in ADMIN_USER_IDS, or a workspace admin or owner (a person, not deleted,
not a bot) as Slack reports them, and with many workspaces the person who installed
pmtip in the workspace.

One person is asked about with `users.info` (cached for a few minutes: a command
checks its sender); everyone is listed with `users.list` only when all the admins
must be found (to tell them about a refused tips-file edit).
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

from bot.slack.limits import USERS_LIST_PAGE
from bot.slack.paging import pages
from bot.slack.request_token import request_installer, request_workspace_key

log = logging.getLogger(__name__)

USERS_LIST_PAGES_MAX = 20  # about 20,000 people; listing everyone is rare (a refused edit)


@dataclass(frozen=True, slots=True)
class SlackUser:
    id: str
    is_admin: bool = False
    timezone: str | None = None


def is_workspace_admin(member: Mapping[str, Any]) -> bool:
    """Whether Slack's user object is a workspace admin or owner pmtip counts as an admin."""
    if member.get("deleted") or member.get("is_bot"):
        return False
    return bool(member.get("is_admin") or member.get("is_owner") or member.get("is_primary_owner"))


def slack_reason(error: Exception) -> str:
    """Slack's error code, or the kind of network failure: for a log line."""
    if isinstance(error, SlackApiError):
        return str(error.response.get("error", "unknown_error"))
    return type(error).__name__


class Users:
    def __init__(
        self,
        client: WebClient,
        *,
        admin_ids: frozenset[str],
        ttl_seconds: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._admin_ids = admin_ids
        self._ttl = ttl_seconds
        self._now = monotonic
        # By (workspace, user): what one workspace's Slack said stays with it.
        self._cache: dict[tuple[str, str], tuple[float, SlackUser]] = {}
        self._lock = threading.Lock()

    def _named(self, user_id: str) -> bool:
        """An admin by pmtip's own rule: in ADMIN_USER_IDS, or (many workspaces) the one
        who installed pmtip in the workspace of the request being answered."""
        return user_id in self._admin_ids or user_id == request_installer()

    @property
    def configured_admins(self) -> frozenset[str]:
        return self._admin_ids

    def user(self, user_id: str) -> SlackUser:
        """What Slack says of a user; on a Slack error, what the settings alone say."""
        key = (request_workspace_key(), user_id)  # an Enterprise Grid user is in several
        with self._lock:
            cached = self._cache.get(key)
        if cached and self._now() - cached[0] < self._ttl:
            return cached[1]
        try:
            info = self._client.users_info(user=user_id).get("user") or {}
        except (SlackApiError, OSError) as error:
            log.warning("users.info failed for %s: %s", user_id, slack_reason(error))
            return SlackUser(user_id, is_admin=user_id in self._admin_ids)
        user = SlackUser(
            id=user_id,
            is_admin=user_id in self._admin_ids or is_workspace_admin(info),
            timezone=info.get("tz") or None,
        )
        with self._lock:
            self._cache[key] = (self._now(), user)
        return user

    def is_admin(self, user_id: str) -> bool:
        return self._named(user_id) or self.user(user_id).is_admin

    def known_admin(self, user_id: str) -> bool:
        """Admin by the settings or by what Slack said recently; never calls Slack,
        so it is safe before an acknowledgement."""
        if self._named(user_id):
            return True
        with self._lock:
            cached = self._cache.get((request_workspace_key(), user_id))
        return bool(cached and cached[1].is_admin)

    def who_can_help(self) -> str:
        if self._admin_ids:
            return (
                ", ".join(f"<@{uid}>" for uid in sorted(self._admin_ids)) + " or a workspace admin"
            )
        return "a workspace admin or owner"

    def admins(self) -> list[str]:
        """Every admin's user id: ADMIN_USER_IDS and the workspace's admins and owners.
        When Slack cannot list the workspace, the configured ones (and a warning)."""
        found = set(self._admin_ids)
        try:
            for page in pages(
                self._client.users_list, max_pages=USERS_LIST_PAGES_MAX, limit=USERS_LIST_PAGE
            ):
                found |= {
                    str(member["id"])
                    for member in page.get("members") or []
                    if is_workspace_admin(member)
                }
        except (SlackApiError, OSError) as error:
            log.warning(
                "could not list the workspace's admins (%s); telling ADMIN_USER_IDS",
                error.response.get("error") if isinstance(error, SlackApiError) else error,
            )
        return sorted(found)
