"""Configuration: read once at start from the environment (and `.env`), into one object.

A missing or malformed setting raises `SettingsError` listing every problem with
where to get the value; `bot.__main__` turns that into one message and exit 2.
Secrets are wrapped so that no repr, log line or error can show them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
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
# Any of these set means someone means to connect Slack (see credentials_configured).
CREDENTIALS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET")

WHERE = {
    "SLACK_BOT_TOKEN": "the app's OAuth & Permissions page, 'Bot User OAuth Token' (xoxb-...)",
    "SLACK_APP_TOKEN": "the app's Basic Information page, 'App-Level Tokens', with the "
    "connections:write scope (xapp-...)",
    "SLACK_SIGNING_SECRET": "the app's Basic Information page, 'App Credentials', 'Signing Secret'",
}
OFFLINE_SETTINGS = ("LOG_LEVEL", "TIPS_PATH")
_PREFIXES = {"SLACK_BOT_TOKEN": "xoxb-", "SLACK_APP_TOKEN": "xapp-"}
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


@dataclass(frozen=True)
class Settings:
    bot_token: Secret = Secret("")
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
    for name in WHERE:
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


def load_settings(environ: Mapping[str, str], *, mode: str) -> Settings:
    """Settings for running in `mode` (a key of REQUIRED), or SettingsError."""
    env = {k: v.strip() for k, v in environ.items() if isinstance(v, str)}
    problems: list[str] = []
    for name in REQUIRED[mode]:
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
    return Settings(
        bot_token=Secret(env.get("SLACK_BOT_TOKEN", "")),
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
