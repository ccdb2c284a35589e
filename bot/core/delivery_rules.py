"""The weekly delivery's decisions, as pure functions: what to do after Slack's answer
to a post (retry, pause the channel, stop the run, release the week, or leave it in
doubt), and how to settle a claim whose process may have died.

The shell (bot.weekly) carries them out: it calls Slack and the store, describes
what happened as the values below, and asks here what comes next. Every rule is a
row of a table test (tests/core/test_delivery_rules.py).

A timeout, or a connection cut after the request was sent, may hide a post that
Slack is still making: neither a retry nor a look at the history can be trusted
at once, so the claim is kept and reconciliation settles it after the lease. A
5xx is an answer: nothing is in flight, so the history is checked before each
re-post. A refused connection never reached Slack: it is retried as it is.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bot.core.owed import SLACK_REFUSALS

EVENT_TYPE = "pmtip_weekly_insight"  # the metadata every weekly post carries
# Slack's answers that mean "this channel cannot receive posts until someone acts".
PAUSING_ERRORS = SLACK_REFUSALS
# Answers that mean the whole run cannot post anywhere; stop starting new posts.
FATAL_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
)
# ok:false errors Slack documents as transient on its side.
TRANSIENT_ERRORS = frozenset(
    {"fatal_error", "internal_error", "service_unavailable", "request_timeout", "ratelimited"}
)
IN_DOUBT = "outcome unknown, checked again after the lease"
HISTORY_UNREADABLE = "could not check Slack's history"


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    workers: int = 16  # posts in flight at once, over all workspaces
    per_workspace: int = 8  # of them, at most this many to one workspace
    attempts: int = 3  # posts per slot per run when Slack times out or answers 5xx
    backoff_seconds: float = 1.0  # doubled after each such failure
    rate_limit_waits: int = 5  # 429s per slot per run before leaving it for the next tick
    max_retry_after: float = 60.0  # a longer Retry-After leaves the slot for the next tick
    lease: timedelta = timedelta(minutes=10)  # a claim older than this is presumed orphaned
    history_pages: int = 5  # pages of history searched for an orphaned post


DEFAULT_POLICY = DeliveryPolicy()


@dataclass(frozen=True, slots=True)
class Tries:
    """What one week's post has been through in this run."""

    failures: int = 0  # timeouts, 5xx, unreachable Slack
    rate_waits: int = 0  # 429s
    may_have_posted: bool = False  # an answer that may hide a post: look before posting again


# -- what happened -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SlackRefused:
    """Slack answered the post with an error."""

    status: int  # HTTP status
    code: str  # Slack's error code, or `http_<status>`
    retry_after: float = 1.0  # seconds, from the Retry-After header of a 429


@dataclass(frozen=True, slots=True)
class NoAnswer:
    """The network failed: `sent` is False when the request never left (refused, no host)."""

    reason: str
    sent: bool


class History(enum.Enum):
    """What the channel's history says of a week's post, when the post is not there."""

    NOT_FOUND = "not found"
    UNREADABLE = "unreadable"  # a Slack error, a timeout, or an author that cannot be checked
    CHANNEL_GONE = "channel gone"  # closed and paused by the look itself


@dataclass(frozen=True, slots=True)
class Found:
    ts: str  # the post this bot made for the week


Look = Found | History


# -- what to do next ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetryAfter:
    seconds: float
    tries: Tries
    reason: str
    whole_workspace: bool = False  # a 429: Slack's limits are per workspace, so all of it waits


@dataclass(frozen=True, slots=True)
class Pause:
    code: str  # the channel cannot receive: pause its subscription, close the week


@dataclass(frozen=True, slots=True)
class StopRun:
    code: str  # Slack refused the token: release this week, start no other post


@dataclass(frozen=True, slots=True)
class Release:
    reason: str  # nothing was posted: give the week back for the next tick


@dataclass(frozen=True, slots=True)
class InDoubt:
    detail: str  # keep the claim: reconciliation settles it after the lease


@dataclass(frozen=True, slots=True)
class LookThenRelease:
    reason: str  # out of attempts, but a post may have landed: look first


@dataclass(frozen=True, slots=True)
class RecordPosted:
    ts: str


class Done(enum.Enum):
    DONE = "nothing more to do"  # the look found the channel gone and closed the week


class PostAgain(enum.Enum):
    POST = "not in the channel: post it"


Next = RetryAfter | Pause | StopRun | Release | InDoubt | LookThenRelease | RecordPosted | Done


