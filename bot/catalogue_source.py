"""The live catalogue: the tips file on disk, loaded, checked and swapped in whole.

A request reads `current()` once and works with that object, so it sees either
the old or the new catalogue, never a mix. A file that fails to load never
replaces the last good catalogue; its problems are kept for admins to see.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.core.catalogue import Catalogue
from bot.core.tips_file import Problem, decode_tips_bytes, parse_catalogue

log = logging.getLogger(__name__)

EMPTY = Catalogue(topics=(), tips=())


@dataclass(frozen=True, slots=True)
class LoadOutcome:
    ok: bool
    summary: str
    problems: tuple[str, ...] = ()  # formatted `PATH:LINE:COLUMN: message`


def read_catalogue(path: Path) -> tuple[Catalogue | None, tuple[Problem, ...]]:
    """Load and validate the tips file at `path`."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, (Problem(1, 1, "the tips file does not exist"),)
    except OSError as error:
        return None, (Problem(1, 1, f"the tips file cannot be read: {error.strerror}"),)
    text = decode_tips_bytes(raw)
    if isinstance(text, Problem):
        return None, (text,)
    result = parse_catalogue(text)
    return result.catalogue, result.problems


def summarize(catalogue: Catalogue) -> str:
    return f"{len(catalogue.tips)} tips in {len(catalogue.topics)} topics"


class CatalogueSource:
    def __init__(
        self,
        path: Path,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.path = path
        self._now = now
        self._lock = threading.Lock()
        self._catalogue = EMPTY
        self._fingerprint: bytes | None = None
        self.loaded_at: datetime | None = None
        self.rejected: LoadOutcome | None = None  # the last edit that was refused

    def current(self) -> Catalogue:
        return self._catalogue

    def reload(self) -> LoadOutcome:
        """Load the file now; swap it in if it is good, keep the old one if not."""
        with self._lock:
            self._fingerprint = self._stat_fingerprint()
            catalogue, problems = read_catalogue(self.path)
            if catalogue is None or problems:
                outcome = LoadOutcome(
                    ok=False,
                    summary=f"{self.path} was not loaded: {len(problems)} problem(s); "
                    f"still serving {summarize(self._catalogue)}",
                    problems=tuple(p.format(str(self.path)) for p in problems),
                )
                self.rejected = outcome
                for line in outcome.problems:
                    log.error("tips file rejected: %s", line)
                return outcome
            self._catalogue = catalogue
            self.loaded_at = self._now()
            self.rejected = None
            outcome = LoadOutcome(ok=True, summary=f"{self.path}: {summarize(catalogue)}")
            log.info("catalogue loaded: %s", outcome.summary)
            return outcome

    def reload_if_changed(self) -> LoadOutcome | None:
        """Reload when the file's size, time or inode changed since the last look."""
        if self._stat_fingerprint() == self._fingerprint:
            return None
        return self.reload()

    def _stat_fingerprint(self) -> bytes | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        key = f"{stat.st_mtime_ns}:{stat.st_size}:{stat.st_ino}".encode()
        return hashlib.blake2b(key, digest_size=8).digest()
