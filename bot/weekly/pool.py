"""The pool that steps delivery jobs: a few threads, and a timed queue for the jobs
that asked to wait (a 429's Retry-After, a backoff), so that a waiting job holds
no thread and the other channels go on."""

from __future__ import annotations

import heapq
import itertools
import time
from collections import deque
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Protocol


class Job(Protocol):
    def step(self) -> float | None:
        """Do the next piece of work: None when done, or seconds to wait before the next."""
        ...


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def run_jobs(jobs: Iterable[Job], *, workers: int, clock: Clock) -> None:
    """Step every job to completion on `workers` threads; a job that asks to wait
    goes back in a timed queue and does not hold a thread meanwhile."""
    ready: deque[Job] = deque(jobs)
    waiting: list[tuple[float, int, Job]] = []
    order = itertools.count()
    running: dict[Future[float | None], Job] = {}
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
