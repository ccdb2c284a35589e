"""Settings fail fast, name what is missing and where to get it, and never show a secret."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

HTTP = {"SLACK_BOT_TOKEN": "xoxb-1-abc", "SLACK_SIGNING_SECRET": "s3cret"}


def test_defaults_for_http_mode():
    settings = load_settings(HTTP, mode="http")
    assert settings.port == 3000
    assert settings.tips_path == Path("content/tips.yaml")
    assert settings.weekly_day == 0 and settings.weekly_time == time(9, 0)
    assert settings.catchup_hours == 12
    assert settings.subscribe_requires_admin is True
    assert settings.slack_api_base_url is None


def test_every_missing_variable_is_named_with_where_to_get_it():
    with pytest.raises(SettingsError) as caught:
        load_settings({}, mode="socket")
    problems = "\n".join(caught.value.problems)
    assert "SLACK_BOT_TOKEN is not set" in problems and "OAuth & Permissions" in problems
    assert "SLACK_APP_TOKEN is not set" in problems and "App-Level Tokens" in problems
    assert "SLACK_SIGNING_SECRET" not in problems  # not needed over Socket Mode


def test_offline_mode_needs_no_token():
    assert load_settings({}, mode="offline").bot_token.reveal() == ""


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("LOG_LEVEL", "LOUD"),
        ("WEEKLY_DAY", "funday"),
        ("WEEKLY_TIME", "9am"),
        ("DEFAULT_TIMEZONE", "Mars/Base"),
        ("CATCHUP_HOURS", "-1"),
        ("SLACK_API_BASE_URL", "ftp://x"),
        ("SUBSCRIBE_REQUIRES_ADMIN", "maybe"),
        ("DATABASE_URL", "mysql://x"),
    ],
)
def test_malformed_values_are_reported(name, value):
    with pytest.raises(SettingsError) as caught:
        load_settings({**HTTP, name: value}, mode="http")
    assert any(name in problem for problem in caught.value.problems)


def test_a_token_with_the_wrong_prefix_is_reported_without_showing_it():
    with pytest.raises(SettingsError) as caught:
        load_settings({**HTTP, "SLACK_BOT_TOKEN": "xapp-very-secret"}, mode="http")
    assert "very-secret" not in str(caught.value)
    assert "xoxb-" in str(caught.value)


def test_secrets_never_show_in_repr():
    settings = load_settings({**HTTP, "DATABASE_URL": "postgresql://u:pw@h/db"}, mode="http")
    shown = repr(settings) + str(settings)
    assert "xoxb-1-abc" not in shown and "s3cret" not in shown and "pw@" not in shown
    assert settings.bot_token.reveal() == "xoxb-1-abc"


def test_base_url_gets_a_trailing_slash_and_admins_are_split():
    settings = load_settings(
        {**HTTP, "SLACK_API_BASE_URL": "http://127.0.0.1:9/api", "ADMIN_USER_IDS": "U1, U2,,"},
        mode="http",
    )
    assert settings.slack_api_base_url == "http://127.0.0.1:9/api/"
    assert settings.admin_user_ids == {"U1", "U2"}


def test_offline_commands_ignore_settings_they_do_not_use():
    settings = load_settings({"PORT": "abc", "WEEKLY_DAY": "funday"}, mode="offline")
    assert settings.port == 3000
    with pytest.raises(SettingsError):
        load_settings({"LOG_LEVEL": "LOUD"}, mode="offline")


def test_any_slack_credential_counts_as_configured_for_make_run():
    from bot.settings import credentials_configured

    assert not credentials_configured({})
    assert not credentials_configured({"SLACK_BOT_TOKEN": "  ", "DATABASE_URL": "sqlite://"})
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        assert credentials_configured({name: "x"})  # half a set-up runs the bot, which says so
