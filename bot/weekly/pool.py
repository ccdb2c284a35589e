"""The pool that steps delivery jobs: a few threads, and a timed queue for the jobs
that asked to wait (a backoff), so that a waiting job holds no thread and the other
channels go on.

Jobs run in lanes, one per workspace, because Slack's rate limits are per
workspace: a lane has at most `per_lane` jobs running, and a 429's Retry-After
holds back only the lane that got it. Lanes take turns, so one big or slow
workspace never holds up the rest.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections import deque
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Protocol


class HoldLane(float):
    """Returned by a step instead of a plain delay: wait this many seconds, and so
    must every other job of the same lane (Slack's Retry-After is per workspace)."""


class Job(Protocol):
    @property
    def lane(self) -> str:
        """The workspace the job posts to."""
        ...

    def step(self) -> float | None:
        """Do the next piece of work: None when done, or seconds to wait before the next
        (a HoldLane when the whole lane must wait)."""
        ...


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass
class _Lane:
    ready: deque[Job] = field(default_factory=deque)
    running: int = 0
    held_until: float = 0.0
    queued: bool = False  # in the turn queue now


class _Lanes:
    """Which job runs next: lanes take turns; a lane at its cap or held is skipped
    until a job of it ends or its hold is over."""

    def __init__(self, per_lane: int) -> None:
        self.per_lane = max(1, per_lane)
        self.lanes: dict[str, _Lane] = {}
        self.turns: deque[str] = deque()
        self.holds: list[tuple[float, str]] = []  # (until, lane), earliest first
        self.ready_jobs = 0

    def add(self, job: Job, *, now: float) -> None:
        lane = self.lanes.setdefault(job.lane, _Lane())
        lane.ready.append(job)
        self.ready_jobs += 1
        self._offer(job.lane, lane, now=now)

    def _offer(self, name: str, lane: _Lane, *, now: float) -> None:
        if lane.queued or not lane.ready or lane.running >= self.per_lane:
            return
        if lane.held_until > now:
            return  # comes back through `release_holds`
        lane.queued = True
        self.turns.append(name)

    def hold(self, name: str, until: float) -> None:
        lane = self.lanes[name]
        if until > lane.held_until:
            lane.held_until = until
            heapq.heappush(self.holds, (until, name))

    def release_holds(self, now: float) -> None:
        while self.holds and self.holds[0][0] <= now:
            _, name = heapq.heappop(self.holds)
            self._offer(name, self.lanes[name], now=now)

    def next_hold(self) -> float | None:
        return self.holds[0][0] if self.holds else None

    def take(self, now: float) -> Job | None:
        while self.turns:
            name = self.turns.popleft()
            lane = self.lanes[name]
            lane.queued = False
            if lane.held_until > now or lane.running >= self.per_lane or not lane.ready:
                continue
            job = lane.ready.popleft()
            self.ready_jobs -= 1
            lane.running += 1
            self._offer(name, lane, now=now)  # back of the queue: the others go first
            return job
        return None

    def finished(self, job: Job, *, now: float) -> None:
        lane = self.lanes[job.lane]
        lane.running -= 1
        self._offer(job.lane, lane, now=now)


def run_jobs(jobs: Iterable[Job], *, workers: int, per_lane: int, clock: Clock) -> None:
    """Step every job to completion on `workers` threads, at most `per_lane` at once
    per lane. A job that asks to wait goes back in a timed queue and holds no thread
    meanwhile; a HoldLane also holds back the rest of its lane."""
    workers = max(1, workers)
    lanes = _Lanes(per_lane)
    moment = clock.monotonic()
    for job in jobs:
        lanes.add(job, now=moment)
    waiting: list[tuple[float, int, Job]] = []
    order = itertools.count()
    running: dict[Future[float | None], Job] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pmtip-post") as pool:
        while lanes.ready_jobs or waiting or running:
            moment = clock.monotonic()
            while waiting and waiting[0][0] <= moment:
                lanes.add(heapq.heappop(waiting)[2], now=moment)
            lanes.release_holds(moment)
            while len(running) < workers and (starting := lanes.take(moment)) is not None:
                running[pool.submit(starting.step)] = starting
            wakes = [
                t for t in (waiting[0][0] if waiting else None, lanes.next_hold()) if t is not None
            ]
            pause = max(0.0, min(wakes) - clock.monotonic()) if wakes else None
            if running:
                done, _ = wait(list(running), timeout=pause, return_when=FIRST_COMPLETED)
                for future in done:
                    job = running.pop(future)
                    delay = future.result()
                    now = clock.monotonic()
                    lanes.finished(job, now=now)
                    if delay is None:
                        continue
                    if isinstance(delay, HoldLane):
                        lanes.hold(job.lane, now + delay)
                    heapq.heappush(waiting, (now + delay, next(order), job))
            elif pause is not None:
                clock.sleep(pause)
