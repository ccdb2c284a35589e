"""What pmtip keeps: subscriptions, the delivery ledger, rotation state and votes.

`Store` is the whole interface; `bot.store.sql.SqlStore` is its one
implementation (SQLite or PostgreSQL). Every instant going in or coming out is
timezone-aware UTC. The ledger's unique (subscription, slot) key is what makes
a weekly post happen once: whoever inserts the claim row first owns the slot.

Every subscription and vote belongs to one workspace. What a Slack request may do
goes through `store.workspace(ws)`, a view that cannot see or change any other
workspace's rows; what the scheduler does across workspaces (every receiving
subscription, the ledger by subscription id) stays on the Store itself.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

# Values of the core, part of this interface too (`X as X`: exported on purpose).
from bot.core.feedback import TipStats as TipStats
from bot.core.feedback import Vote as Vote
from bot.core.owed import DeliveryState as DeliveryState  # the core reads the ledger
from bot.core.schedule import WeeklySchedule
from bot.core.workspace import Workspace as Workspace


class StoreError(Exception):
    """The database failed an operation (nothing of it was kept); the message says why."""


class StoreUnavailable(StoreError):
    """The database cannot be reached or opened; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    workspace: Workspace
    channel_id: str
    # None when the stored values cannot be used (a timezone this host's tzdata lacks,
    # a hand edit): the store then pauses the subscription and says why in paused_reason.
    schedule: WeeklySchedule | None
    topics: tuple[str, ...]  # empty: every topic
    subscribed_by: str  # user id of whoever last subscribed the channel
    active: bool  # False after /pmtip unsubscribe
    paused_reason: str | None  # set when Slack refused to post (e.g. "is_archived")
    active_since: datetime  # when the current schedule took effect; earlier slots are not owed
    rotation_seed: str

    @property
    def receiving(self) -> bool:
        """Subscribed and not paused: the scheduler posts to it."""
        return self.active and self.paused_reason is None and self.schedule is not None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One row of the ledger: what happened to one subscription's one weekly slot."""

    subscription_id: int
    slot_key: str  # "2026-W48", see bot.core.schedule
    slot_at: datetime
    state: DeliveryState
    claim_token: str | None
    tip_id: str | None
    round: int | None
    message_ts: str | None
    reason: str | None
    claimed_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RotationPosition:
    """Where a subscription stands in its rotation (see bot.core.rotation.next_pick)."""

    seed: str
    round: int
    delivered_this_round: frozenset[str]  # tip ids posted or claimed in `round`
    previous: str | None  # the last tip posted or claimed, any round


class WorkspaceStore(Protocol):
    """One workspace's rows, and only them: what a Slack request may read and change."""

    @property
    def workspace(self) -> Workspace: ...

    # -- subscriptions -------------------------------------------------------

    def subscribe(
        self,
        *,
        channel_id: str,
        schedule: WeeklySchedule,
        topics: Sequence[str],
        subscribed_by: str,
        now: datetime,
    ) -> Subscription:
        """Subscribe the channel, or change its schedule; also lifts a pause.

        One subscription per channel (of this workspace), ever: subscribing again
        updates the same row (and keeps its rotation and history)."""
        ...

    def unsubscribe(self, *, channel_id: str, now: datetime) -> bool:
        """End the channel's subscription; False if it had none (or none active)."""
        ...

    def subscription(self, channel_id: str) -> Subscription | None:
        """The channel's subscription, active or not."""
        ...

    def subscriptions(self, *, receiving_only: bool = True) -> list[Subscription]:
        """This workspace's subscriptions, by id (see Store.subscriptions)."""
        ...

    def deliveries(self, *, subscription_id: int) -> list[Delivery]:
        """The ledger of one of this workspace's subscriptions (none for another's)."""
        ...

    # -- feedback ------------------------------------------------------------

    def record_vote(
        self, *, user_id: str, tip_id: str, vote: Vote, channel_id: str | None, now: datetime
    ) -> Vote | None:
        """Set the person's vote on the tip; returns the vote it replaced, if any."""
        ...

    def tip_stats(self) -> list[TipStats]:
        """This workspace's deliveries and votes per tip that has any, in no particular order."""
        ...


