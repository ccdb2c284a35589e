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

import logging
import random
import threading
from datetime import datetime

from slack_sdk import WebClient

from bot.core import rotation
from bot.core.catalogue import Catalogue
from bot.core.delivery_rules import DEFAULT_POLICY, DeliveryPolicy, claimed_before
from bot.core.owed import owed_now
from bot.core.schedule import Due, Slot, TooLate, slot_for_week_of, slot_status
from bot.core.slot_outcomes import PostNowResult, Result
from bot.slack.identity import BotIdentity
from bot.slack.workspace_clients import WorkspaceClients
from bot.store.base import Delivery, DeliveryState, Store, Subscription
from bot.weekly.jobs import Job, Post, PostJob
from bot.weekly.pool import Clock, SystemClock, run_jobs
from bot.weekly.reconcile import ReconcileJob
from bot.weekly.report import DeliveryReport
from bot.weekly.run import Run

log = logging.getLogger(__name__)


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
    workspaces: WorkspaceClients | None = None,
) -> DeliveryReport:
    """Post every weekly insight due at `now`, each slot once. Safe to repeat and to race.

    `client` should have no retry handlers of its own: the retries here know
    which failures may have posted and check before posting again. Setting
    `cancel` (on SIGTERM) stops new posts; slots not yet posted are released.
    `identity` (the bot's own ids, for telling its posts apart) is asked of
    Slack at most once per run when not passed in; a long-lived process passes one.
    With many workspaces, `workspaces` gives each workspace's client and identity
    (`client` and `identity` are then unused).
    """
    report = DeliveryReport()
    run = Run(
        store=store,
        client=client,
        catalogue=catalogue,
        now=now,
        catchup_hours=catchup_hours,
        policy=policy,
        report=report,
        identity=identity or BotIdentity(client),
        cancel=cancel or threading.Event(),
        workspaces=workspaces,
    )
    run_jobs(
        _shuffled(reconcile_jobs(run)) + _shuffled(due_jobs(run)),
        workers=policy.workers,
        per_lane=policy.per_workspace,
        clock=clock or SystemClock(),
    )
    log.info("post-due at %s: %s", now.isoformat(), report.summary())
    return report


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
    workspaces: WorkspaceClients | None = None,
) -> PostNowResult:
    """Post the channel's next insight now, as this week's slot (so it is not posted again)."""
    report = DeliveryReport()
    run = Run(
        store=store,
        client=client,
        catalogue=catalogue,
        now=now,
        catchup_hours=0,
        policy=policy,
        report=report,
        identity=identity or BotIdentity(client),
        workspaces=workspaces,
    )
    if subscription.schedule is None:  # paused: its stored schedule cannot be used
        return PostNowResult(False, subscription.paused_reason or "the schedule cannot be used")
    slot = slot_for_week_of(subscription.schedule, now)
    existing = store.deliveries(keys=[(subscription.id, slot.key)])
    if existing and existing[0].state in (DeliveryState.POSTED, DeliveryState.CLAIMED):
        return PostNowResult(False, "This week's insight was already posted to this channel.")
    job = claim_job(run, subscription, slot, replace_settled=bool(existing))
    if job is None:
        return PostNowResult(False, report.failed[0].detail if report.failed else "")
    run_jobs([job], workers=1, per_lane=1, clock=clock or SystemClock())
    if done := report.first(Result.POSTED, Result.RECONCILED):
        return PostNowResult(True, "Posted this week's insight.", done[1])
    if left := report.first(Result.PAUSED, Result.FAILED, Result.TAKEN, Result.SKIPPED):
        return PostNowResult(False, left[1].detail, left[1])
    return PostNowResult(False, "Nothing was posted.")  # pragma: no cover


def _shuffled(jobs: list[Job]) -> list[Job]:
    """The jobs in a random order, so that clock processes running at once start in
    different places and share the work: a claim is a unique insert that never waits,
    so a clock that loses one simply moves on (no duplicate, no lock held)."""
    random.SystemRandom().shuffle(jobs)
    return jobs


def reconcile_jobs(run: Run) -> list[Job]:
    """Jobs that settle claims older than the lease (their process may have died)."""
    orphans = run.store.stale_claims(claimed_before=claimed_before(run.now, policy=run.policy))
    if not orphans:
        return []
    by_id = {sub.id: sub for sub in run.store.subscriptions(receiving_only=False)}
    return [
        ReconcileJob(run, claim=claim, sub=by_id[claim.subscription_id])
        for claim in orphans
        if claim.subscription_id in by_id and claim.claim_token is not None
    ]


def due_jobs(run: Run) -> list[Job]:
    receiving = [(s, s.schedule) for s in run.store.subscriptions() if s.receiving and s.schedule]
    # The ledger is read (in one query) only for the weeks whose slot has come.
    timings = [
        slot_status(
            schedule, now=run.now, catchup_hours=run.catchup_hours, active_since=sub.active_since
        )
        for sub, schedule in receiving
    ]
    wanted = [
        (sub.id, timing.slot.key)
        for (sub, _), timing in zip(receiving, timings, strict=True)
        if isinstance(timing, Due | TooLate)
    ]
    ledgers: dict[int, dict[str, Delivery]] = {}
    for row in run.store.deliveries(keys=wanted):
        ledgers.setdefault(row.subscription_id, {})[row.slot_key] = row
    jobs: list[Job] = []
    for sub, schedule in receiving:
        ledger = ledgers.get(sub.id, {})
        status = owed_now(
            schedule,
            now=run.now,
            catchup_hours=run.catchup_hours,
            active_since=sub.active_since,
            ledger=ledger,
        )
        if isinstance(status, TooLate):
            _skip_too_late(run, sub, status)
        elif isinstance(status, Due):
            # A row the week still has was closed by Slack's refusal before the
            # channel was subscribed again: the claim takes its place.
            reopened = status.slot.key in ledger
            if job := claim_job(run, sub, status.slot, replace_settled=reopened):
                jobs.append(job)
    return jobs


def _skip_too_late(run: Run, sub: Subscription, status: TooLate) -> None:
    hours = status.late_by.total_seconds() / 3600
    reason = (
        f"too late: the slot was {status.slot.instant.isoformat()}, {hours:.1f} hours "
        f"before this run, beyond CATCHUP_HOURS={run.catchup_hours:g}"
    )
    if run.store.record_skipped(
        subscription_id=sub.id,
        slot_key=status.slot.key,
        slot_at=status.slot.instant,
        reason=reason,
        now=run.now,
    ):
        log.warning("skipped %s %s: %s", sub.channel_id, status.slot.key, reason)
        run.add(Result.SKIPPED, sub, status.slot.key, detail=reason)


def claim_job(
    run: Run, sub: Subscription, slot: Slot, *, replace_settled: bool = False
) -> PostJob | None:
    """A job that claims and posts the slot, or None when there is nothing to post."""
    eligible = rotation.eligible_tip_ids(run.catalogue, topics=sub.topics)
    if not eligible:
        reason = (
            f"no tips in the topics {', '.join(sub.topics)}"
            if sub.topics
            else "the catalogue has no tips"
        )
        # Not recorded as skipped: a tips file being edited (or rejected at
        # start) must not cost a channel its week. Tried again next tick.
        log.warning("%s %s not posted yet: %s", sub.channel_id, slot.key, reason)
        run.add(Result.FAILED, sub, slot.key, detail=reason)
        return None
    post = Post(
        sub=sub,
        slot_key=slot.key,
        slot_at=slot.instant,
        eligible=eligible,
        replace_settled=replace_settled,
    )
    return PostJob(run, post)
