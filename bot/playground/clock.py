"""The playground's clock, which the person moves, and the weekly posts it brings.

There is no scheduler ticking here: moving the clock is the tick. Time moves to each
slot a subscribed channel is owed, in order, and at each one the playground runs
`post_due`, the operation `python -m bot post-due --at` and the scheduler run, with
the app's own store, catalogue and Web API client. A blind jump of a week would land
past the catch-up window and, exactly as in production, skip the week instead.

Slack still sees the real time: request signatures must be fresh, so only what pmtip
reads through the wiring's `now` (`Parts.now`) and `post_due(now=...)` follows this clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.core.owed import next_post
from bot.core.schedule import Slot
from bot.store.base import StoreError
from bot.weekly.post_due import post_due
from bot.wiring import Parts

WEEK = timedelta(days=7)
STEPS_MAX = 20  # slots visited in one move, at most (one channel has one a week)


class VirtualClock:
    """Real time plus an offset that only grows: the page's clock never runs backwards."""

    def __init__(self, real: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._real = real
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._real() + self._offset

    def move_to(self, instant: datetime) -> None:
        with self._lock:
            self._offset = max(self._offset, instant - self._real())


def next_slot(parts: Parts, *, now: datetime) -> Slot | None:
    """The earliest slot any receiving channel is owed, as `/pmtip schedule` shows it."""
    slots = [
        next_post(
            sub.schedule,
            now=now,
            catchup_hours=parts.settings.catchup_hours,
            active_since=sub.active_since,
            ledger={d.slot_key: d for d in parts.store.deliveries(subscription_id=sub.id)},
        )
        for sub in parts.store.subscriptions()
        if sub.receiving and sub.schedule is not None
    ]
    return min(slots, key=lambda slot: slot.instant, default=None)


def advance(parts: Parts, clock: VirtualClock, *, week: bool) -> list[str]:
    """Move to the next slot (or through every slot of the coming week); what happened."""
    end = clock.now() + WEEK
    lines: list[str] = []
    visited: set[str] = set()
    for _ in range(STEPS_MAX):
        slot = next_slot(parts, now=clock.now())
        if slot is None or (week and slot.instant > end) or slot.key in visited:
            break
        visited.add(slot.key)  # a week post_due leaves open is not run again in this move
        clock.move_to(slot.instant)
        lines += _post_due(parts, clock.now())
        if not week:
            break
    if week:
        clock.move_to(end)
    if not visited:
        lines.append(
            "No channel is subscribed, so nothing was due. Switch to Alex (admin) and type "
            "/pmtip subscribe in #playground first."
            if next_slot(parts, now=clock.now()) is None
            else "No weekly slot fell in that week."
        )
    return [f"The clock now reads {_shown(clock.now())}.", *lines]


def _post_due(parts: Parts, now: datetime) -> list[str]:
    try:
        report = post_due(
            store=parts.store,
            client=parts.posting_client,
            catalogue=parts.catalogue.current(),
            now=now,
            catchup_hours=parts.settings.catchup_hours,
            identity=parts.identity,
        )
    except StoreError as error:
        return [f"post-due at {_shown(now)}: {error}; nothing was posted"]
    return [f"post-due at {_shown(now)}: {report.summary()}", *report.lines()]


def _shown(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%a %d %b %Y, %H:%M UTC")
