"""pmtip's own processes (`post-due`, `clock`, `http`), started as the Procfile
and the command line start them, with output kept in files for the assertions."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from bot.core.schedule import WeeklySchedule
from tests.support.app_server import TIPS_PATH

REPO_ROOT = Path(__file__).resolve().parents[2]
BOT_TOKEN = "xoxb-faults-0000-token"


def bot_env(api_base_url: str, database_url: str, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TZ")}
    return keep | {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": "faults-signing-secret",
        "SLACK_API_BASE_URL": api_base_url,
        "DATABASE_URL": database_url,
        "TIPS_PATH": str(TIPS_PATH),
        "PYTHONPATH": str(REPO_ROOT),
        "LOG_LEVEL": "INFO",
        **extra,
    }


@dataclass
class BotProcess:
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is released or recorded."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self, *, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def finish(self, *, timeout: float = 60) -> int:
        return self.process.wait(timeout=timeout)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()


def start_bot(args: list[str], env: dict[str, str], *, cwd: Path, log: IO[bytes]) -> BotProcess:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return BotProcess(process, log)


def wait_until(
    condition: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    context: Callable[[], str] | None = None,
) -> None:
    """Poll `condition`; on timeout fail naming `what`, with `context()` (a log) attached."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            detail = f"\n{context()[-4000:]}" if context else ""
            raise AssertionError(f"waited {timeout}s for {what}{detail}")
        time.sleep(0.02)


def due_a_few_minutes_ago() -> tuple[WeeklySchedule, datetime]:
    """A weekly schedule whose latest slot was five minutes ago (UTC), and a time to
    have subscribed at, for processes that read the real clock."""
    slot = (datetime.now(UTC) - timedelta(minutes=5)).replace(second=0, microsecond=0)
    return WeeklySchedule(day=slot.weekday(), at=slot.time(), timezone="UTC"), slot - timedelta(
        hours=1
    )
