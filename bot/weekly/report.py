"""What one delivery run did, week by week, under one `Result` each; safe to add to
from the pool's threads."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from bot.core.slot_outcomes import Result, SlotOutcome


@dataclass
class DeliveryReport:
    outcomes: dict[Result, list[SlotOutcome]] = field(
        default_factory=lambda: {result: [] for result in Result}
    )
    retries: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, result: Result, outcome: SlotOutcome) -> None:
        with self._lock:
            self.outcomes[result].append(outcome)

    def count_retry(self) -> None:
        with self._lock:
            self.retries += 1

    def first(self, *results: Result) -> tuple[Result, SlotOutcome] | None:
        """The first outcome under the first of `results` that has any."""
        for result in results:
            if self.outcomes[result]:
                return result, self.outcomes[result][0]
        return None

    @property
    def posted(self) -> list[SlotOutcome]:
        return self.outcomes[Result.POSTED]

    @property
    def reconciled(self) -> list[SlotOutcome]:
        return self.outcomes[Result.RECONCILED]

    @property
    def skipped(self) -> list[SlotOutcome]:
        return self.outcomes[Result.SKIPPED]

    @property
    def paused(self) -> list[SlotOutcome]:
        return self.outcomes[Result.PAUSED]

    @property
    def failed(self) -> list[SlotOutcome]:
        return self.outcomes[Result.FAILED]

    @property
    def taken(self) -> list[SlotOutcome]:
        return self.outcomes[Result.TAKEN]

    def summary(self) -> str:
        counts = ", ".join(f"{result.value} {len(self.outcomes[result])}" for result in Result)
        return f"{counts}, retries {self.retries}"

    def lines(self) -> list[str]:
        """One line per week, for the command line."""
        return [
            f"{result.value}: {outcome.describe()}"
            for result in Result
            for outcome in self.outcomes[result]
        ]