class Store(Protocol):
    def workspace(self, workspace: Workspace) -> WorkspaceStore:
        """The view of one workspace's rows (creates nothing)."""
        ...

    def delete_workspace(self, workspace: Workspace) -> None:
        """Forget the workspace: its subscriptions, ledger, rotation and votes, in one
        transaction (an uninstall). A workspace with an enterprise id and no team id
        is an org-wide install: every workspace of that enterprise is forgotten."""
        ...

    def adopt_placeholder_rows(self, workspace: Workspace) -> int:
        """One workspace mode: make the rows kept before rows had a workspace (the
        placeholder ("", "")) this workspace's; returns how many subscriptions and
        votes it adopted. A row the workspace already has a twin of stays behind."""
        ...

    # -- across workspaces: the scheduler -------------------------------------

    def hold_workspace(self, workspace: Workspace, *, until: datetime) -> None:
        """Slack answered 429 for the workspace: no clock process posts there before
        `until` (a later hold wins; an earlier one never shortens it)."""
        ...

    def workspace_held_until(self, workspace: Workspace) -> datetime | None:
        """Until when the workspace is held, if it ever was (a past instant: not now)."""
        ...

    def subscriptions(self, *, receiving_only: bool = True) -> list[Subscription]:
        """Every workspace's subscriptions, by id; by default only those the
        scheduler posts to.

        Reading never fails on one bad row: a subscription whose stored schedule
        cannot be used comes back with `schedule=None`, paused (the first reader
        records the pause and logs it, once), so it costs only its own channel."""
        ...

    def pause(self, *, subscription_id: int, reason: str, now: datetime) -> None:
        """Stop posting to a subscription until it is subscribed again."""
        ...

    # -- the delivery ledger --------------------------------------------------

    def deliveries(
        self, *, keys: Collection[tuple[int, str]] | None = None, subscription_id: int | None = None
    ) -> list[Delivery]:
        """Ledger rows for the given (subscription id, slot key) pairs, or for one subscription."""
        ...

    def rotation_position(self, subscription_id: int) -> RotationPosition: ...

    def claim(
        self,
        *,
        subscription_id: int,
        slot_key: str,
        slot_at: datetime,
        tip_id: str,
        round: int,
        token: str,
        now: datetime,
        replace_settled: bool = False,
    ) -> bool:
        """Take the slot: True if this call inserted the claim, False if it was taken.

        With `replace_settled` (an admin's post-now), a slot closed as skipped or
        failed is taken too; a claimed or posted one never is."""
        ...

    def reclaim(
        self, *, subscription_id: int, slot_key: str, old_token: str, new_token: str, now: datetime
    ) -> bool:
        """Take over a stale claim, if its token is still `old_token` (compare-and-swap)."""
        ...

    def mark_posted(
        self, *, subscription_id: int, slot_key: str, token: str, message_ts: str, now: datetime
    ) -> bool:
        """Record Slack's acceptance; False if the claim is no longer ours."""
        ...

    def mark_failed(
        self, *, subscription_id: int, slot_key: str, token: str, reason: str, now: datetime
    ) -> bool:
        """Close the slot as failed for good; False if the claim is no longer ours."""
        ...

    def release(self, *, subscription_id: int, slot_key: str, token: str) -> bool:
        """Give the slot back (nothing was posted), so a later tick can claim it again."""
        ...

    def record_skipped(
        self, *, subscription_id: int, slot_key: str, slot_at: datetime, reason: str, now: datetime
    ) -> bool:
        """Close an unclaimed slot as skipped; False if the slot already had a row."""
        ...

    def stale_claims(self, *, claimed_before: datetime) -> list[Delivery]:
        """Claims taken before the instant and never settled (their process may have died)."""
        ...

    def close(self) -> None: ...
