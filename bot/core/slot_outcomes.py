"""What a delivery run did with each week it looked at: one `SlotOutcome` per week,
under one `Result`; and what `/pmtip post-now` tells the admin."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Result(enum.Enum):
    """Each member's value is how the command line reports it."""

    POSTED = "posted"
    RECONCILED = "already posted"  # found in the channel: a process died after posting
    SKIPPED = "skipped"  # too late, or closed on purpose
    PAUSED = "paused"  # the channel cannot receive; its subscription is paused
    FAILED = "left for later"  # a later tick (or reconciliation) tries again
    TAKEN = "claimed elsewhere"  # another process claimed the week first


@dataclass(frozen=True, slots=True)
class SlotOutcome:
    channel_id: str
    slot_key: str
    subscription_id: int
    tip_id: str | None = None
    detail: str = ""  # Slack's ts, or the reason

    def describe(self) -> str:
        tip = f" {self.tip_id}" if self.tip_id else ""
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.channel_id} {self.slot_key}{tip}{detail}"


@dataclass(frozen=True, slots=True)
class PostNowResult:
    posted: bool
    message: str  # what to tell the admin (mrkdwn)
    outcome: SlotOutcome | None = None
