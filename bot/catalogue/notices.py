"""Telling the admins about an edit of the tips file that was refused: a direct
message to each, once per refused version however many processes notice it.

The processes forked from one start share a folder of notice markers (the
NoticeLedger), and the first to create a marker sends the messages.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.catalogue.source import LoadOutcome
from bot.core.render.admin import rejected_edit_notice

log = logging.getLogger(__name__)


class AdminDirectory(Protocol):
    """Who the admins are (bot.slack.users.Users has the one definition)."""

    def admins(self) -> list[str]: ...


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


class AdminNotices:
    """Sends a refused edit's problems by direct message to each admin."""

    def __init__(self, client: WebClient, *, directory: AdminDirectory) -> None:
        self._client = client
        self._directory = directory

    def __call__(self, outcome: LoadOutcome) -> None:
        recipients = self._directory.admins()
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


class OperatorLog:
    """Many workspaces: the tips file is the operator's, not any workspace's, so a
    refused edit goes to the log (where the operator looks) rather than by direct
    message to some workspace's admins."""

    def __call__(self, outcome: LoadOutcome) -> None:
        shown = "; ".join(outcome.problems[:5])
        more = len(outcome.problems) - 5 + outcome.problems_left_out
        log.error(
            "the tips file was refused (%s): %s%s; the last good catalogue stays in use",
            outcome.summary,
            shown,
            f"; and {more} more (python -m bot validate lists them all)" if more > 0 else "",
        )
