"""What people think of the tips: their votes on the weekly insight, and the
deliveries and votes of each tip (one type for the store, `/pmtip stats` and the
Home tab)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Vote(enum.StrEnum):
    USEFUL = "useful"
    NOT_FOR_ME = "not_for_me"


@dataclass(frozen=True, slots=True)
class TipStats:
    tip_id: str
    deliveries: int  # weekly posts of this tip that Slack accepted
    useful: int
    not_for_me: int

    @property
    def votes(self) -> int:
        return self.useful + self.not_for_me

    @property
    def score(self) -> int:
        return self.useful - self.not_for_me
