"""Settling a claim older than the lease: its process may have died before or after
Slack took the post. The channel's history is the evidence (bot.weekly.history);
bot.core.delivery_rules.settle_orphan decides; this job carries it out, and when
nobody posted, takes the claim over and posts it as a PostJob would."""

from __future__ import annotations

import logging
import uuid
from typing import assert_never

from bot.core.delivery_rules import (
    HISTORY_UNREADABLE,
    Done,
    Orphan,
    RecordPosted,
    past_catchup,
    settle_orphan,
)
from bot.core.slot_outcomes import Result
from bot.store.base import Delivery, Subscription
from bot.weekly.history import look_for_post
from bot.weekly.jobs import Job, Post, PostJob
from bot.weekly.run import Run

log = logging.getLogger(__name__)


class ReconcileJob(Job):
    def __init__(self, run: Run, *, claim: Delivery, sub: Subscription) -> None:
        super().__init__(run)
        self.claim = claim
        self.sub = sub
        self.token = claim.claim_token or ""  # reconcile_jobs takes claims only
        self.then: PostJob | None = None  # the post, once the claim is taken over

    def subscription(self) -> Subscription:
        return self.sub

    def label(self) -> str:
        return f"{self.sub.channel_id} {self.claim.slot_key}"

    def unfinished(self, detail: str) -> None:
        self._report(Result.FAILED, detail)

    def attempt(self) -> float | None:
        if self.then is not None:
            return self.then.attempt()
        run, claim = self.run, self.claim
        look = look_for_post(run, self.sub, claim.slot_key)
        too_late = past_catchup(claim.slot_at, now=run.now, catchup_hours=run.catchup_hours)
        decision = settle_orphan(look, too_late=too_late)
        match decision:
            case RecordPosted(ts=ts):
                self._record_posted(ts)
            case Done():
                pass  # the look found the channel gone, paused it and closed the week
            case Orphan.CLOSE_UNKNOWN:
                # Cannot tell whether it was posted, and it is too late to matter:
                # close it rather than risk a duplicate (at most once, with a warning).
                self._close("outcome unknown after a crash; not re-posted")
                log.warning(
                    "%s: could not check whether an interrupted post landed; not re-posting",
                    self.label(),
                )
                self._report(Result.FAILED, HISTORY_UNREADABLE)
            case Orphan.LEAVE_FOR_LATER:
                self._report(Result.FAILED, HISTORY_UNREADABLE)
            case Orphan.CLOSE_TOO_LATE:
                self._close("interrupted, and now past the catch-up window")
                log.warning(
                    "%s: an interrupted post was never made and it is now too late; skipped",
                    self.label(),
                )
                self.run.add(Result.SKIPPED, self.sub, claim.slot_key, detail="too late")
            case Orphan.TAKE_OVER:
                return self._take_over()
            case _:
                assert_never(decision)
        return None

    def _record_posted(self, ts: str) -> None:
        if self.run.store.mark_posted(
            subscription_id=self.sub.id,
            slot_key=self.claim.slot_key,
            token=self.token,
            message_ts=ts,
            now=self.run.now,
        ):
            log.warning(
                "%s: a process died after posting; found the post (ts %s) and recorded it",
                self.label(),
                ts,
            )
            self._report(Result.RECONCILED, f"ts {ts}")

    def _close(self, reason: str) -> None:
        self.run.store.mark_failed(
            subscription_id=self.sub.id,
            slot_key=self.claim.slot_key,
            token=self.token,
            reason=reason,
            now=self.run.now,
        )

    def _take_over(self) -> float | None:
        run, claim, sub = self.run, self.claim, self.sub
        token = uuid.uuid4().hex
        if not run.store.reclaim(
            subscription_id=sub.id,
            slot_key=claim.slot_key,
            old_token=self.token,
            new_token=token,
            now=run.now,
        ):
            self._report(Result.TAKEN, "")
            return None
        if not sub.receiving:
            run.store.release(subscription_id=sub.id, slot_key=claim.slot_key, token=token)
            return None
        log.warning("%s: a process died before posting; posting it now", self.label())
        post = Post(
            sub=sub,
            slot_key=claim.slot_key,
            slot_at=claim.slot_at,
            tip_id=claim.tip_id,
            token=token,
        )
        self.then = PostJob(run, post)
        return 0.0

    def _report(self, result: Result, detail: str) -> None:
        self.run.add(result, self.sub, self.claim.slot_key, tip_id=self.claim.tip_id, detail=detail)
