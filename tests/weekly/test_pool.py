"""The pool's lanes (one per workspace): a cap per lane, turns between lanes, and a
429's hold that stops only its own lane. Ordering is asserted from what the jobs
saw, never from durations."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from bot.weekly.pool import HoldLane, SystemClock, run_jobs


@dataclass
class Log:
    events: list[tuple[str, str]] = field(default_factory=list)
    started: dict[str, list[float]] = field(default_factory=dict)
    running: dict[str, int] = field(default_factory=dict)
    most: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enter(self, lane: str, name: str) -> None:
        with self.lock:
            self.events.append((lane, name))
            self.started.setdefault(name, []).append(time.monotonic())
            self.running[lane] = self.running.get(lane, 0) + 1
            self.most[lane] = max(self.most.get(lane, 0), self.running[lane])

    def leave(self, lane: str) -> None:
        with self.lock:
            self.running[lane] -= 1


@dataclass
class FakeJob:
    lane: str
    name: str
    log: Log
    answers: list[float | None]  # what each step returns, in turn
    work: threading.Event | None = None  # a step blocks until this is set

    def step(self) -> float | None:
        self.log.enter(self.lane, self.name)
        try:
            if self.work is not None:
                self.work.wait(5)
            return self.answers.pop(0) if self.answers else None
        finally:
            self.log.leave(self.lane)


def run(jobs: list[FakeJob], *, workers: int, per_lane: int) -> None:
    run_jobs(jobs, workers=workers, per_lane=per_lane, clock=SystemClock())


def test_every_job_runs_to_the_end():
    log = Log()
    jobs = [FakeJob(f"T{n % 3}", f"j{n}", log, [0.01, None]) for n in range(12)]
    run(jobs, workers=4, per_lane=2)
    assert sorted(name for _, name in log.events) == sorted([f"j{n}" for n in range(12)] * 2)


def test_a_lane_never_has_more_running_than_its_cap():
    log, gate = Log(), threading.Event()
    threading.Timer(0.3, gate.set).start()
    jobs = [FakeJob("T1", f"a{n}", log, [], gate) for n in range(6)]
    jobs += [FakeJob("T2", f"b{n}", log, [], gate) for n in range(6)]
    run(jobs, workers=8, per_lane=2)
    assert log.most == {"T1": 2, "T2": 2}


def test_lanes_take_turns_so_a_big_workspace_does_not_go_first_entirely():
    log = Log()
    jobs = [FakeJob("BIG", f"big{n}", log, []) for n in range(20)]
    jobs += [FakeJob("SMALL", "small", log, [])]
    run(jobs, workers=1, per_lane=1)
    assert log.events.index(("SMALL", "small")) <= 1


def test_a_hold_stops_its_own_lane_only():
    log = Log()
    limited = FakeJob("A", "a-limited", log, [HoldLane(0.5), None])
    rest_of_a = [FakeJob("A", f"a{n}", log, []) for n in range(3)]
    others = [FakeJob("B", f"b{n}", log, []) for n in range(5)]
    run([limited, *rest_of_a, *others], workers=1, per_lane=1)

    order = [name for _, name in log.events]
    assert order[0] == "a-limited"
    # Every other workspace's job ran while A was held...
    assert max(order.index(f"b{n}") for n in range(5)) < min(order.index(f"a{n}") for n in range(3))
    # ...and none of A's own jobs started before A's hold was over.
    held_from = log.started["a-limited"][0]
    assert all(log.started[f"a{n}"][0] >= held_from + 0.5 for n in range(3))
    assert log.started["a-limited"][1] >= held_from + 0.5


def test_a_plain_delay_holds_only_its_own_job():
    log = Log()
    backing_off = FakeJob("A", "a-backoff", log, [0.5, None])
    rest_of_a = [FakeJob("A", f"a{n}", log, []) for n in range(3)]
    run([backing_off, *rest_of_a], workers=1, per_lane=1)
    order = [name for _, name in log.events]
    assert order[-1] == "a-backoff" and order.count("a-backoff") == 2
