"""manifest.yml creates an app that can do everything the code asks of Slack."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

MANIFEST = yaml.safe_load(Path("manifest.yml").read_text(encoding="utf-8"))

# The bot scopes each Web API method needs, per kind of conversation (Slack's method
# reference, https://docs.slack.dev/reference/methods/<method>, "Scopes"): the
# conversations methods take the `channels:` scope for public channels, `groups:` for
# private ones, `mpim:` for group DMs and `im:` for DMs.
KIND_PREFIX = {"public_channel": "channels", "private_channel": "groups", "mpim": "mpim"}
# Which kinds pmtip touches with each conversations method, and why:
CONVERSATION_KINDS: dict[str, tuple[tuple[str, ...], str]] = {
    # reconciliation reads the history of subscribed channels; a DM or group DM
    # cannot subscribe (bot/slack/handlers/subscriptions.py refuses them)
    "conversations_history": (("public_channel", "private_channel"), "history"),
    # /pmtip subscribe asks about the channel it was typed in: a group DM the bot is
    # in must be recognised (is_mpim) to be refused; a DM is refused before asking
    "conversations_info": (("public_channel", "private_channel", "mpim"), "read"),
    "conversations_join": (("public_channel",), "join"),
    # the Home tab's channel list: the `types` the code passes
    "users_conversations": ((), "read"),
}
METHOD_SCOPES: dict[str, set[str]] = {
    "auth_test": set(),
    # chat:write covers channels the bot is in and DMs to a user id; the bot joins a
    # public channel before it subscribes it, so chat:write.public is not needed
    "chat_postMessage": {"chat:write"},
    "users_info": {"users:read"},
    "users_list": {"users:read"},
    "views_publish": set(),
}
SOURCE = "\n".join(p.read_text(encoding="utf-8") for p in Path("bot").rglob("*.py"))


def methods_called_by_the_bot() -> set[str]:
    # Called, or handed to bot.slack.paging.pages (which calls it page by page).
    return set(re.findall(r"client\.([a-z]+_[A-Za-z_]+)\b", SOURCE))


def scopes_of(method: str) -> set[str]:
    if method not in CONVERSATION_KINDS:
        return METHOD_SCOPES[method]
    kinds, action = CONVERSATION_KINDS[method]
    if method == "users_conversations":
        kinds = tuple(
            kind for types in re.findall(r'types="([a-z_,]+)"', SOURCE) for kind in types.split(",")
        )
        assert kinds, "the users.conversations call's types were not found"
    return {f"{KIND_PREFIX[kind]}:{action}" for kind in kinds}


def scopes_the_code_needs() -> set[str]:
    needed = set().union(*(scopes_of(method) for method in methods_called_by_the_bot()))
    if MANIFEST["features"].get("slash_commands"):
        needed.add("commands")  # a slash command needs the commands scope
    return needed


def test_every_method_the_code_calls_is_known_here():
    called = methods_called_by_the_bot()
    assert "chat_postMessage" in called and "views_publish" in called  # the scan works
    unknown = called - METHOD_SCOPES.keys() - CONVERSATION_KINDS.keys()
    assert not unknown, f"add the scopes of {unknown} (from Slack's method reference) here"


def test_the_manifest_grants_exactly_the_scopes_the_code_needs():
    granted = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    needed = scopes_the_code_needs()
    assert not needed - granted, f"the code calls methods needing {needed - granted}"
    assert not granted - needed, f"nothing in the code needs {granted - needed}: drop them"


def test_the_app_has_the_command_interactivity_home_tab_and_socket_mode():
    features, settings = MANIFEST["features"], MANIFEST["settings"]
    assert [c["command"] for c in features["slash_commands"]] == ["/pmtip"]
    assert features["app_home"]["home_tab_enabled"] is True
    assert "app_home_opened" in settings["event_subscriptions"]["bot_events"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    assert features["bot_user"]["display_name"] == "pmtip"


# -- manifest-distribution.yml: many workspaces ------------------------------------------

DISTRIBUTION = yaml.safe_load(Path("manifest-distribution.yml").read_text(encoding="utf-8"))


def test_the_distributed_app_asks_for_the_same_minimal_scopes_as_the_code_installs_with():
    from bot.slack.installations import BOT_SCOPES

    granted = DISTRIBUTION["oauth_config"]["scopes"]["bot"]
    assert granted == MANIFEST["oauth_config"]["scopes"]["bot"]
    assert set(granted) == scopes_the_code_needs()
    assert set(BOT_SCOPES) == set(granted)  # what "Add to Slack" asks each workspace for
    assert "user" not in DISTRIBUTION["oauth_config"]["scopes"]  # no user tokens are kept


def test_the_distributed_app_is_http_only_with_an_oauth_redirect_and_the_uninstall_events():
    settings, features = DISTRIBUTION["settings"], DISTRIBUTION["features"]
    assert settings["socket_mode_enabled"] is False  # Slack: no Socket Mode when distributed
    (redirect,) = DISTRIBUTION["oauth_config"]["redirect_urls"]
    assert redirect == "https://YOUR-HOST/slack/oauth_redirect"
    urls = [
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        *(command["url"] for command in features["slash_commands"]),
    ]
    assert urls == ["https://YOUR-HOST/slack/events"] * 3
    events = settings["event_subscriptions"]["bot_events"]
    assert set(events) == {"app_home_opened", "app_uninstalled", "tokens_revoked"}


def test_the_distributed_app_is_the_same_app_otherwise():
    for part in ("display_information",):
        assert DISTRIBUTION[part] == MANIFEST[part]
    same = DISTRIBUTION["features"] | {"slash_commands": None}
    assert same == MANIFEST["features"] | {"slash_commands": None}
    (mine,), (theirs,) = (
        DISTRIBUTION["features"]["slash_commands"],
        MANIFEST["features"]["slash_commands"],
    )
    assert {k: v for k, v in mine.items() if k != "url"} == {
        k: v for k, v in theirs.items() if k != "url"
    }


def test_the_routes_answer_the_events_the_distributed_app_subscribes_to():
    routes = Path("bot/slack/routes.py").read_text(encoding="utf-8")
    for event in DISTRIBUTION["settings"]["event_subscriptions"]["bot_events"]:
        assert f'app.event("{event}")' in routes
