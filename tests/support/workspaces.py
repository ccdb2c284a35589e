"""The workspaces tests use: the stand-in Slack API's own team (tests/support/slack_api.py
TEAM_ID, the team of signed requests by default) and a second one."""

from __future__ import annotations

from bot.core.workspace import Workspace

ONE = Workspace("T1")  # the stand-in's team: one-workspace mode's, from auth.test
OTHER = Workspace("T2")
