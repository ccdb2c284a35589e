"""The workspaces tests use: T1 is the stand-in Slack's own (signed requests and
auth.test say T1 unless told otherwise); T2 another, for keeping the two apart."""

from __future__ import annotations

from bot.core.workspace import Workspace

WS = Workspace(team_id="T1")
OTHER = Workspace(team_id="T2")
