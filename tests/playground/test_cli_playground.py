"""`python -m bot playground` and `python -m bot run` (what `make run` calls), as
subprocesses: the playground without credentials, the bot with them, and a server
that never falls back to the playground."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.bot_process import free_port
from tests.support.playground import TIPS

SETTINGS = ("SLACK_", "PORT", "TIPS_PATH", "DATABASE_URL", "ADMIN_", "LOG_LEVEL", "RELOAD_")
ADDRESS = re.compile(r"open (http://127\.0\.0\.1:\d+/) in a browser")
UNREACHABLE_API = "http://127.0.0.1:1/api/"  # refused at once, and never beyond this machine


def environment(**settings: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS)}
    return inherited | {"PYTHONUNBUFFERED": "1"} | settings


def run(args: list[str], cwd: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=environment(**settings),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@contextmanager
def started(args: list[str], cwd: Path, **settings: str) -> Iterator[tuple[str, Path]]:
    """A playground process; (its address, the file its stderr goes to)."""
    out, err = cwd / "stdout.txt", cwd / "stderr.txt"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            cwd=cwd,
            env=environment(**settings),
            stdout=stdout,
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + 30
        while not (found := ADDRESS.search(out.read_text())):
            assert process.poll() is None, err.read_text()
            assert time.monotonic() < deadline, "the playground did not say where it is"
            time.sleep(0.05)
        yield found[1], err
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0, err.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def assert_no_playground(result: subprocess.CompletedProcess[str]) -> None:
    said = result.stdout + result.stderr
    assert "No Slack credentials found" not in said and "pmtip playground:" not in said


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def test_playground_serves_the_page_and_ignores_credentials_and_the_database(tmp_path):
    port = free_port()
    with started(
        ["playground", "--data", str(tmp_path / "pg"), "--tips", str(TIPS)],
        tmp_path,
        PORT=str(port),
        SLACK_BOT_TOKEN="xoxb-1111-realLookingToken",
        SLACK_APP_TOKEN="xapp-1-realLooking",
        SLACK_API_BASE_URL=UNREACHABLE_API,
        DATABASE_URL="postgresql://pmtip@127.0.0.1:1/pmtip",
    ) as (address, stderr):
        assert address == f"http://127.0.0.1:{port}/"
        assert 'data-testid="composer"' in fetch(address)
        assert (tmp_path / "pg" / "playground.sqlite3").exists()
    assert "realLooking" not in stderr.read_text()


def test_run_without_credentials_starts_the_playground_and_says_how_to_connect_slack(tmp_path):
    with started(["run"], tmp_path, PORT=str(free_port()), TIPS_PATH=str(TIPS)) as (address, err):
        assert "pmtip playground" in fetch(address)
        notice = err.read_text()
        assert "No Slack credentials found" in notice and "Create the Slack app" in notice
    assert (tmp_path / "data" / "playground" / "playground.sqlite3").exists()


def test_run_with_credentials_in_dot_env_runs_the_bot(tmp_path):
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-1-2-dotenvToken\nSLACK_APP_TOKEN=xapp-1-dotenv\n"
        f"SLACK_API_BASE_URL={UNREACHABLE_API}\n"
    )
    result = run(["run"], tmp_path, TIPS_PATH=str(TIPS))
    assert result.returncode == 2  # Socket Mode tried Slack (here: a closed port)
    assert "Slack's Web API could not be reached" in result.stderr
    assert_no_playground(result)


def test_run_with_half_the_credentials_names_what_is_missing(tmp_path):
    result = run(["run"], tmp_path, SLACK_BOT_TOKEN="xoxb-1-2-only")
    assert result.returncode == 2
    assert "SLACK_APP_TOKEN is not set" in result.stderr
    assert_no_playground(result)


def test_the_bot_without_credentials_never_falls_back_to_the_playground(tmp_path):
    result = run([], tmp_path)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN is not set" in result.stderr
    assert_no_playground(result)


def test_a_port_in_use_is_one_clear_message_and_exit_2(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(["playground", "--data", str(tmp_path)], tmp_path, PORT=str(port))
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert f"PORT={port + 1} make run" in result.stderr and "Traceback" not in result.stderr
