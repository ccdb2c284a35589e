"""Problems found in a tips file, and a bounded place to collect them.

A file can hold any number of mistakes (100,000 broken tips are 600 KB), and a
refused file's problems stay in every worker process until the next good save.
So only the first PROBLEMS_KEPT, in the order of the file, are kept; the rest
are counted. Each message quotes at most SHOWN_MAX characters of the file, and
shows its control characters as escapes (bot.core.controls): a problem can be
printed to a terminal, logged, or sent to Slack as it is.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from bot.core.controls import show_controls
from bot.core.render.blocks import clip

PROBLEMS_KEPT = 100  # `validate` lists these; a reply or a direct message shows fewer
SHOWN_MAX = 200  # characters of a key or value quoted back in a message


@dataclass(frozen=True, slots=True)
class Problem:
    line: int  # 1-based
    column: int  # 1-based
    message: str

    def __post_init__(self) -> None:
        # Every producer's message is made safe here, once, whatever it quotes.
        object.__setattr__(self, "message", show_controls(self.message))

    def format(self, path: str) -> str:
        return f"{show_controls(path)}:{self.line}:{self.column}: {self.message}"


def shown(value: object) -> str:
    """A key or value from the file, short enough to quote in a message."""
    return clip(str(value), SHOWN_MAX)


class ProblemLog:
    """The first `keep` problems in file order, and how many there were in all.

    Problems arrive roughly, not exactly, in file order (a missing key is
    reported at its mapping after the mapping's other problems), so the log
    keeps the `keep` earliest seen so far in a heap, with arrival order breaking
    ties as a stable sort would."""

    def __init__(self, keep: int = PROBLEMS_KEPT) -> None:
        self._keep = keep
        self._heap: list[tuple[tuple[int, int, int], Problem]] = []  # max-heap by negation
        self.total = 0

    def add(self, problem: Problem) -> None:
        self.total += 1
        entry = ((-problem.line, -problem.column, -self.total), problem)
        if len(self._heap) < self._keep:
            heapq.heappush(self._heap, entry)
        elif entry[0] > self._heap[0][0]:
            heapq.heapreplace(self._heap, entry)

    def would_keep(self, line: int, column: int) -> bool:
        """Whether a problem at this place would be kept: when not, the caller
        can skip working out its message (a "did you mean", say)."""
        if len(self._heap) < self._keep:
            return True
        return (-line, -column, -(self.total + 1)) > self._heap[0][0]

    @property
    def kept(self) -> tuple[Problem, ...]:
        return tuple(problem for _, problem in sorted(self._heap, reverse=True))

    @property
    def left_out(self) -> int:
        return self.total - len(self._heap)
