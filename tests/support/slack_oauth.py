"""The stand-in Slack's side of "Add to Slack": workspaces, install codes and their tokens.

`FakeSlackApi` (tests/support/slack_api.py) mixes this in. A test first gives the
stand-in the app's credentials (`app_credentials`), then "installs" the app in a
workspace the way Slack would after the person approves: `install_code(team)` hands
back the one-time code Slack sends to the redirect URL. `oauth.v2.access` trades it
for that workspace's own bot token (and, with `rotation` on, a refresh token and an
expiry), as Slack does; `grant_type=refresh_token` refreshes it. Every token knows
its workspace, so `auth.test` answers for the right team, and a revoked or expired
token is refused as Slack refuses it.
"""

from __future__ import annotations

import base64
import itertools
import threading
import time
from dataclasses import dataclass
from typing import Any

TOKEN_LIFETIME = 43_200  # seconds: Slack's rotating tokens live 12 hours


@dataclass
class Team:
    id: str
    name: str
    enterprise_id: str | None = None
    bot_user_id: str = ""
    bot_id: str = ""
    installer: str = "UINSTALLER"


@dataclass
class _Token:
    team: str
    expires_at: float | None = None  # time.time(); None: it never expires
    revoked: bool = False


class OAuthWorkspaces:
    """State and answers for the OAuth methods; mixed into FakeSlackApi."""

    scopes: frozenset[str]

    def _init_oauth(self) -> None:
        self.client_id = "1111.2222"
        self.client_secret = "stand-in-client-secret"
        self.app_id = "APMTIP"
        self.rotation = False  # issue refresh tokens and expiring bot tokens
        self.token_lifetime = TOKEN_LIFETIME
        self.teams: dict[str, Team] = {}
        self._tokens: dict[str, _Token] = {}
        self._codes: dict[str, str] = {}  # one-time code -> team id
        self._refresh: dict[str, str] = {}  # refresh token -> team id
        self._numbers = itertools.count(1)
        self._oauth_lock = threading.Lock()

    # -- programming it ------------------------------------------------------------

    def app_credentials(self, *, client_id: str, client_secret: str) -> None:
        self.client_id, self.client_secret = client_id, client_secret

    def team(self, team_id: str, *, name: str = "", enterprise_id: str | None = None) -> Team:
        """The workspace `team_id` (made on first mention), with its own bot user."""
        with self._oauth_lock:
            found = self.teams.get(team_id)
            if found is None:
                found = self.teams[team_id] = Team(
                    id=team_id,
                    name=name or f"Workspace {team_id}",
                    enterprise_id=enterprise_id,
                    bot_user_id=f"UBOT{team_id}",
                    bot_id=f"BBOT{team_id}",
                )
            return found

    def install_code(self, team_id: str, *, installer: str = "UINSTALLER") -> str:
        """The code Slack sends to the redirect URL once someone in `team_id` approves."""
        self.team(team_id).installer = installer
        with self._oauth_lock:
            code = f"code-{team_id}-{next(self._numbers)}"
            self._codes[code] = team_id
        return code

    def revoke(self, team_id: str) -> None:
        """Every token of the workspace stops working (an uninstall, a revocation),
        its refresh tokens too."""
        with self._oauth_lock:
            for token in self._tokens.values():
                if token.team == team_id:
                    token.revoked = True
            for refresh, team in list(self._refresh.items()):
                if team == team_id:
                    del self._refresh[refresh]

    def expire(self, team_id: str) -> None:
        """The workspace's tokens are past their expiry (rotation)."""
        with self._oauth_lock:
            for token in self._tokens.values():
                if token.team == team_id and token.expires_at is not None:
                    token.expires_at = time.time() - 1

    def tokens_of(self, team_id: str) -> list[str]:
        """Every bot token issued to the workspace, oldest first."""
        with self._oauth_lock:
            return [t for t, token in self._tokens.items() if token.team == team_id]

    def team_of_token(self, token: str) -> str | None:
        with self._oauth_lock:
            found = self._tokens.get(token)
            return found.team if found else None

    # -- answering -----------------------------------------------------------------

    def token_error(self, token: str) -> str | None:
        """Slack's answer to a token it issued that no longer works; None otherwise."""
        with self._oauth_lock:
            found = self._tokens.get(token)
        if found is None:
            return None
        if found.revoked:
            return "token_revoked"
        if found.expires_at is not None and found.expires_at <= time.time():
            return "token_expired"
        return None

    def oauth_v2_access(self, params: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        if not self._client_matches(params, headers):
            return {"ok": False, "error": "invalid_client_id"}
        if params.get("grant_type") == "refresh_token":
            return self._refreshed(str(params.get("refresh_token") or ""))
        with self._oauth_lock:
            team_id = self._codes.pop(str(params.get("code") or ""), None)  # used once
        if team_id is None:
            return {"ok": False, "error": "invalid_code"}
        team = self.team(team_id)
        answer = {
            "ok": True,
            "app_id": self.app_id,
            "authed_user": {"id": team.installer},
            "scope": ",".join(sorted(self.scopes)),
            "token_type": "bot",
            "bot_user_id": team.bot_user_id,
            "team": {"id": team.id, "name": team.name},
            "enterprise": {"id": team.enterprise_id} if team.enterprise_id else None,
            "is_enterprise_install": False,
        }
        return answer | self._new_token(team.id)

    def _refreshed(self, refresh_token: str) -> dict[str, Any]:
        with self._oauth_lock:
            team_id = self._refresh.get(refresh_token)
        if team_id is None:
            return {"ok": False, "error": "invalid_refresh_token"}
        answer = {"ok": True, "app_id": self.app_id, "token_type": "bot", "team": {"id": team_id}}
        return answer | self._new_token(team_id, refresh_token=refresh_token)

    def _new_token(self, team_id: str, *, refresh_token: str | None = None) -> dict[str, Any]:
        with self._oauth_lock:
            n = next(self._numbers)
            token = f"xoxb-{team_id}-{n}"
            expires_at = time.time() + self.token_lifetime if self.rotation else None
            self._tokens[token] = _Token(team=team_id, expires_at=expires_at)
            fields: dict[str, Any] = {"access_token": token}
            if self.rotation:
                refresh_token = refresh_token or f"xoxe-1-{team_id}-{n}"
                self._refresh[refresh_token] = team_id
                fields |= {"refresh_token": refresh_token, "expires_in": self.token_lifetime}
            return fields

    def _client_matches(self, params: dict[str, Any], headers: dict[str, str]) -> bool:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                client_id, _, secret = base64.b64decode(value).decode().partition(":")
            except ValueError:
                return False
        else:
            client_id = str(params.get("client_id") or "")
            secret = str(params.get("client_secret") or "")
        return (client_id, secret) == (self.client_id, self.client_secret)

    def auth_test_for(self, token: str) -> dict[str, Any] | None:
        """auth.test's answer for a token issued by an install; None for any other."""
        team_id = self.team_of_token(token)
        if team_id is None:
            return None
        team = self.team(team_id)
        return {
            "ok": True,
            "url": f"https://{team.id.lower()}.slack.com/",
            "team": team.name,
            "user": "pmtip",
            "team_id": team.id,
            "user_id": team.bot_user_id,
            "bot_id": team.bot_id,
            "enterprise_id": team.enterprise_id,
            "is_enterprise_install": False,
        }
