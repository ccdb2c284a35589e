"""One week's post as a job the pool steps: claim the week, post, and carry out what
bot.core.delivery_rules decides after each answer from Slack."""

from __future__ import annotations

import logging
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import assert_never
from urllib.error import URLError

from slack_sdk.errors import SlackApiError

from bot.core import rotation
from bot.core.delivery_rules import (
    Done,
    InDoubt,
    LookThenRelease,
    NoAnswer,
    Pause,
    PostAgain,
    RecordPosted,
    Release,
    RetryAfter,
    SlackRefused,
    StopRun,
    Tries,
    after_failed_post,
    after_last_look,
    before_posting_again,
    retry_after_seconds,
    slot_metadata,
    when_halted,
)
from bot.core.render.tips import weekly_insight
from bot.core.slot_outcomes import Result
from bot.store.base import StoreError, Subscription
from bot.weekly.history import look_for_post
from bot.weekly.pool import HoldLane
from bot.weekly.run import Run

log = logging.getLogger(__name__)

NO_TOKEN = "no_installation"  # many workspaces: the workspace has no usable token


class Job:
    """A piece of a run the pool steps: `step()` returns None when done, or the
    seconds to wait before the next step. A failure is reported, never raised."""

    def __init__(self, run: Run) -> None:
        self.run = run

    @property
    def lane(self) -> str:
        """The workspace posted to: Slack's rate limits and token errors are per workspace."""
        return self.run.lane_of(self.subscription())

    def subscription(self) -> Subscription:
        raise NotImplementedError

    def step(self) -> float | None:
        try:
            return self.attempt()
        except StoreError as error:
            # Left for later, never dropped: a claim that failed left no row, so the
            # next tick claims again; one that stays is settled after the lease.
            log.error("%s: %s; left for the next tick", self.label(), error)
            self.unfinished(str(error))
        except Exception:
            log.exception("unexpected error while delivering")
            self.unfinished("unexpected error; see the log")
        return None

    def attempt(self) -> float | None:
        raise NotImplementedError

    def label(self) -> str:
        raise NotImplementedError

    def unfinished(self, detail: str) -> None:
        raise NotImplementedError


@dataclass
class Post:
    sub: Subscription
    slot_key: str
    slot_at: datetime
    eligible: list[str] | None = None  # None: the tip was chosen by an earlier claim
    tip_id: str | None = None
    token: str | None = None
    tries: Tries = field(default_factory=Tries)
    replace_settled: bool = False  # post-now: a skipped or failed row for the week may be taken


