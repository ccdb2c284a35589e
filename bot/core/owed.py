"""What a channel is owed: the one definition, over the schedule, the clock, the
catch-up window, when the subscription began and what the ledger says of each week.

`post_due` posts what `owed_now` says is due; `/pmtip schedule`, the replies to
subscribe and post-now, and the Home tab show what `next_post` says. Both read
the ledger through `settles`, so the time a channel is promised is a time at
which the scheduler posts.

A ledger row closes its week, whatever its state, with one exception: a week
whose post Slack refused (the channel archived or gone, the bot removed; the
subscription is paused) is owed again once the channel is subscribed again,
which lifts the pause. Slack refused the post itself, so nothing reached the
channel and nothing can be posted twice. Slots that fell before that
re-subscription stay unowed, as for any subscription.

Pure: no database, no clock; instants are passed in.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.schedule import (
    DAYS_PER_WEEK,
    Due,
    NotOwed,
    Slot,
    TooLate,
    WeeklySchedule,
    next_slot_after,
    slot_on,
    slot_status,
)

# Slack's answers to a post that mean "this channel cannot receive until someone acts".
SLACK_REFUSALS = frozenset({"channel_not_found", "is_archived", "not_in_channel"})


class DeliveryState(enum.StrEnum):
    CLAIMED = "claimed"  # a process owns the slot and is posting (or died doing so)
    POSTED = "posted"  # Slack accepted the message; `message_ts` says which
    SKIPPED = "skipped"  # deliberately not posted (too late, nothing eligible); see `reason`
    FAILED = "failed"  # closed for good without a post (channel gone, outcome unknown); `reason`


class LedgerRow(Protocol):
    """What `owed` reads of a ledger row (bot.store.base.Delivery has it)."""

    @property
    def state(self) -> DeliveryState: ...

    @property
    def reason(self) -> str | None: ...

    @property
    def updated_at(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class Settled:
    """The latest slot is due or past, but the ledger has closed its week."""

    slot: Slot


OwedNow = Due | TooLate | NotOwed | Settled
Ledger = Mapping[str, LedgerRow]  # slot key ("2026-W02") -> that week's row


def settles(row: LedgerRow, *, active_since: datetime) -> bool:
    """Whether the row closes its week for good (see the module's docstring)."""
    refused_before_resubscribing = (
        row.state is DeliveryState.FAILED
        and row.reason in SLACK_REFUSALS
        and row.updated_at < active_since
    )
    return not refused_before_resubscribing


def owed_now(
    schedule: WeeklySchedule,
    *,
    now: datetime,
    catchup_hours: float,
    active_since: datetime,
    ledger: Ledger,
) -> OwedNow:
    """What the scheduler does about the latest slot at `now`: post it (Due), close it
    as too late (TooLate), or nothing (NotOwed: before the subscription; Settled)."""
    status = slot_status(schedule, now=now, catchup_hours=catchup_hours, active_since=active_since)
    if isinstance(status, NotOwed):
        return status
    row = ledger.get(status.slot.key)
    if row is not None and settles(row, active_since=active_since):
        return Settled(status.slot)
    return status


def next_post(
    schedule: WeeklySchedule,
    *,
    now: datetime,
    catchup_hours: float,
    active_since: datetime,
    ledger: Ledger,
) -> Slot:
    """The slot the channel gets next: the latest one if it is due now (it goes out on
    the next tick), else the first later slot whose week the ledger leaves open."""
    status = owed_now(
        schedule, now=now, catchup_hours=catchup_hours, active_since=active_since, ledger=ledger
    )
    if isinstance(status, Due):
        return status.slot
    slot = next_slot_after(schedule, now)
    while (row := ledger.get(slot.key)) is not None and settles(row, active_since=active_since):
        slot = slot_on(schedule, slot.local_date + timedelta(days=DAYS_PER_WEEK))
    return slot
