"""The live catalogue: the tips file on disk, loaded, checked and swapped in whole.

A request reads `current()` once and works with that object, so it sees either
the old or the new catalogue, never a mix. A file that fails to load (broken,
empty, cut short, not UTF-8, deleted) never replaces the last good catalogue;
its problems are kept for admins to see: the first PROBLEMS_KEPT of them and a
count of the rest, so a file broken everywhere costs each worker little.

At start, before any good catalogue exists, a bad file leaves the source with
an empty catalogue: the bot stays up, answers that it has no tips yet, and the
admins are told what is wrong (see bot.reloader).
"""

from __future__ import annotations

import gc
import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.core.catalogue import Catalogue
from bot.core.problems import Problem
from bot.core.tips_file import TipsFile, decode_tips_bytes, parse_tips

log = logging.getLogger(__name__)

EMPTY = Catalogue(topics=(), tips=())
LOGGED_PROBLEMS_MAX = 50  # a file broken everywhere must not flood the log

Fingerprint = tuple[int, int, int] | None  # (mtime_ns, size, inode); None: no file


@dataclass(frozen=True, slots=True)
class LoadOutcome:
    ok: bool
    summary: str
    problems: tuple[str, ...] = ()  # formatted `PATH:LINE:COLUMN: message`, the first ones
    problems_left_out: int = 0  # how many more the file has
    version: str = ""  # what was read: a digest of the bytes, or why nothing was
    at: datetime | None = None


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a big file becomes objects.

    Composing 10,000 tips allocates half a million objects, none of them in
    cycles; the collector would walk the growing heap over and over and triple
    the time. Reference counting still frees everything as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read(path: Path) -> tuple[str | None, str, tuple[Problem, ...]]:
    """(text, version, problems) of the file: text is None when it cannot be read."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, "missing", (Problem(1, 1, "the tips file does not exist (deleted or moved?)"),)
    except IsADirectoryError:
        return None, "directory", (Problem(1, 1, "the tips path is a folder, not a file"),)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        return (
            None,
            f"unreadable:{reason}",
            (Problem(1, 1, f"the tips file cannot be read: {reason}"),),
        )
    version = hashlib.blake2b(raw, digest_size=12).hexdigest()
    text = decode_tips_bytes(raw)
    if isinstance(text, Problem):
        return None, version, (text,)
    return text, version, ()


def read_tips_file(path: Path) -> TipsFile:
    """The tips file at `path`, checked, without building the search index."""
    text, _, problems = _read(path)
    if text is None:
        return TipsFile((), (), problems)
    with collector_paused():
        return parse_tips(text)


def read_catalogue(path: Path) -> tuple[Catalogue | None, tuple[Problem, ...]]:
    """Load and validate the tips file at `path` (the first problems, if any)."""
    catalogue, checked, _ = _load(path)
    return catalogue, checked.problems


def _load(path: Path) -> tuple[Catalogue | None, TipsFile, str]:
    """The catalogue (None if the file has problems), the checked file, and its version."""
    text, version, problems = _read(path)
    if text is None:
        return None, TipsFile((), (), problems), version
    with collector_paused():
        parsed = parse_tips(text)
        if not parsed.ok:
            return None, parsed, version
        return Catalogue(topics=parsed.topics, tips=parsed.tips), parsed, version


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
        self._read_fingerprint: Fingerprint = None
        self._seen_fingerprint: Fingerprint = None
        self._attempted = False
        self.loaded_at: datetime | None = None
        self.loaded_version: str | None = None  # digest of the bytes now served
        self.rejected: LoadOutcome | None = None  # the last edit that was refused

    def current(self) -> Catalogue:
        return self._catalogue

    @property
    def has_catalogue(self) -> bool:
        """False until a good file has been loaded (a bad file at start)."""
        return self.loaded_at is not None

    def reload(self) -> LoadOutcome:
        """Load the file now; swap it in if it is good, keep the old one if not."""
        with self._lock:
            # Stat before reading: a save that lands during the read changes the
            # fingerprint again, and the next poll loads it.
            fingerprint = self._stat()
            self._read_fingerprint = self._seen_fingerprint = fingerprint
            self._attempted = True
            catalogue, checked, version = _load(self.path)
            now = self._now()
            if catalogue is None:
                return self._reject(checked, version, now)
            self._catalogue = catalogue
            self.loaded_at = now
            self.loaded_version = version
            self.rejected = None
            outcome = LoadOutcome(
                ok=True, summary=f"{self.path}: {summarize(catalogue)}", version=version, at=now
            )
            log.info("catalogue loaded: %s", outcome.summary)
            return outcome

    def poll(self) -> LoadOutcome | None:
        """Reload when the file changed and has stayed unchanged since the last poll.

        Waiting for one quiet poll means a save caught halfway is not loaded
        (or reported) in its half-written state; a file that stays broken is."""
        fingerprint = self._stat()
        with self._lock:
            settled = fingerprint == self._seen_fingerprint
            self._seen_fingerprint = fingerprint
            if settled and self._attempted and fingerprint == self._read_fingerprint:
                return None
        if not settled:
            return None
        return self.reload()

    def reload_if_changed(self) -> LoadOutcome | None:
        """Reload at once if the file is not the one last read (no settling)."""
        if self._stat() == self._read_fingerprint and self._attempted:
            return None
        return self.reload()

    def _reject(self, checked: TipsFile, version: str, now: datetime) -> LoadOutcome:
        serving = (
            f"still serving the last good catalogue ({summarize(self._catalogue)})"
            if self.has_catalogue
            else "no catalogue is loaded, so the bot has no tips to give"
        )
        total = len(checked.problems) + checked.problems_left_out
        outcome = LoadOutcome(
            ok=False,
            summary=f"{self.path} was not loaded: {total} problem(s); {serving}",
            problems=tuple(p.format(str(self.path)) for p in checked.problems),
            problems_left_out=checked.problems_left_out,
            version=version,
            at=now,
        )
        self.rejected = outcome
        log.error("tips file rejected: %s", outcome.summary)
        for line in outcome.problems[:LOGGED_PROBLEMS_MAX]:
            log.error("tips file problem: %s", line)
        if total > LOGGED_PROBLEMS_MAX:
            log.error(
                "tips file: %d more problem(s); run `python -m bot validate` to list them",
                total - LOGGED_PROBLEMS_MAX,
            )
        return outcome

    def _stat(self) -> Fingerprint:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size, stat.st_ino)
