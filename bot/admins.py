"""Who is an admin: the ADMIN_USER_IDS setting, plus the workspace's admins and
owners as Slack's `users.info` reports them, cached for a few minutes."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SlackUser:
    id: str
    is_admin: bool = False
    timezone: str | None = None


class UserDirectory:
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
        self._cache: dict[str, tuple[float, SlackUser]] = {}
        self._lock = threading.Lock()

    @property
    def configured_admins(self) -> frozenset[str]:
        return self._admin_ids

    def user(self, user_id: str) -> SlackUser:
        """What Slack says of a user; on a Slack error, what the settings alone say."""
        with self._lock:
            cached = self._cache.get(user_id)
        if cached and self._now() - cached[0] < self._ttl:
            return cached[1]
        try:
            info = self._client.users_info(user=user_id).get("user") or {}
        except (SlackApiError, OSError) as error:
            log.warning("users.info failed for %s: %s", user_id, _reason(error))
            return SlackUser(user_id, is_admin=user_id in self._admin_ids)
        user = SlackUser(
            id=user_id,
            is_admin=user_id in self._admin_ids
            or bool(info.get("is_admin") or info.get("is_owner") or info.get("is_primary_owner")),
            timezone=info.get("tz") or None,
        )
        with self._lock:
            self._cache[user_id] = (self._now(), user)
        return user

    def is_admin(self, user_id: str) -> bool:
        return user_id in self._admin_ids or self.user(user_id).is_admin

    def known_admin(self, user_id: str) -> bool:
        """Admin by the settings or by what Slack said recently; never calls Slack,
        so it is safe before an acknowledgement."""
        if user_id in self._admin_ids:
            return True
        with self._lock:
            cached = self._cache.get(user_id)
        return bool(cached and cached[1].is_admin)

    def who_can_help(self) -> str:
        if self._admin_ids:
            return (
                ", ".join(f"<@{uid}>" for uid in sorted(self._admin_ids)) + " or a workspace admin"
            )
        return "a workspace admin or owner"


def _reason(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error", "unknown_error"))
    return type(error).__name__
