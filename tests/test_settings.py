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
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET",
    ):
        assert credentials_configured({name: "x"})  # half a set-up runs the bot, which says so


# -- one workspace or many ------------------------------------------------------------

MANY = {
    "SLACK_CLIENT_ID": "1234567890.0987654321",
    "SLACK_CLIENT_SECRET": "client-s3cret-value",
    "SLACK_SIGNING_SECRET": "s3cret",
}


def test_one_workspace_is_the_default_and_says_so():
    from bot.settings import Workspaces

    settings = load_settings(HTTP, mode="http")
    assert settings.workspaces is Workspaces.ONE
    assert settings.client_id == "" and not settings.client_secret
    assert settings.describe("http") == "one workspace: the bot token in SLACK_BOT_TOKEN over HTTP"


def test_client_id_and_secret_switch_on_many_workspaces_over_http_without_a_bot_token():
    from bot.settings import Workspaces

    settings = load_settings(MANY, mode="http")
    assert settings.workspaces is Workspaces.MANY
    assert settings.client_id == "1234567890.0987654321"
    assert settings.client_secret.reveal() == "client-s3cret-value"
    assert not settings.bot_token
    described = settings.describe("http")
    assert described.startswith("many workspaces") and "/slack/install" in described
    assert "client-s3cret-value" not in described + repr(settings)


def test_many_workspaces_over_http_still_need_the_signing_secret():
    with pytest.raises(SettingsError) as caught:
        load_settings({k: v for k, v in MANY.items() if k != "SLACK_SIGNING_SECRET"}, mode="http")
    assert caught.value.problems == [
        "SLACK_SIGNING_SECRET is not set. Get it from the app's Basic Information page, "
        "'App Credentials', 'Signing Secret'."
    ]


def test_the_clock_of_many_workspaces_needs_the_client_credentials_but_no_bot_token():
    from bot.settings import Workspaces

    clock = load_settings(
        {k: MANY[k] for k in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")}, mode="clock"
    )
    assert clock.workspaces is Workspaces.MANY


@pytest.mark.parametrize(
    ("env", "mode", "says"),
    [
        ({**MANY, "SLACK_BOT_TOKEN": "xoxb-1-abc"}, "http", "SLACK_BOT_TOKEN is set together with"),
        (
            {
                "SLACK_BOT_TOKEN": "xoxb-1-abc",
                "SLACK_CLIENT_SECRET": "x",
                "SLACK_APP_TOKEN": "xapp-1",
            },
            "socket",
            "SLACK_BOT_TOKEN is set together with SLACK_CLIENT_SECRET",
        ),
        (
            {"SLACK_APP_TOKEN": "xapp-1-abc", "SLACK_CLIENT_ID": "1.2"},
            "socket",
            "only over HTTP",
        ),
        ({**MANY, "SLACK_APP_TOKEN": "xapp-1-abc"}, "http", "only over HTTP"),
        (MANY, "socket", "only over HTTP"),
        (
            {"SLACK_CLIENT_ID": "1.2", "SLACK_SIGNING_SECRET": "s"},
            "http",
            "without SLACK_CLIENT_SECRET",
        ),
        (
            {"SLACK_CLIENT_SECRET": "x", "SLACK_SIGNING_SECRET": "s"},
            "http",
            "without SLACK_CLIENT_ID",
        ),
    ],
)
def test_a_mixture_that_makes_no_sense_is_one_message(env, mode, says):
    with pytest.raises(SettingsError) as caught:
        load_settings(env, mode=mode)
    assert len(caught.value.problems) == 1, caught.value.problems
    (problem,) = caught.value.problems
    assert says in problem
    for value in env.values():
        assert len(value) < 8 or value not in problem  # names, never values


def test_a_client_id_of_the_wrong_shape_is_named():
    with pytest.raises(SettingsError) as caught:
        load_settings({**MANY, "SLACK_CLIENT_ID": "xoxb-pasted-the-token"}, mode="http")
    assert any("SLACK_CLIENT_ID does not look right" in p for p in caught.value.problems)
    assert "pasted-the-token" not in str(caught.value)


def test_offline_commands_and_the_playground_never_look_at_the_oauth_variables():
    from bot.settings import Workspaces

    odd = {"SLACK_CLIENT_ID": "1.2", "SLACK_BOT_TOKEN": "xoxb-1"}
    assert load_settings(odd, mode="offline").workspaces is Workspaces.ONE
    assert load_settings({}, mode="playground").workspaces is Workspaces.ONE
