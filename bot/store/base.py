"""What pmtip keeps: subscriptions, the delivery ledger, rotation state and votes,
each belonging to one workspace.

A request works on one workspace's rows only, through `store.workspace(ws)`, a
`WorkspaceStore` that cannot name another workspace's rows; request handlers are
given just that door (`Workspaces`). The scheduler, which serves every workspace,
uses the rest of `Store`: the receiving subscriptions of all workspaces (each
carrying its Workspace) and the ledger by subscription id.

`Store` is the whole interface; `bot.store.sql.SqlStore` is its one
implementation (SQLite or PostgreSQL). Every instant going in or coming out is
timezone-aware UTC. The ledger's unique (subscription, slot) key is what makes
a weekly post happen once: whoever inserts the claim row first owns the slot.
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
from bot.core.workspace import Workspace

# What rows from before many workspaces carry (the columns' default), until a bot in
# one-workspace mode adopts them at start (Store.adopt_placeholder_rows).
PLACEHOLDER = Workspace(team_id="")


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
    """One workspace's rows and nothing else: every read and write is keyed by it."""

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

        One subscription per channel of the workspace, ever: subscribing again updates
        the same row (and keeps its rotation and history)."""
        ...

    def unsubscribe(self, *, channel_id: str, now: datetime) -> bool:
        """End the channel's subscription; False if it had none (or none active)."""
        ...

    def subscription(self, channel_id: str) -> Subscription | None:
        """The channel's subscription, active or not."""
        ...

    def subscriptions(self, *, receiving_only: bool = True) -> list[Subscription]:
        """The workspace's subscriptions, by id; by default only those the scheduler posts to.

        Reading never fails on one bad row: a subscription whose stored schedule
        cannot be used comes back with `schedule=None`, paused (the first reader
        records the pause and logs it, once), so it costs only its own channel."""
        ...

    def deliveries(self, subscription_id: int) -> list[Delivery]:
        """The ledger of one of the workspace's subscriptions (none for another's)."""
        ...

    # -- feedback ------------------------------------------------------------

    def record_vote(
        self, *, user_id: str, tip_id: str, vote: Vote, channel_id: str | None, now: datetime
    ) -> Vote | None:
        """Set the person's vote on the tip; returns the vote it replaced, if any."""
        ...

    def tip_stats(self) -> list[TipStats]:
        """The workspace's deliveries and votes per tip that has any, in no particular order."""
        ...


class Workspaces(Protocol):
    """The one door to stored rows that request handlers get."""

    def workspace(self, workspace: Workspace) -> WorkspaceStore:
        """The rows of this workspace, and only those."""
        ...


class Store(Workspaces, Protocol):
    # -- every workspace: the scheduler and the app's lifecycle ---------------

    def all_subscriptions(self, *, receiving_only: bool = True) -> list[Subscription]:
        """Subscriptions of every workspace, by id, each with its workspace; by default
        only those the scheduler posts to. Placeholder rows (PLACEHOLDER, not yet
        adopted) are left out: they belong to no workspace pmtip can post to."""
        ...

    def pause(self, *, subscription_id: int, reason: str, now: datetime) -> None:
        """Stop posting to a subscription until it is subscribed again."""
        ...

    def adopt_placeholder_rows(self, workspace: Workspace) -> int:
        """Give the placeholder's rows (from before many workspaces) to `workspace`, in
        one transaction; a row whose key the workspace already holds stays behind.
        Returns the number of subscriptions adopted."""
        ...

    def delete_workspace(self, workspace: Workspace) -> None:
        """Delete the workspace's subscriptions, ledger, rotations and votes, in one
        transaction (the app was uninstalled or its tokens revoked)."""
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
