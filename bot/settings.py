"""Configuration: read once at start from the environment (and `.env`), into one object.

A missing or malformed setting raises `SettingsError` listing every problem with
where to get the value; `bot.__main__` turns that into one message and exit 2.
Secrets are wrapped so that no repr, log line or error can show them.

Two ways to run: one workspace (SLACK_BOT_TOKEN; Socket Mode or HTTP; the default)
or many workspaces (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET;
HTTP only, each workspace's token comes from its installation). A mixture of the two
is refused with one message, before anything starts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.core.grammar import canonical_timezone, parse_day, parse_time

# Which secrets each way of running needs.
REQUIRED: dict[str, tuple[str, ...]] = {
    "socket": ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"),
    "http": ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"),
    "clock": ("SLACK_BOT_TOKEN",),
    "post-due": ("SLACK_BOT_TOKEN",),
    "migrate": (),
    "offline": (),
    "playground": (),  # no Slack at all: bot.playground makes its own stand-ins
}
# ... and in many-workspace mode, where each workspace's token comes from its installation.
REQUIRED_MANY: dict[str, tuple[str, ...]] = {
    "http": ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_SIGNING_SECRET"),
    "clock": ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"),
    "post-due": ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"),
}
OAUTH = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")
# Any of these set means someone means to connect Slack (see credentials_configured).
CREDENTIALS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", *OAUTH)

WHERE = {
    "SLACK_BOT_TOKEN": "the app's OAuth & Permissions page, 'Bot User OAuth Token' (xoxb-...)",
    "SLACK_APP_TOKEN": "the app's Basic Information page, 'App-Level Tokens', with the "
    "connections:write scope (xapp-...)",
    "SLACK_SIGNING_SECRET": "the app's Basic Information page, 'App Credentials', 'Signing Secret'",
    "SLACK_CLIENT_ID": "the app's Basic Information page, 'App Credentials', 'Client ID'",
    "SLACK_CLIENT_SECRET": "the app's Basic Information page, 'App Credentials', 'Client Secret'",
}
OFFLINE_SETTINGS = ("LOG_LEVEL", "TIPS_PATH")
_PREFIXES = {"SLACK_BOT_TOKEN": "xoxb-", "SLACK_APP_TOKEN": "xapp-"}
_CLIENT_ID_SHAPE = re.compile(r"[0-9]+\.[0-9]+")  # Slack's client ids: digits.digits
# Slack's tokens and signing secrets are printable ASCII without spaces; anything
# else is a copy-and-paste accident that would otherwise fail deep in an HTTP header.
_SECRET_SHAPE = re.compile(r"[!-~]+")


class SettingsError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Secret:
    """A value that must never be printed."""

    _value: str = field(repr=False)

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('********')" if self._value else "Secret('')"

    __str__ = __repr__


class Workspaces(StrEnum):
    """How many workspaces this deployment serves."""

    ONE = "one workspace"  # SLACK_BOT_TOKEN: the workspace the token belongs to
    MANY = "many workspaces"  # OAuth: any workspace that installs it at /slack/install


@dataclass(frozen=True)
class Settings:
    workspaces: Workspaces = Workspaces.ONE
    bot_token: Secret = Secret("")
    client_id: str = ""  # public (it is in every install link), but only set in MANY mode
    client_secret: Secret = Secret("")
    signing_secret: Secret = Secret("")
    app_token: Secret = Secret("")
    tips_path: Path = Path("content/tips.yaml")
    port: int = 3000
    log_level: str = "INFO"
    slack_api_base_url: str | None = None
    database_url: Secret = Secret("")
    weekly_day: int = 0
    weekly_time: time = time(9, 0)
    default_timezone: str = "UTC"
    catchup_hours: int = 12
    admin_user_ids: frozenset[str] = frozenset()
    subscribe_requires_admin: bool = True
    tick_seconds: int = 30
    reload_seconds: float = 2.0
    web_concurrency: int = 2
    web_threads: int = 2

    def describe(self, mode: str) -> str:
        """One log line on how this process runs, without a secret."""
        if self.workspaces is Workspaces.MANY:
            return (
                f"many workspaces: Slack OAuth with client id {self.client_id}; each workspace's "
                "token comes from its installation; install page /slack/install"
            )
        transport = {"socket": "over Socket Mode", "http": "over HTTP"}.get(mode, "")
        return f"one workspace: the bot token in SLACK_BOT_TOKEN {transport}".rstrip()


def _seconds(raw: str | None, *, default: float) -> float | None:
    """A duration in seconds from 0 to an hour; None when it is not one."""
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if 0 <= value <= 3600 else None  # also refuses nan and inf


def _secret_problems(env: Mapping[str, str]) -> list[str]:
    problems = []
    client_id = env.get("SLACK_CLIENT_ID")
    if client_id and not _CLIENT_ID_SHAPE.fullmatch(client_id):
        problems.append(
            "SLACK_CLIENT_ID does not look right: it is digits, a dot and digits, like "
            f"1234567890.0987654321. Get it from {WHERE['SLACK_CLIENT_ID']}."
        )
    for name in WHERE:
        if name == "SLACK_CLIENT_ID":
            continue
        value = env.get(name)
        if not value:
            continue
        prefix = _PREFIXES.get(name, "")
        if not value.startswith(prefix):
            problems.append(
                f"{name} does not look right: it should start with {prefix!r}. "
                f"Get it from {WHERE[name]}."
            )
        elif not _SECRET_SHAPE.fullmatch(value):
            problems.append(
                f"{name} has characters a Slack credential never has (spaces, control "
                f"characters or letters outside ASCII). Copy it again from {WHERE[name]}."
            )
    return problems


def _is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - reading it raises ValueError for a port that is not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _database_url_problems(value: str) -> list[str]:
    from bot.store.urls import DatabaseUrlError, check_database_url  # imports SQLAlchemy

    try:
        check_database_url(value)
    except DatabaseUrlError as error:
        return [str(error)]
    return []


def credentials_configured(environ: Mapping[str, str]) -> bool:
    """Whether any Slack credential is set: `python -m bot run` then runs the bot (and a
    half-configured app stops with the usual message) rather than the playground."""
    return any((environ.get(name) or "").strip() for name in CREDENTIALS)


def workspaces_of(env: Mapping[str, str], *, mode: str) -> Workspaces:
    """One workspace or many, from the credentials set; SettingsError with one message
    for a mixture that makes no sense."""
    has = {name: bool(env.get(name)) for name in (*WHERE, *OAUTH)}
    if not (has["SLACK_CLIENT_ID"] or has["SLACK_CLIENT_SECRET"]):
        return Workspaces.ONE
    choose = (
        "pmtip serves either one workspace (SLACK_BOT_TOKEN) or many (SLACK_CLIENT_ID, "
        "SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET, each workspace installing it at "
        "/slack/install)"
    )
    if has["SLACK_BOT_TOKEN"]:
        mixture = f"SLACK_BOT_TOKEN is set together with {_set(has, OAUTH)}: {choose}."
        raise SettingsError([f"{mixture} Unset SLACK_BOT_TOKEN or {_set(has, OAUTH)}."])
    if has["SLACK_APP_TOKEN"] or mode == "socket":
        raise SettingsError(
            [
                f"{_set(has, OAUTH)} {'is' if sum(has[n] for n in OAUTH) == 1 else 'are'} "
                "set, for many workspaces, which Slack serves only over HTTP (a distributed "
                "app cannot use Socket Mode): unset SLACK_APP_TOKEN and run `python -m bot "
                "http`; or, for one workspace over Socket Mode, unset "
                f"{_set(has, OAUTH)} and set SLACK_BOT_TOKEN."
            ]
        )
    if not (has["SLACK_CLIENT_ID"] and has["SLACK_CLIENT_SECRET"]):
        missing = "SLACK_CLIENT_SECRET" if has["SLACK_CLIENT_ID"] else "SLACK_CLIENT_ID"
        raise SettingsError(
            [
                f"{_set(has, OAUTH)} is set without {missing}: the two go together, for "
                f"many workspaces. Get {missing} from {WHERE[missing]}, or unset "
                f"{_set(has, OAUTH)} to serve one workspace with SLACK_BOT_TOKEN."
            ]
        )
    return Workspaces.MANY


def _set(has: Mapping[str, bool], names: tuple[str, ...]) -> str:
    return " and ".join(name for name in names if has[name])


def load_settings(environ: Mapping[str, str], *, mode: str) -> Settings:
    """Settings for running in `mode` (a key of REQUIRED), or SettingsError."""
    env = {k: v.strip() for k, v in environ.items() if isinstance(v, str)}
    workspaces = Workspaces.ONE
    if mode not in ("offline", "playground"):  # neither ever talks to a real Slack
        workspaces = workspaces_of(env, mode=mode)
    required = REQUIRED[mode]
    if workspaces is Workspaces.MANY:
        required = REQUIRED_MANY.get(mode, required)
    problems: list[str] = []
    for name in required:
        if not env.get(name):
            problems.append(f"{name} is not set. Get it from {WHERE[name]}.")
    problems += _secret_problems(env)
    numbers = _numbers(env, problems)
    log_level = _log_level(env, problems)
    base_url = _slack_api_base_url(env, problems)
    weekly = _weekly_defaults(env, problems)
    requires_admin_raw = env.get("SUBSCRIBE_REQUIRES_ADMIN", "true").lower() or "true"
    if requires_admin_raw not in ("true", "false", "1", "0", "yes", "no"):
        problems.append(f"SUBSCRIBE_REQUIRES_ADMIN={requires_admin_raw!r} must be true or false.")
    database_url = env.get("DATABASE_URL", "")
    if database_url and mode != "offline":  # offline commands never open the database
        problems += _database_url_problems(database_url)
    if mode == "offline":
        # `tip` and `validate` read only the tips file: a pre-commit hook must not
        # fail over a PORT meant for the server.
        problems = [p for p in problems if p.startswith(OFFLINE_SETTINGS)]
    if problems:
        raise SettingsError(problems)
    many = workspaces is Workspaces.MANY
    return Settings(
        workspaces=workspaces,
        bot_token=Secret(env.get("SLACK_BOT_TOKEN", "")),
        client_id=env.get("SLACK_CLIENT_ID", "") if many else "",
        client_secret=Secret(env.get("SLACK_CLIENT_SECRET", "") if many else ""),
        signing_secret=Secret(env.get("SLACK_SIGNING_SECRET", "")),
        app_token=Secret(env.get("SLACK_APP_TOKEN", "")),
        tips_path=Path(env.get("TIPS_PATH") or "content/tips.yaml"),
        log_level=log_level,
        slack_api_base_url=base_url,
        database_url=Secret(database_url),
        admin_user_ids=frozenset(
            uid.strip() for uid in env.get("ADMIN_USER_IDS", "").split(",") if uid.strip()
        ),
        subscribe_requires_admin=requires_admin_raw in ("true", "1", "yes"),
        **numbers,
        **weekly,
    )


def _numbers(env: Mapping[str, str], problems: list[str]) -> dict[str, Any]:
    """The numeric settings, by Settings field; a bad one is a problem, and its default."""

    def number(name: str, default: int, low: int, high: int) -> int:
        raw = env.get(name)
        if not raw:
            return default
        if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
            problems.append(f"{name}={raw!r} must be a whole number from {low} to {high}.")
            return default
        return int(raw)

    port = number("PORT", 3000, 1, 65535)
    catchup_hours = number("CATCHUP_HOURS", 12, 0, 167)
    tick_seconds = number("TICK_SECONDS", 30, 1, 3600)
    reload_seconds = _seconds(env.get("RELOAD_SECONDS"), default=2.0)
    if reload_seconds is None:
        problems.append(
            f"RELOAD_SECONDS={env['RELOAD_SECONDS']!r} must be a number of seconds from "
            "0 (no polling) to 3600, like 2 or 0.5."
        )
    return {
        "port": port,
        "catchup_hours": catchup_hours,
        "tick_seconds": tick_seconds,
        "reload_seconds": reload_seconds or 0.0,
        "web_concurrency": number("WEB_CONCURRENCY", 2, 1, 64),
        "web_threads": number("WEB_THREADS", 2, 1, 256),
    }


def _log_level(env: Mapping[str, str], problems: list[str]) -> str:
    log_level = env.get("LOG_LEVEL", "INFO").upper() or "INFO"
    if log_level not in logging.getLevelNamesMapping():
        problems.append(f"LOG_LEVEL={log_level!r} must be DEBUG, INFO, WARNING or ERROR.")
        return "INFO"
    return log_level


def _slack_api_base_url(env: Mapping[str, str], problems: list[str]) -> str | None:
    base_url = env.get("SLACK_API_BASE_URL") or None
    if not base_url:
        return None
    if not _is_http_url(base_url):
        problems.append(
            f"SLACK_API_BASE_URL={base_url!r} must be an http(s) URL with a numeric port, "
            "if any, like http://127.0.0.1:8080/api/."
        )
    return base_url.rstrip("/") + "/"


def _weekly_defaults(env: Mapping[str, str], problems: list[str]) -> dict[str, Any]:
    """WEEKLY_DAY, WEEKLY_TIME and DEFAULT_TIMEZONE, by Settings field."""
    weekly_day = parse_day(env.get("WEEKLY_DAY", "monday") or "monday")
    if weekly_day is None:
        problems.append(f"WEEKLY_DAY={env['WEEKLY_DAY']!r} must be a day name, like monday.")
    weekly_time = parse_time(env.get("WEEKLY_TIME", "09:00") or "09:00")
    if weekly_time is None:
        problems.append(f"WEEKLY_TIME={env['WEEKLY_TIME']!r} must be a 24-hour time, like 09:00.")
    default_timezone = canonical_timezone(env.get("DEFAULT_TIMEZONE", "UTC") or "UTC")
    if default_timezone is None:
        problems.append(
            f"DEFAULT_TIMEZONE={env['DEFAULT_TIMEZONE']!r} must be an IANA "
            "timezone, like Europe/Berlin."
        )
    return {
        "weekly_day": weekly_day or 0,
        "weekly_time": weekly_time or time(9, 0),
        "default_timezone": default_timezone or "UTC",
    }