def after_failed_post(
    failure: SlackRefused | NoAnswer, *, tries: Tries, policy: DeliveryPolicy
) -> Next:
    """The next step after a chat.postMessage that did not succeed."""
    if isinstance(failure, NoAnswer):
        if failure.sent:
            return InDoubt(f"{failure.reason}; {IN_DOUBT}")
        return after_transient(failure.reason, tries=tries, policy=policy)
    if failure.status == 429:
        waits = tries.rate_waits + 1
        if waits > policy.rate_limit_waits or failure.retry_after > policy.max_retry_after:
            return Release(f"rate limited (Retry-After {failure.retry_after:g}s)")
        return RetryAfter(
            failure.retry_after, replace(tries, rate_waits=waits), "rate limited", True
        )
    if failure.code in PAUSING_ERRORS:
        return Pause(failure.code)
    if failure.code in FATAL_ERRORS:
        return StopRun(failure.code)
    if failure.status >= 500 or failure.code in TRANSIENT_ERRORS:
        answered = replace(tries, may_have_posted=True)
        return after_transient(failure.code, tries=answered, policy=policy)
    return Release(failure.code)


def after_transient(
    reason: str, *, tries: Tries, policy: DeliveryPolicy
) -> RetryAfter | Release | LookThenRelease:
    """A failure worth trying again, with a doubling wait, while attempts last."""
    failures = tries.failures + 1
    if failures >= policy.attempts:
        return LookThenRelease(reason) if tries.may_have_posted else Release(reason)
    delay = policy.backoff_seconds * 2 ** (failures - 1)
    return RetryAfter(delay, replace(tries, failures=failures), reason)


def before_posting_again(look: Look, *, tries: Tries, policy: DeliveryPolicy) -> Next | PostAgain:
    """After an answer that may hide a post, the history decides whether to post again."""
    if isinstance(look, Found):
        return RecordPosted(look.ts)
    if look is History.CHANNEL_GONE:
        return Done.DONE
    if look is History.UNREADABLE:
        return after_transient(HISTORY_UNREADABLE, tries=tries, policy=policy)
    return PostAgain.POST


def after_last_look(look: Look, *, reason: str) -> RecordPosted | Done | InDoubt | Release:
    """Out of attempts: record a post that landed, else free the week, unless unsure."""
    if isinstance(look, Found):
        return RecordPosted(look.ts)
    if look is History.CHANNEL_GONE:
        return Done.DONE
    if look is History.UNREADABLE:
        return InDoubt(f"{reason}; outcome unknown")
    return Release(reason)


def when_halted(halted: str, *, tries: Tries) -> InDoubt | Release:
    """The process is stopping, or the run was stopped: post nothing more."""
    if tries.may_have_posted:  # the last attempt may have landed: leave it to reconciliation
        return InDoubt(f"{halted}; {IN_DOUBT}")
    return Release(halted)


def history_error(code: str) -> History:
    """What a failed read of the channel's history means."""
    return History.CHANNEL_GONE if code in PAUSING_ERRORS else History.UNREADABLE


def retry_after_seconds(raw: str | list[str] | None) -> float:
    """The Retry-After header in seconds (1 when missing or unreadable)."""
    value = (raw[0] if raw else None) if isinstance(raw, list) else raw
    try:
        return max(0.0, float(value or "1"))
    except ValueError:
        return 1.0


# -- the weekly post's metadata ---------------------------------------------------------


def slot_metadata(*, subscription_id: int, slot_key: str) -> dict[str, Any]:
    return {
        "event_type": EVENT_TYPE,
        "event_payload": {"subscription_id": subscription_id, "slot": slot_key},
    }


def carries_slot(message: Mapping[str, Any], *, subscription_id: int, slot_key: str) -> bool:
    """Whether a message from the history carries this week's metadata (its author is
    checked apart: anyone can copy metadata)."""
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return (
        metadata.get("event_type") == EVENT_TYPE
        and str(payload.get("subscription_id")) == str(subscription_id)
        and payload.get("slot") == slot_key
    )


# -- a claim whose process may have died ---------------------------------------------------


class Orphan(enum.Enum):
    CLOSE_UNKNOWN = "cannot tell whether it landed, and too late to matter: close it"
    LEAVE_FOR_LATER = "cannot tell whether it landed: look again on a later tick"
    CLOSE_TOO_LATE = "never posted, and past the catch-up window: close it"
    TAKE_OVER = "never posted: take the claim over and post"


def claimed_before(now: datetime, *, policy: DeliveryPolicy) -> datetime:
    """Claims older than this are presumed orphaned (their process died or stalled)."""
    return now - policy.lease


def past_catchup(slot_at: datetime, *, now: datetime, catchup_hours: float) -> bool:
    return now - slot_at > timedelta(hours=max(catchup_hours, 0))


def settle_orphan(look: Look, *, too_late: bool) -> RecordPosted | Done | Orphan:
    """What reconciliation does with an orphaned claim, from the channel's history."""
    if isinstance(look, Found):
        return RecordPosted(look.ts)
    if look is History.CHANNEL_GONE:
        return Done.DONE
    if look is History.UNREADABLE:
        return Orphan.CLOSE_UNKNOWN if too_late else Orphan.LEAVE_FOR_LATER
    return Orphan.CLOSE_TOO_LATE if too_late else Orphan.TAKE_OVER