class PostJob(Job):
    def __init__(self, run: Run, post: Post) -> None:
        super().__init__(run)
        self.post = post

    def subscription(self) -> Subscription:
        return self.post.sub

    def label(self) -> str:
        return f"{self.post.sub.channel_id} {self.post.slot_key}"

    def unfinished(self, detail: str) -> None:
        self._report(Result.FAILED, detail)

    def attempt(self) -> float | None:
        run, post = self.run, self.post
        if (halted := run.halted(self.lane)) is not None:
            return self.carry_out(when_halted(halted, tries=post.tries))
        client = run.client_of(post.sub)
        if client is None:  # uninstalled, or its token revoked: only this workspace stops
            return self.carry_out(StopRun(NO_TOKEN))
        if post.token is None and not self._claim():
            return None
        if post.tries.may_have_posted:
            look = look_for_post(run, post.sub, post.slot_key)
            decision = before_posting_again(look, tries=post.tries, policy=run.policy)
            if not isinstance(decision, PostAgain):
                return self.carry_out(decision)
        tip = run.catalogue.tip(post.tip_id or "")
        if tip is None:  # retired between claim and post (a reload): pick again next tick
            return self.carry_out(Release(f"tip {post.tip_id} left the catalogue"))
        if (held := run.held_for(post.sub)) > 0:  # another post here heard a 429
            return HoldLane(held)
        message = weekly_insight(tip)
        try:
            response = client.chat_postMessage(
                channel=post.sub.channel_id,
                text=message.text,
                blocks=message.blocks,
                metadata=slot_metadata(subscription_id=post.sub.id, slot_key=post.slot_key),
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as error:
            failure: SlackRefused | NoAnswer = _refusal(error)
        except OSError as error:
            failure = NoAnswer(f"{type(error).__name__}: {error}", sent=_may_have_sent(error))
        else:
            return self.carry_out(RecordPosted(str(response.get("ts") or "")))
        return self.carry_out(after_failed_post(failure, tries=post.tries, policy=run.policy))

    def carry_out(
        self,
        decision: RetryAfter
        | Pause
        | StopRun
        | Release
        | InDoubt
        | LookThenRelease
        | RecordPosted
        | Done,
    ) -> float | None:
        """Do what the rules decided; seconds to wait when they say to try again."""
        post = self.post
        match decision:
            case RetryAfter(seconds=seconds, tries=tries, reason=reason, whole_workspace=whole):
                post.tries = tries
                self.run.report.count_retry()
                log.info("%s: %s; retrying in %gs", self.label(), reason, seconds)
                if not whole:
                    return seconds
                self.run.hold_lane(post.sub, seconds)
                return HoldLane(seconds)
            case Pause(code=code):
                self._pause(code)
            case StopRun(code=code):
                self.run.stop_lane(self.lane, code)
                self._release(code)
            case Release(reason=reason):
                self._release(reason)
            case InDoubt(detail=detail):
                log.warning("%s: %s", self.label(), detail)
                self._report(Result.FAILED, detail)
            case LookThenRelease(reason=reason):
                look = look_for_post(self.run, post.sub, post.slot_key)
                return self.carry_out(after_last_look(look, reason=reason))
            case RecordPosted(ts=ts):
                self._posted(ts)
            case Done():
                pass
            case _:
                assert_never(decision)
        return None

    def _claim(self) -> bool:
        run, post = self.run, self.post
        position = run.store.rotation_position(post.sub.id)
        pick = rotation.next_pick(
            post.eligible or [],
            seed=position.seed,
            round=position.round,
            delivered_this_round=position.delivered_this_round,
            previous=position.previous,
        )
        if pick is None:  # pragma: no cover - claim_job checked there are eligible tips
            return False
        token = uuid.uuid4().hex
        if not run.store.claim(
            subscription_id=post.sub.id,
            slot_key=post.slot_key,
            slot_at=post.slot_at,
            tip_id=pick.tip_id,
            round=pick.round,
            token=token,
            now=run.now,
            replace_settled=post.replace_settled,
        ):
            run.add(Result.TAKEN, post.sub, post.slot_key, detail="claimed by another run")
            return False
        post.token, post.tip_id = token, pick.tip_id
        return True

    def _posted(self, ts: str) -> None:
        run, post = self.run, self.post
        if post.token is not None and run.store.mark_posted(
            subscription_id=post.sub.id,
            slot_key=post.slot_key,
            token=post.token,
            message_ts=ts,
            now=run.now,
        ):
            log.info("posted %s: %s (ts %s)", self.label(), post.tip_id, ts)
        else:
            # Our claim was taken over (we outlived the lease): the other process
            # may post too. Say so loudly; the ledger keeps the other's record.
            log.warning(
                "%s: posted (ts %s) after the claim was taken over; the channel "
                "may show this week's insight twice",
                self.label(),
                ts,
            )
        self._report(Result.POSTED, f"ts {ts}")

    def _release(self, reason: str) -> None:
        run, post = self.run, self.post
        if post.token is not None:
            run.store.release(subscription_id=post.sub.id, slot_key=post.slot_key, token=post.token)
        log.warning("%s not posted: %s; left for the next tick", self.label(), reason)
        self._report(Result.FAILED, reason)

    def _pause(self, code: str) -> None:
        run, post = self.run, self.post
        if post.token is not None:
            run.store.mark_failed(
                subscription_id=post.sub.id,
                slot_key=post.slot_key,
                token=post.token,
                reason=code,
                now=run.now,
            )
        run.store.pause(subscription_id=post.sub.id, reason=code, now=run.now)
        log.warning("paused the subscription of %s: Slack answered %s", post.sub.channel_id, code)
        self._report(Result.PAUSED, code)

    def _report(self, result: Result, detail: str) -> None:
        post = self.post
        self.run.add(result, post.sub, post.slot_key, tip_id=post.tip_id, detail=detail)


def _refusal(error: SlackApiError) -> SlackRefused:
    status = error.response.status_code
    headers = error.response.headers or {}
    return SlackRefused(
        status=status,
        code=str(error.response.get("error") or f"http_{status}"),
        retry_after=retry_after_seconds(headers.get("Retry-After") or headers.get("retry-after")),
    )


def _may_have_sent(error: OSError) -> bool:
    """False for a refused connection or an unknown host: the request never left."""
    cause = error.reason if isinstance(error, URLError) else error
    return not isinstance(cause, ConnectionRefusedError | socket.gaierror)
