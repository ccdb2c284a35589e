"""manifest.yml creates an app that can do everything the code asks of Slack."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

MANIFEST = yaml.safe_load(Path("manifest.yml").read_text(encoding="utf-8"))

# The bot scopes each Web API method needs (Slack's method reference).
METHOD_SCOPES: dict[str, set[str]] = {
    "auth_test": set(),
    "chat_postMessage": {"chat:write"},
    "conversations_history": {"channels:history", "groups:history", "mpim:history"},
    "conversations_info": {"channels:read", "groups:read", "mpim:read"},
    "conversations_join": {"channels:join"},
    "users_conversations": {"channels:read", "groups:read"},
    "users_info": {"users:read"},
    "users_list": {"users:read"},
    "views_publish": set(),
}


def methods_called_by_the_bot() -> set[str]:
    source = "\n".join(p.read_text(encoding="utf-8") for p in Path("bot").rglob("*.py"))
    return set(re.findall(r"client\.([a-z]+_[A-Za-z_]+)\(", source))


def test_every_method_the_code_calls_has_its_scopes():
    granted = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    called = methods_called_by_the_bot()
    assert "chat_postMessage" in called and "views_publish" in called  # the scan works
    unknown = called - METHOD_SCOPES.keys()
    assert not unknown, f"add the scopes of {unknown} to METHOD_SCOPES and the manifest"
    for method in called:
        assert METHOD_SCOPES[method] <= granted, (method, METHOD_SCOPES[method] - granted)
    assert {"commands", "chat:write.public"} <= granted


def test_the_app_has_the_command_interactivity_home_tab_and_socket_mode():
    features, settings = MANIFEST["features"], MANIFEST["settings"]
    assert [c["command"] for c in features["slash_commands"]] == ["/pmtip"]
    assert features["app_home"]["home_tab_enabled"] is True
    assert "app_home_opened" in settings["event_subscriptions"]["bot_events"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    assert features["bot_user"]["display_name"] == "pmtip"
