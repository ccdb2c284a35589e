"""Live reload: a daemon thread that polls the tips file and tells admins about
edits it had to refuse.

Threads do not survive a fork, and gunicorn forks its workers after the app is
built, so the thread is started by `ensure_started()`, which the Bolt app calls
on every request (a cheap check) and Socket Mode calls at start: each process
gets its own poller, and a forked worker starts one on its first request.

Admins hear about each refused version once, however many processes notice it:
the processes forked from one start share a folder of notice markers, and the
first to create a marker sends the messages.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import logging
import os
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterable
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.catalogue_source import CatalogueSource, LoadOutcome
from bot.core.render.admin import rejected_edit_notice
from bot.slack_limits import USERS_LIST_PAGE

log = logging.getLogger(__name__)

Notify = Callable[[LoadOutcome], None]


class NoticeLedger:
    """Which refused versions the admins were told about, shared across forks."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def for_this_start(cls) -> NoticeLedger:
        """A fresh folder, removed at exit by the process that made it."""
        folder = Path(tempfile.mkdtemp(prefix="pmtip-notices-"))
        owner = os.getpid()

        def remove() -> None:
            if os.getpid() == owner:  # not when a forked worker exits
                shutil.rmtree(folder, ignore_errors=True)

        atexit.register(remove)
        return cls(folder)

    def first_claim(self, key: str) -> bool:
        """True for the first caller with this key, in any process sharing the folder."""
        name = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
        try:
            os.close(os.open(self.folder / name, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return False
        except OSError as error:  # the folder is gone: telling twice beats never telling
            log.warning("notice ledger unavailable (%s); telling the admins anyway", error)
        return True


class AdminNotifier:
    """Sends a refused edit's problems by direct message to each admin: the people
    in ADMIN_USER_IDS and the workspace's admins and owners (from `users.list`)."""

    MAX_PAGES = 20  # about 20,000 people; a refused edit is rare, this runs only then

    def __init__(self, client: WebClient, *, admin_ids: Iterable[str]) -> None:
        self._client = client
        self._admin_ids = frozenset(admin_ids)

    def recipients(self) -> list[str]:
        found = set(self._admin_ids)
        cursor = None
        try:
            for _ in range(self.MAX_PAGES):
                page = self._client.users_list(limit=USERS_LIST_PAGE, cursor=cursor)
                for member in page.get("members") or []:
                    if member.get("deleted") or member.get("is_bot"):
                        continue
                    if member.get("is_admin") or member.get("is_owner"):
                        found.add(str(member["id"]))
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        except (SlackApiError, OSError) as error:
            reason = error.response.get("error") if isinstance(error, SlackApiError) else error
            log.warning(
                "could not list the workspace's admins (%s); telling ADMIN_USER_IDS", reason
            )
        return sorted(found)

    def __call__(self, outcome: LoadOutcome) -> None:
        recipients = self.recipients()
        if not recipients:
            log.warning("the tips file was refused and no admin was found to tell")
            return
        message = rejected_edit_notice(
            summary=outcome.summary,
            problems=outcome.problems,
            left_out=outcome.problems_left_out,
        )
        for admin_id in recipients:
            try:  # the DM channel of a user is addressed by the user's id
                self._client.chat_postMessage(channel=admin_id, **message.as_kwargs())
            except (SlackApiError, OSError) as error:
                reason = error.response.get("error") if isinstance(error, SlackApiError) else error
                log.warning("could not tell admin %s about the tips file: %s", admin_id, reason)


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
