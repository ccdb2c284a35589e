"""Who and what is in the playground's workspace, and the settings the real app runs with.

The playground never reads a Slack credential, `DATABASE_URL` or the OAuth variables:
`playground_environment` keeps only the settings that shape what a person sees, and
`playground_settings` fills in the rest with values that can reach nothing but the
playground itself (a made-up token, the in-process stand-in, a SQLite file of its own).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.settings import Secret, Settings

# Settings a person may still set for the playground; everything else is its own.
PASSTHROUGH = (
    "TIPS_PATH",
    "PORT",
    "LOG_LEVEL",
    "WEEKLY_DAY",
    "WEEKLY_TIME",
    "DEFAULT_TIMEZONE",
    "CATCHUP_HOURS",
    "RELOAD_SECONDS",
)
DEFAULT_DATA_DIR = Path("data/playground")
DATABASE_FILE = "playground.sqlite3"
TOKEN_PREFIX = "xoxb-playground-"  # the bot token the app is given: valid nowhere but here

TEAM_ID = "TPLAY"
TEAM_NAME = "pmtip playground"
BOT_USER_ID = "UPMTIP"
BOT_ID = "BPMTIP"
APP_ID = "APMTIP"
BOT_NAME = "pmtip"
CHANNEL_ID = "CPLAYGROUND"
CHANNEL_NAME = "playground"


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str
    role: str  # "member" or "admin": the page's switch

    @property
    def dm_channel(self) -> str:
        """The id of this person's direct-message conversation with pmtip."""
        return "D" + self.id[1:]


MEMBER = Person("UMAYA", "Maya", "member")
ADMIN = Person("UALEX", "Alex", "admin")
PEOPLE = (MEMBER, ADMIN)


def person(role: str) -> Person:
    """The person playing `role`; the member for anything unknown."""
    return ADMIN if role == ADMIN.role else MEMBER


def playground_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The part of the environment the playground reads (no credential, no database)."""
    return {name: environ[name] for name in PASSTHROUGH if name in environ}


def playground_settings(
    base: Settings,
    *,
    api_base_url: str,
    database_path: Path,
    bot_token: str,
    signing_secret: str,
    tips_path: Path | None = None,
) -> Settings:
    """`base` with everything that could reach Slack or a real database replaced."""
    return dataclasses.replace(
        base,
        bot_token=Secret(bot_token),
        signing_secret=Secret(signing_secret),
        app_token=Secret(""),
        slack_api_base_url=api_base_url,
        database_url=Secret(f"sqlite:///{database_path.resolve()}"),
        admin_user_ids=frozenset({ADMIN.id}),  # pmtip's own rule decides who is an admin
        subscribe_requires_admin=True,
        tips_path=tips_path or base.tips_path,
    )
