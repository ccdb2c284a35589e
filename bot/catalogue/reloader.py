"""Live reload: a daemon thread that polls the tips file and has the admins told
about edits it had to refuse (bot.catalogue.notices).

Threads do not survive a fork, and gunicorn forks its workers after the app is
built, so the thread is started by `ensure_started()`, which the Bolt app calls
on every request (a cheap check) and Socket Mode calls at start: each process
gets its own poller, and a forked worker starts one on its first request.

Admins hear about each refused version once, however many processes notice it
(bot.catalogue.notices.NoticeLedger).
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import weakref
from collections.abc import Callable

from bot.catalogue.notices import NoticeLedger
from bot.catalogue.source import CatalogueSource, LoadOutcome

log = logging.getLogger(__name__)

Notify = Callable[[LoadOutcome], None]


class Reloader:
    def __init__(
        self,
        source: CatalogueSource,
        *,
        interval: float,
        notify: Notify,
        ledger: NoticeLedger,
    ) -> None:
        self.source = source
        self.interval = interval
        self._notify = notify
        self._ledger = ledger
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._stop = threading.Event()

    def check_now(self) -> LoadOutcome | None:
        """One poll: reload a changed file, tell the admins if it was refused."""
        outcome = self.source.poll()
        if outcome is not None and not outcome.ok:
            self.announce(outcome)
        return outcome

    def announce(self, outcome: LoadOutcome) -> None:
        """Tell the admins about a refused version, unless they were told already.

        The key names the good version being served too: the same mistake made
        again after a good save is news again."""
        key = f"{self.source.path}|{self.source.loaded_version}|{outcome.version}"
        if not self._ledger.first_claim(key):
            return
        try:
            self._notify(outcome)
        except Exception:  # telling the admins must never stop the reloading
            log.exception("telling the admins about the tips file failed")

    def ensure_started(self) -> None:
        """Start this process's poller if it has none (cheap when it has)."""
        if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
            return
        if self.interval <= 0:
            return
        with self._lock:
            if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
                return
            forked = self._pid is not None and self._pid != os.getpid()
            self._pid = os.getpid()
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=_poll_forever,
                args=(weakref.ref(self), self._stop, self.interval, forked),
                name="pmtip-reloader",
                daemon=True,
            )
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)


def _poll_forever(
    ref: weakref.ref[Reloader], stop: threading.Event, interval: float, forked: bool
) -> None:
    """The poller thread. It holds the Reloader weakly, so an app that is dropped
    (a test's) takes its poller with it."""
    reloader = ref()
    if reloader is None:
        return
    if forked:  # the file may have changed between the build and this worker's start
        _quietly(reloader.source.reload_if_changed)
    rejected = reloader.source.rejected
    if rejected is not None:  # a bad file at start
        _quietly(functools.partial(reloader.announce, rejected))
    del reloader, rejected
    while not stop.wait(interval):
        reloader = ref()
        if reloader is None:
            return
        _quietly(reloader.check_now)
        del reloader


def _quietly(action: Callable[[], object]) -> None:
    try:
        action()
    except Exception:  # one failed poll must not end the polling
        log.exception("reloading the tips file failed")
