"""The one watchdog thread behind the database deadlines: an action runs once its
deadline has passed, unless its work finished first; many deadlines, one thread."""

from __future__ import annotations

import threading

from bot.store.sql.watchdog import Watchdog


def test_an_overdue_deadline_runs_its_action_and_a_finished_one_does_not():
    watchdog = Watchdog()
    fired: list[str] = []
    everything_fired = threading.Event()
    slow, quick, later = threading.Event(), threading.Event(), threading.Event()

    def fire(name: str) -> None:
        fired.append(name)
        if len(fired) == 2:
            everything_fired.set()

    watchdog.arm(0.3, later, lambda: fire("later"))
    watchdog.arm(0.05, slow, lambda: fire("slow"))  # sooner than "later": wakes the thread
    watchdog.arm(0.05, quick, lambda: fire("quick"))
    quick.set()  # finished in time
    assert everything_fired.wait(5)
    assert fired == ["slow", "later"]


def test_one_thread_keeps_every_deadline():
    watchdog = Watchdog()
    before = threading.active_count()
    events = [threading.Event() for _ in range(200)]
    for event in events:
        watchdog.arm(60, event, lambda: None)
        event.set()
    assert threading.active_count() <= before + 1


def test_a_failing_action_does_not_stop_the_watchdog():
    watchdog = Watchdog()
    survived = threading.Event()

    def fail() -> None:
        raise RuntimeError("boom")

    watchdog.arm(0.01, threading.Event(), fail)
    watchdog.arm(0.05, threading.Event(), survived.set)
    assert survived.wait(5)
