"""The workspaces tests use: the stand-in Slack API's own team (tests/support/slack_api.py
TEAM_ID, the team of signed requests by default) and a second one."""

from __future__ import annotations

from bot.core.workspace import Workspace

ONE = Workspace("T1")  # the stand-in's team: one-workspace mode's, from auth.test
OTHER = Workspace("T2")

# What a one-workspace app calls at start: Bolt checks its token, and pmtip asks which
# team it serves (bot.slack.workspace.OwnWorkspace).
STARTUP_CALLS = ["auth.test", "auth.test"]
