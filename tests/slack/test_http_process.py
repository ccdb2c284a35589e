"""The production command itself: `python -m bot http` in a subprocess, behind
gunicorn, aimed at the stand-in Slack API; and its refusal to start on bad settings."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from bot.core.render import blocks
from tests.support.app_server import SIGNING_SECRET, TIPS_PATH
from tests.support.signing import signed_headers, slash_command_body
from tests.support.slack_api import FakeSlackApi
from tests.support.slack_validation import assert_valid_message

PROCESS_TOKEN = "xoxb-e2e-process-token-5f3a9c"
SETTINGS = ("SLACK_", "PORT", "TIPS_PATH", "LOG_LEVEL", "WEB_", "DATABASE_URL", "ADMIN_")


def clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without any pmtip setting, plus `settings`."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS)}
    return inherited | {"PYTHONUNBUFFERED": "1"} | settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_bot(args: list[str], env: Mapping[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=dict(env),
        cwd=cwd,  # an empty directory: no developer's .env can fill in the settings
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.fixture
def server(slack_api, tmp_path) -> Iterator[tuple[subprocess.Popen, int]]:
    port = free_port()
    env = clean_env(
        SLACK_BOT_TOKEN=PROCESS_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_BASE_URL=slack_api.base_url,
        TIPS_PATH=str(TIPS_PATH),
        PORT=str(port),
        LOG_LEVEL="DEBUG",  # the most talkative setting, for the no-token-in-logs check
        WEB_CONCURRENCY="1",
        WEB_THREADS="4",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "http"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_serving(process, port)
        yield process, port
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until_serving(process: subprocess.Popen, port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"`python -m bot http` exited early:\n{process.stdout.read()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"`python -m bot http` did not answer on port {port} in {timeout}s")


def test_the_production_server_answers_a_signed_pmtip_command(server, slack_api):
    process, port = server
    body = slash_command_body("ai-failure", response_url=slack_api.response_url("process"))
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/slack/events",
        data=body,
        headers=signed_headers(body, SIGNING_SECRET),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert reply.status == 200
        message = json.loads(reply.read())
    assert message["response_type"] == "ephemeral"
    assert_valid_message(message)
    assert "topic `ai-failure`" in str(message["blocks"])
    assert any(b["type"] == "actions" for b in message["blocks"])
    assert blocks.SHARE in str(message["blocks"])

    # It checked its token with the stand-in at start (Bolt; and pmtip, to learn its
    # workspace), as the bearer header.
    checks = slack_api.calls("auth.test")
    assert checks and all(
        auth.headers["authorization"] == f"Bearer {PROCESS_TOKEN}" for auth in checks
    )

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0
    output = process.stdout.read()
    assert PROCESS_TOKEN not in output
    assert SIGNING_SECRET not in output
    assert "Traceback" not in output


def test_http_mode_without_settings_names_each_one_and_where_to_get_it(tmp_path):
    result = run_bot(["http"], clean_env(), tmp_path)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr
    assert "SLACK_SIGNING_SECRET" in result.stderr
    assert "OAuth & Permissions" in result.stderr  # where the bot token is
    assert "Basic Information" in result.stderr  # where the signing secret is
    assert "Traceback" not in result.stderr + result.stdout


def test_a_malformed_port_stops_the_bot_without_showing_the_token(tmp_path):
    token = "xoxb-secret-value-123"
    env = clean_env(SLACK_BOT_TOKEN=token, SLACK_SIGNING_SECRET=SIGNING_SECRET, PORT="80a")
    result = run_bot(["http"], env, tmp_path)
    assert result.returncode == 2
    assert "PORT" in result.stderr
    assert token not in result.stderr + result.stdout
    assert SIGNING_SECRET not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr + result.stdout


def test_a_token_of_the_wrong_kind_is_refused_without_being_echoed(tmp_path):
    token = "xapp-1-this-is-an-app-token"
    env = clean_env(SLACK_BOT_TOKEN=token, SLACK_SIGNING_SECRET=SIGNING_SECRET)
    result = run_bot(["http"], env, tmp_path)
    assert result.returncode == 2
    assert "xoxb-" in result.stderr
    assert token not in result.stderr + result.stdout


def test_a_token_slack_refuses_stops_the_bot_with_one_clear_message(tmp_path):
    with FakeSlackApi(token="xoxb-the-only-valid-token") as picky_slack:
        result = run_bot(
            ["http"],
            clean_env(
                SLACK_BOT_TOKEN="xoxb-revoked-token-77aa",
                SLACK_SIGNING_SECRET=SIGNING_SECRET,
                SLACK_API_BASE_URL=picky_slack.base_url,
                TIPS_PATH=str(TIPS_PATH),
                DATABASE_URL=f"sqlite:///{tmp_path}/refused.sqlite3",
            ),
            tmp_path,
        )
    assert result.returncode == 2
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in result.stderr
    assert "OAuth & Permissions" in result.stderr
    assert "Traceback" not in result.stderr
    assert "revoked-token-77aa" not in result.stdout + result.stderr


def test_an_unreachable_slack_stops_the_bot_with_one_clear_message(tmp_path):
    result = run_bot(
        ["http"],
        clean_env(
            SLACK_BOT_TOKEN=PROCESS_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_BASE_URL=f"http://127.0.0.1:{free_port()}/api/",  # nobody listens
            TIPS_PATH=str(TIPS_PATH),
            DATABASE_URL=f"sqlite:///{tmp_path}/unreachable.sqlite3",
        ),
        tmp_path,
    )
    assert result.returncode == 2
    assert "Slack's Web API could not be reached" in result.stderr
    assert "Traceback" not in result.stderr
    assert PROCESS_TOKEN not in result.stdout + result.stderr
