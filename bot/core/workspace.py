"""Which Slack workspace a row, a request or a post belongs to.

One deployment may serve many workspaces; every stored row carries this key so that
no workspace can read or change another's. Enterprise Grid installs add the
enterprise id; a plain workspace has none ("").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Workspace:
    team_id: str
    enterprise_id: str = ""

    def __str__(self) -> str:
        return f"{self.enterprise_id}/{self.team_id}" if self.enterprise_id else self.team_id
