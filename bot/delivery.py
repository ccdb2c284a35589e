"""Posting the weekly insight: one idempotent operation, `post_due(now)`.

For each subscription whose latest slot is due at `now` (and within the
catch-up window), the slot is claimed in the ledger by a unique insert, then
posted with `chat.postMessage`, then marked posted with Slack's `ts`. Whoever
inserts the claim owns the slot, so two processes (or two runs) never post the
same slot twice; running it again for the same `now` posts nothing.

Every weekly message carries metadata naming its subscription and slot. That
is how a claim whose process died before hearing Slack's answer is settled: a
later run finds the claim older than the lease, looks for the message in the
channel's history, and marks it posted if Slack has it, or takes the claim over
(compare-and-swap on the claim token) and posts it if not. The same check runs
before re-posting after a timeout or a 5xx, whose outcome is unknown.

Fan-out runs on a small thread pool. A 429 puts only that post back in the
queue until its Retry-After has passed, freeing the worker for other channels.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core import rotation
from bot.core.catalogue import Catalogue
from bot.core.owed import SLACK_REFUSALS, owed_now
from bot.core.render.tips import weekly_insight
from bot.core.schedule import Due, NotOwed, Slot, TooLate, slot_for_week_of, slot_status
from bot.identity import BotIdentity
from bot.slack.limits import CONVERSATIONS_HISTORY_PAGE
from bot.store.base import Delivery, DeliveryState, Store, StoreError, Subscription

log = logging.getLogger(__name__)

EVENT_TYPE = "pmtip_weekly_insight"
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


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    workers: int = 8
    attempts: int = 3  # posts per slot per run when Slack times out or answers 5xx
    backoff_seconds: float = 1.0  # doubled after each such failure
    rate_limit_waits: int = 5  # 429s per slot per run before leaving it for the next tick
    max_retry_after: float = 60.0  # a longer Retry-After leaves the slot for the next tick
    lease: timedelta = timedelta(minutes=10)  # a claim older than this is presumed orphaned
    history_pages: int = 5  # pages of CONVERSATIONS_HISTORY_PAGE searched for an orphaned post


DEFAULT_POLICY = DeliveryPolicy()


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


@dataclass
class DeliveryReport:
    """What one run did, slot by slot."""

    posted: list[SlotOutcome] = field(default_factory=list)
    reconciled: list[SlotOutcome] = field(default_factory=list)  # found already posted
    skipped: list[SlotOutcome] = field(default_factory=list)  # too late, or nothing to post
    paused: list[SlotOutcome] = field(default_factory=list)  # channel unusable; subscription paused
    failed: list[SlotOutcome] = field(default_factory=list)  # left for a later tick
    taken: list[SlotOutcome] = field(default_factory=list)  # another process claimed it first
    retries: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, kind: str, outcome: SlotOutcome) -> None:
        with self._lock:
            getattr(self, kind).append(outcome)

    def count_retry(self) -> None:
        with self._lock:
            self.retries += 1

    def summary(self) -> str:
        return (
            f"posted {len(self.posted)}, already posted {len(self.reconciled)}, "
            f"skipped {len(self.skipped)}, paused {len(self.paused)}, "
            f"left for later {len(self.failed)}, claimed elsewhere {len(self.taken)}, "
            f"retries {self.retries}"
        )

    def lines(self) -> list[str]:
        """One line per slot, for the command line."""
        labels = (
            ("posted", "posted"),
            ("reconciled", "already posted"),
            ("skipped", "skipped"),
            ("paused", "paused"),
            ("failed", "left for later"),
            ("taken", "claimed elsewhere"),
        )
        return [
            f"{label}: {outcome.describe()}"
            for kind, label in labels
            for outcome in getattr(self, kind)
        ]


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def post_due(
    *,
    store: Store,
    client: WebClient,
    catalogue: Catalogue,
    now: datetime,
    catchup_hours: float,
    policy: DeliveryPolicy = DEFAULT_POLICY,
    clock: Clock | None = None,
    cancel: threading.Event | None = None,
    identity: BotIdentity | None = None,
) -> DeliveryReport:
    """Post every weekly insight due at `now`, each slot once. Safe to repeat and to race.

    `client` should have no retry handlers of its own: the retries here know
    which failures may have posted and check before posting again. Setting
    `cancel` (on SIGTERM) stops new posts; slots not yet posted are released.
    `identity` (the bot's own ids, for telling its posts apart) is asked of
    Slack at most once per run when not passed in; a long-lived process passes one.
    """
    report = DeliveryReport()
    run = _Run(
        store=store,
        client=client,
        catalogue=catalogue,
        now=now,
        catchup_hours=catchup_hours,
        policy=policy,
        report=report,
        identity=identity or BotIdentity(client),
        cancel=cancel or threading.Event(),
    )
    jobs = run.reconcile_jobs()
    jobs += run.due_jobs()
    _run_jobs(jobs, workers=policy.workers, clock=clock or SystemClock())
    log.info("post-due at %s: %s", now.isoformat(), report.summary())
    return report


@dataclass(frozen=True, slots=True)
class PostNowResult:
    posted: bool
    message: str  # what to tell the admin (mrkdwn)
    outcome: SlotOutcome | None = None


def post_now(
    *,
    store: Store,
    client: WebClient,
    catalogue: Catalogue,
    subscription: Subscription,
    now: datetime,
    policy: DeliveryPolicy = DEFAULT_POLICY,
    clock: Clock | None = None,
    identity: BotIdentity | None = None,
) -> PostNowResult:
    """Post the channel's next insight now, as this week's slot (so it is not posted again)."""
    report = DeliveryReport()
    run = _Run(
        store=store,
        client=client,
        catalogue=catalogue,
        now=now,
        catchup_hours=0,
        policy=policy,
        report=report,
        identity=identity or BotIdentity(client),
    )
    if subscription.schedule is None:  # paused: its stored schedule cannot be used
        return PostNowResult(False, subscription.paused_reason or "the schedule cannot be used")
    slot = slot_for_week_of(subscription.schedule, now)
    existing = store.deliveries(keys=[(subscription.id, slot.key)])
    if existing and existing[0].state in (DeliveryState.POSTED, DeliveryState.CLAIMED):
        return PostNowResult(False, "This week's insight was already posted to this channel.")
    job = run.claim_job(subscription, slot, replace_settled=bool(existing))
    if job is None:
        return PostNowResult(False, report.failed[0].detail if report.failed else "")
    _run_jobs([job], workers=1, clock=clock or SystemClock())
    for kind in ("posted", "reconciled"):
        if outcomes := getattr(report, kind):
            return PostNowResult(True, "Posted this week's insight.", outcomes[0])
    for kind in ("paused", "failed", "taken", "skipped"):
        if outcomes := getattr(report, kind):
            return PostNowResult(False, outcomes[0].detail, outcomes[0])
    return PostNowResult(False, "Nothing was posted.")  # pragma: no cover


# -- one run ------------------------------------------------------------------


@dataclass
class _Run:
    store: Store
    client: WebClient
    catalogue: Catalogue
    now: datetime
    catchup_hours: float
    policy: DeliveryPolicy
    report: DeliveryReport
    identity: BotIdentity  # whose messages count as our posts
    cancel: threading.Event = field(default_factory=threading.Event)  # shutting down
    stop: threading.Event = field(default_factory=threading.Event)  # Slack refused the token

    def halted(self) -> str | None:
        if self.cancel.is_set():
            return "not attempted: the process is stopping"
        if self.stop.is_set():
            return "not attempted: Slack refused the bot's token"
        return None

    def reconcile_jobs(self) -> list[_Job]:
        """Jobs that settle claims older than the lease (their process may have died)."""
        orphans = self.store.stale_claims(claimed_before=self.now - self.policy.lease)
        if not orphans:
            return []
        by_id = {sub.id: sub for sub in self.store.subscriptions(receiving_only=False)}
        return [
            _Job(self, _Reconcile(claim=claim, sub=by_id[claim.subscription_id]))
            for claim in orphans
            if claim.subscription_id in by_id and claim.claim_token is not None
        ]

    def due_jobs(self) -> list[_Job]:
        subscriptions = [sub for sub in self.store.subscriptions() if sub.receiving]
        # The ledger is read (in one query) only for the weeks whose slot has come.
        timings = [(sub, self._timing(sub)) for sub in subscriptions]
        wanted = [(sub.id, t.slot.key) for sub, t in timings if isinstance(t, Due | TooLate)]
        ledgers: dict[int, dict[str, Delivery]] = {}
        for row in self.store.deliveries(keys=wanted):
            ledgers.setdefault(row.subscription_id, {})[row.slot_key] = row
        jobs: list[_Job] = []
        for sub in subscriptions:
            ledger = ledgers.get(sub.id, {})
            status = owed_now(
                sub.schedule,
                now=self.now,
                catchup_hours=self.catchup_hours,
                active_since=sub.active_since,
                ledger=ledger,
            )
            if isinstance(status, TooLate):
                self._skip_too_late(sub, status)
            elif isinstance(status, Due):
                # A row the week still has was closed by Slack's refusal before the
                # channel was subscribed again: the claim takes its place.
                reopened = status.slot.key in ledger
                if job := self.claim_job(sub, status.slot, replace_settled=reopened):
                    jobs.append(job)
        return jobs

    def _timing(self, sub: Subscription) -> Due | TooLate | NotOwed:
        return slot_status(
            sub.schedule,
            now=self.now,
            catchup_hours=self.catchup_hours,
            active_since=sub.active_since,
        )

    def _skip_too_late(self, sub: Subscription, status: TooLate) -> None:
        hours = status.late_by.total_seconds() / 3600
        reason = (
            f"too late: the slot was {status.slot.instant.isoformat()}, {hours:.1f} hours "
            f"before this run, beyond CATCHUP_HOURS={self.catchup_hours:g}"
        )
        if self.store.record_skipped(
            subscription_id=sub.id,
            slot_key=status.slot.key,
            slot_at=status.slot.instant,
            reason=reason,
            now=self.now,
        ):
            log.warning("skipped %s %s: %s", sub.channel_id, status.slot.key, reason)
            self.report.add("skipped", _outcome(sub, status.slot.key, detail=reason))

    def claim_job(
        self, sub: Subscription, slot: Slot, *, replace_settled: bool = False
    ) -> _Job | None:
        """A job that claims and posts the slot, or None when there is nothing to post."""
        eligible = rotation.eligible_tip_ids(self.catalogue, topics=sub.topics)
        if not eligible:
            reason = (
                f"no tips in the topics {', '.join(sub.topics)}"
                if sub.topics
                else "the catalogue has no tips"
            )
            # Not recorded as skipped: a tips file being edited (or rejected at
            # start) must not cost a channel its week. Tried again next tick.
            log.warning("%s %s not posted yet: %s", sub.channel_id, slot.key, reason)
            self.report.add("failed", _outcome(sub, slot.key, detail=reason))
            return None
        post = _Post(
            sub=sub,
            slot_key=slot.key,
            slot_at=slot.instant,
            eligible=eligible,
            replace_settled=replace_settled,
        )
        return _Job(self, post)


def _outcome(
    sub: Subscription, slot_key: str, *, tip_id: str | None = None, detail: str = ""
) -> SlotOutcome:
    return SlotOutcome(
        channel_id=sub.channel_id,
        slot_key=slot_key,
        subscription_id=sub.id,
        tip_id=tip_id,
        detail=detail,
    )


# -- jobs: small state machines the pool steps until they finish ----------------


@dataclass
class _Post:
    sub: Subscription
    slot_key: str
    slot_at: datetime
    eligible: list[str] | None = None  # None: the tip was chosen by an earlier claim
    tip_id: str | None = None
    token: str | None = None
    failures: int = 0  # timeouts and 5xx this run
    rate_waits: int = 0
    check_first: bool = False  # the last post may have landed: look before posting again
    replace_settled: bool = False  # post-now: a skipped or failed row for the slot may be taken


@dataclass
class _Reconcile:
    claim: Delivery
    sub: Subscription


class _Job:
    """One slot's work. `step()` returns None when done, or seconds to wait before the next."""

    def __init__(self, run: _Run, state: _Post | _Reconcile) -> None:
        self.run = run
        self.state = state

    def step(self) -> float | None:
        try:
            if isinstance(self.state, _Reconcile):
                return self._reconcile(self.state)
            return self._post(self.state)
        except StoreError as error:
            # Left for later, never dropped: a claim that failed left no row, so the
            # next tick claims again; one that stays is settled after the lease.
            log.error("%s: %s; left for the next tick", self._label(), error)
            self._report_unfinished("failed", str(error))
            return None
        except Exception:
            log.exception("unexpected error while delivering")
            self._report_unfinished("failed", "unexpected error; see the log")
            return None

    def _label(self) -> str:
        state = self.state
        slot_key = state.slot_key if isinstance(state, _Post) else state.claim.slot_key
        return f"{state.sub.channel_id} {slot_key}"

    def _report_unfinished(self, kind: str, detail: str) -> None:
        state = self.state
        if isinstance(state, _Post):
            self.run.report.add(
                kind, _outcome(state.sub, state.slot_key, tip_id=state.tip_id, detail=detail)
            )
        else:
            outcome = _outcome(
                state.sub, state.claim.slot_key, tip_id=state.claim.tip_id, detail=detail
            )
            self.run.report.add(kind, outcome)

    # -- an orphaned claim -----------------------------------------------------

    def _reconcile(self, state: _Reconcile) -> float | None:
        run, claim, sub = self.run, state.claim, state.sub
        assert claim.claim_token is not None  # reconcile_jobs takes claims only
        found = _find_posted(run, sub, claim.slot_key)
        if isinstance(found, str):
            if run.store.mark_posted(
                subscription_id=sub.id,
                slot_key=claim.slot_key,
                token=claim.claim_token,
                message_ts=found,
                now=run.now,
            ):
                log.warning(
                    "%s %s: a process died after posting; found the post (ts %s) and recorded it",
                    sub.channel_id,
                    claim.slot_key,
                    found,
                )
                run.report.add(
                    "reconciled",
                    _outcome(sub, claim.slot_key, tip_id=claim.tip_id, detail=f"ts {found}"),
                )
            return None
        if found is _UNKNOWN:
            too_late = run.now - claim.slot_at > timedelta(hours=max(run.catchup_hours, 0))
            if too_late:
                # Cannot tell whether it was posted, and it is too late to matter:
                # close it rather than risk a duplicate (at most once, with a warning).
                run.store.mark_failed(
                    subscription_id=sub.id,
                    slot_key=claim.slot_key,
                    token=claim.claim_token,
                    now=run.now,
                    reason="outcome unknown after a crash; not re-posted",
                )
                log.warning(
                    "%s %s: could not check whether an interrupted post landed; not re-posting",
                    sub.channel_id,
                    claim.slot_key,
                )
            run.report.add(
                "failed",
                _outcome(
                    sub,
                    claim.slot_key,
                    tip_id=claim.tip_id,
                    detail="could not check Slack's history",
                ),
            )
            return None
        if found is _CHANNEL_GONE:
            return None  # _find_posted paused it and closed the slot
        # Not in the channel: nobody posted it.
        if run.now - claim.slot_at > timedelta(hours=max(run.catchup_hours, 0)):
            run.store.mark_failed(
                subscription_id=sub.id,
                slot_key=claim.slot_key,
                token=claim.claim_token,
                reason="interrupted, and now past the catch-up window",
                now=run.now,
            )
            log.warning(
                "%s %s: an interrupted post was never made and it is now too late; skipped",
                sub.channel_id,
                claim.slot_key,
            )
            run.report.add("skipped", _outcome(sub, claim.slot_key, detail="too late"))
            return None
        # Take the claim over and post.
        token = uuid.uuid4().hex
        if not run.store.reclaim(
            subscription_id=sub.id,
            slot_key=claim.slot_key,
            old_token=claim.claim_token,
            new_token=token,
            now=run.now,
        ):
            run.report.add("taken", _outcome(sub, claim.slot_key, tip_id=claim.tip_id))
            return None
        if not sub.receiving:
            run.store.release(subscription_id=sub.id, slot_key=claim.slot_key, token=token)
            return None
        log.warning(
            "%s %s: a process died before posting; posting it now", sub.channel_id, claim.slot_key
        )
        self.state = _Post(
            sub=sub,
            slot_key=claim.slot_key,
            slot_at=claim.slot_at,
            tip_id=claim.tip_id,
            token=token,
        )
        return 0.0

    # -- a post ----------------------------------------------------------------

    def _post(self, state: _Post) -> float | None:
        run, sub = self.run, state.sub
        if (halted := run.halted()) is not None:
            if state.check_first:  # the last post may have landed: leave it to reconciliation
                detail = f"{halted}; outcome unknown, checked again after the lease"
                run.report.add("failed", _outcome(sub, state.slot_key, detail=detail))
            else:
                self._release(state, halted)
            return None
        if state.token is None and not self._claim(state):
            return None
        assert state.token is not None and state.tip_id is not None  # set by _claim
        if state.check_first:
            found = _find_posted(run, sub, state.slot_key)
            if isinstance(found, str):
                return self._posted(state, found)
            if found is _CHANNEL_GONE:
                return None
            if found is _UNKNOWN:
                return self._transient(state, "could not check Slack's history")
        tip = run.catalogue.tip(state.tip_id)
        if tip is None:  # retired between claim and post (a reload): pick again next tick
            self._release(state, f"tip {state.tip_id} left the catalogue")
            return None
        message = weekly_insight(tip)
        try:
            response = run.client.chat_postMessage(
                channel=sub.channel_id,
                text=message.text,
                blocks=message.blocks,
                metadata={
                    "event_type": EVENT_TYPE,
                    "event_payload": {"subscription_id": sub.id, "slot": state.slot_key},
                },
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as error:
            return self._slack_error(state, error)
        except OSError as error:
            reason = f"{type(error).__name__}: {error}"
            if _never_reached_slack(error):
                return self._transient(state, reason)
            return self._in_doubt(state, reason)
        return self._posted(state, str(response.get("ts") or ""))

    def _in_doubt(self, state: _Post, reason: str) -> None:
        """Timed out or cut off after sending: Slack may still be posting it, so neither
        a retry nor a look at the history now can be trusted. Keep the claim; once the
        lease has passed, reconciliation looks in the channel and settles it."""
        run, sub = self.run, state.sub
        log.warning(
            "%s %s: %s; Slack may still post it, so it is checked again after the lease",
            sub.channel_id,
            state.slot_key,
            reason,
        )
        detail = f"{reason}; outcome unknown, checked again after the lease"
        run.report.add("failed", _outcome(sub, state.slot_key, tip_id=state.tip_id, detail=detail))

    def _claim(self, state: _Post) -> bool:
        run, sub = self.run, state.sub
        position = run.store.rotation_position(sub.id)
        pick = rotation.next_pick(
            state.eligible or [],
            seed=position.seed,
            round=position.round,
            delivered_this_round=position.delivered_this_round,
            previous=position.previous,
        )
        if pick is None:  # pragma: no cover - claim_job checked there are eligible tips
            return False
        token = uuid.uuid4().hex
        if not run.store.claim(
            subscription_id=sub.id,
            slot_key=state.slot_key,
            slot_at=state.slot_at,
            tip_id=pick.tip_id,
            round=pick.round,
            token=token,
            now=run.now,
            replace_settled=state.replace_settled,
        ):
            run.report.add("taken", _outcome(sub, state.slot_key, detail="claimed by another run"))
            return False
        state.token, state.tip_id = token, pick.tip_id
        return True

    def _posted(self, state: _Post, ts: str) -> None:
        run, sub = self.run, state.sub
        assert state.token is not None
        if run.store.mark_posted(
            subscription_id=sub.id,
            slot_key=state.slot_key,
            token=state.token,
            message_ts=ts,
            now=run.now,
        ):
            log.info("posted %s %s: %s (ts %s)", sub.channel_id, state.slot_key, state.tip_id, ts)
        else:
            # Our claim was taken over (we outlived the lease): the other process
            # may post too. Say so loudly; the ledger keeps the other's record.
            log.warning(
                "%s %s: posted (ts %s) after the claim was taken over; the channel "
                "may show this week's insight twice",
                sub.channel_id,
                state.slot_key,
                ts,
            )
        run.report.add(
            "posted", _outcome(sub, state.slot_key, tip_id=state.tip_id, detail=f"ts {ts}")
        )
        return None

    def _slack_error(self, state: _Post, error: SlackApiError) -> float | None:
        run, sub = self.run, state.sub
        status = error.response.status_code
        code = str(error.response.get("error") or f"http_{status}")
        if status == 429:
            retry_after = _retry_after(error)
            state.rate_waits += 1
            if (
                state.rate_waits > run.policy.rate_limit_waits
                or retry_after > run.policy.max_retry_after
            ):
                self._release(state, f"rate limited (Retry-After {retry_after:g}s)")
                return None
            run.report.count_retry()
            log.info(
                "%s %s: rate limited, retrying in %gs", sub.channel_id, state.slot_key, retry_after
            )
            return retry_after
        if code in PAUSING_ERRORS:
            self._pause(state, code)
            return None
        if code in FATAL_ERRORS:
            run.stop.set()
            log.error("Slack refused the bot token (%s); stopping this run", code)
            self._release(state, code)
            return None
        if status >= 500 or code in TRANSIENT_ERRORS:
            state.check_first = True
            return self._transient(state, code)
        self._release(state, code)
        return None

    def _transient(self, state: _Post, reason: str) -> float | None:
        run = self.run
        state.failures += 1
        if state.failures >= run.policy.attempts:
            self._give_up(state, reason)
            return None
        run.report.count_retry()
        delay = run.policy.backoff_seconds * 2 ** (state.failures - 1)
        log.info("%s %s: %s; retrying in %gs", state.sub.channel_id, state.slot_key, reason, delay)
        return delay

    def _give_up(self, state: _Post, reason: str) -> None:
        """Out of attempts: free the slot for the next tick, unless the post may have landed."""
        run, sub = self.run, state.sub
        if state.check_first:
            found = _find_posted(run, sub, state.slot_key)
            if isinstance(found, str):
                self._posted(state, found)
                return
            if found is _CHANNEL_GONE:
                return
            if found is _UNKNOWN:
                # Keep the claim: after the lease a later run checks again.
                log.warning(
                    "%s %s: %s; outcome unknown, will check again after the lease",
                    sub.channel_id,
                    state.slot_key,
                    reason,
                )
                run.report.add(
                    "failed",
                    _outcome(
                        sub,
                        state.slot_key,
                        tip_id=state.tip_id,
                        detail=f"{reason}; outcome unknown",
                    ),
                )
                return
        self._release(state, reason)

    def _release(self, state: _Post, reason: str) -> None:
        run, sub = self.run, state.sub
        if state.token is not None:
            run.store.release(subscription_id=sub.id, slot_key=state.slot_key, token=state.token)
        log.warning(
            "%s %s not posted: %s; left for the next tick", sub.channel_id, state.slot_key, reason
        )
        run.report.add("failed", _outcome(sub, state.slot_key, tip_id=state.tip_id, detail=reason))

    def _pause(self, state: _Post, code: str) -> None:
        run, sub = self.run, state.sub
        if state.token is not None:
            run.store.mark_failed(
                subscription_id=sub.id,
                slot_key=state.slot_key,
                token=state.token,
                reason=code,
                now=run.now,
            )
        run.store.pause(subscription_id=sub.id, reason=code, now=run.now)
        log.warning("paused the subscription of %s: Slack answered %s", sub.channel_id, code)
        run.report.add("paused", _outcome(sub, state.slot_key, tip_id=state.tip_id, detail=code))


# -- looking for a post in the channel -------------------------------------------

_UNKNOWN = object()  # the history could not be read
_CHANNEL_GONE = object()  # the channel cannot be read any more; the subscription is paused


def _find_posted(run: _Run, sub: Subscription, slot_key: str) -> str | object | None:
    """The ts of this slot's message if the channel has it; None if it does not.

    Only a message this bot wrote counts: anyone can copy the metadata. When the
    bot's own ids cannot be learnt, a message carrying the metadata is unknown."""
    cursor: str | None = None
    for _ in range(run.policy.history_pages):
        try:
            page = run.client.conversations_history(
                channel=sub.channel_id,
                limit=CONVERSATIONS_HISTORY_PAGE,
                include_all_metadata=True,
                cursor=cursor,
            )
        except SlackApiError as error:
            code = str(error.response.get("error") or "")
            if code in PAUSING_ERRORS:
                _close_for_good(run, sub, slot_key, code)
                return _CHANNEL_GONE
            log.warning(
                "%s: conversations.history failed: %s",
                sub.channel_id,
                code or error.response.status_code,
            )
            return _UNKNOWN
        except OSError as error:
            log.warning("%s: conversations.history failed: %s", sub.channel_id, error)
            return _UNKNOWN
        for message in page.get("messages") or []:
            if not _carries_slot(message, subscription_id=sub.id, slot_key=slot_key):
                continue
            identity = run.identity.get()
            if identity is None:
                log.warning(
                    "%s %s: a message carries this week's metadata, but auth.test cannot "
                    "say whether this bot wrote it",
                    sub.channel_id,
                    slot_key,
                )
                return _UNKNOWN
            if identity.wrote(message):
                return str(message.get("ts"))
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not page.get("has_more") or not cursor:
            return None
    return None


def _carries_slot(message: dict[str, Any], *, subscription_id: int, slot_key: str) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return (
        metadata.get("event_type") == EVENT_TYPE
        and str(payload.get("subscription_id")) == str(subscription_id)
        and payload.get("slot") == slot_key
    )


def _close_for_good(run: _Run, sub: Subscription, slot_key: str, code: str) -> None:
    # An earlier attempt may have landed before the channel went: the row says the
    # outcome is unknown, so subscribing again does not reopen the week (bot.core.owed).
    for delivery in run.store.deliveries(keys=[(sub.id, slot_key)]):
        if delivery.state is DeliveryState.CLAIMED and delivery.claim_token:
            run.store.mark_failed(
                subscription_id=sub.id,
                slot_key=slot_key,
                token=delivery.claim_token,
                reason=f"{code} while checking the history; outcome unknown",
                now=run.now,
            )
    run.store.pause(subscription_id=sub.id, reason=code, now=run.now)
    log.warning("paused the subscription of %s: Slack answered %s", sub.channel_id, code)
    run.report.add("paused", _outcome(sub, slot_key, detail=code))


def _never_reached_slack(error: OSError) -> bool:
    """A refused connection or an unknown host: the request was never sent."""
    cause = error.reason if isinstance(error, URLError) else error
    return isinstance(cause, ConnectionRefusedError | socket.gaierror)


def _retry_after(error: SlackApiError) -> float:
    headers = error.response.headers or {}
    raw = headers.get("Retry-After") or headers.get("retry-after") or "1"
    if isinstance(raw, list):
        raw = raw[0]
    try:
        return max(0.0, float(raw))
    except ValueError:
        return 1.0


# -- the pool ------------------------------------------------------------------


def _run_jobs(jobs: Iterable[_Job], *, workers: int, clock: Clock) -> None:
    """Step every job to completion on `workers` threads; a job that asks to wait
    goes back in a timed queue and does not hold a thread meanwhile."""
    ready: deque[_Job] = deque(jobs)
    waiting: list[tuple[float, int, _Job]] = []
    order = itertools.count()
    running: dict[Future[float | None], _Job] = {}
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="pmtip-post") as pool:
        while ready or waiting or running:
            moment = clock.monotonic()
            while waiting and waiting[0][0] <= moment:
                ready.append(heapq.heappop(waiting)[2])
            while ready and len(running) < workers:
                job = ready.popleft()
                running[pool.submit(job.step)] = job
            pause = max(0.0, waiting[0][0] - clock.monotonic()) if waiting else None
            if running:
                done, _ = wait(list(running), timeout=pause, return_when=FIRST_COMPLETED)
                for future in done:
                    job = running.pop(future)
                    delay = future.result()
                    if delay is not None:
                        heapq.heappush(waiting, (clock.monotonic() + delay, next(order), job))
            elif pause is not None:
                clock.sleep(pause)
