"""Slack's bodies parsed once into small values: the fields listeners read, and an
empty value for anything missing or of the wrong shape (never an exception)."""

from __future__ import annotations

import pytest

from bot.slack.payloads import BlockAction, HomeOpened, SlashCommand
from tests.support.workspaces import WS


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"user_id": "U1", "channel_id": "C1", "text": "ai-failure", "team_id": "T1"},
            SlashCommand(user_id="U1", channel_id="C1", text="ai-failure", workspace=WS),
        ),
        ({}, SlashCommand(user_id="", channel_id="", text="", workspace=WS)),
        (
            {"user_id": None, "text": 7},
            SlashCommand(user_id="", channel_id="", text="7", workspace=WS),
        ),
    ],
)
def test_a_slash_command(body, expected):
    assert SlashCommand.parse(body, workspace=WS) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {
                "user": {"id": "U1"},
                "actions": [{"action_id": "pmtip_share", "value": "tip-1"}, {"value": "other"}],
                "channel": {"id": "C1"},
                "container": {"is_ephemeral": True},
            },
            BlockAction(user_id="U1", value="tip-1", channel_id="C1", is_ephemeral=True),
        ),
        (  # a Home-tab button: no channel, no ephemeral container
            {"user": {"id": "U1"}, "actions": [{"value": "moat"}], "container": {"type": "view"}},
            BlockAction(user_id="U1", value="moat", channel_id=None, is_ephemeral=False),
        ),
        ({}, BlockAction(user_id="", value="", channel_id=None, is_ephemeral=False)),
        (  # shapes Slack never sends
            {"user": "U1", "actions": "share", "channel": ["C1"], "container": None},
            BlockAction(user_id="", value="", channel_id=None, is_ephemeral=False),
        ),
        (
            {"user": {"id": "U1"}, "actions": ["not an object"]},
            BlockAction(user_id="U1", value="", channel_id=None, is_ephemeral=False),
        ),
    ],
)
def test_a_button_click(body, expected):
    assert BlockAction.parse(body) == expected


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"user": "U1", "tab": "home"}, HomeOpened(user_id="U1", tab="home")),
        ({"user": "U1", "tab": "messages"}, HomeOpened(user_id="U1", tab="messages")),
        ({"user": "U1"}, HomeOpened(user_id="U1", tab="home")),  # older events carry no tab
        ({"tab": None}, HomeOpened(user_id="", tab="")),
    ],
)
def test_the_home_tab_opened(event, expected):
    assert HomeOpened.parse(event) == expected
