"""Which tip each person saw last, so `/pmtip <topic>` does not repeat itself.

In memory and per process: it is a courtesy, not a record, and must cost
nothing on the request path. Bounded, so a busy workspace cannot grow it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict


class RecentTips:
    def __init__(self, *, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._last: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._lock = threading.Lock()

    def last(self, user_id: str, scope: str) -> str | None:
        with self._lock:
            return self._last.get((user_id, scope))

    def remember(self, user_id: str, scope: str, tip_id: str) -> None:
        with self._lock:
            self._last[(user_id, scope)] = tip_id
            self._last.move_to_end((user_id, scope))
            while len(self._last) > self._capacity:
                self._last.popitem(last=False)
