"""The real CLI, run as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **(env or {})},
        check=False,
    )


def test_tip_prints_a_readable_tip_without_any_token():
    result = run("tip", "ai-failure")
    assert result.returncode == 0, result.stderr
    assert "Your move: This week," in result.stdout
    assert "Why PMs Should Prioritize Strategy Over Coding" in result.stdout
    assert "{" not in result.stdout  # text, not Block Kit JSON


def test_tip_with_a_typo_suggests_the_topic():
    result = run("tip", "mot")  # too short for search to take as a typo
    assert result.returncode == 0
    assert "moat" in result.stdout and "/pmtip topics" in result.stdout


def test_missing_settings_stop_the_bot_with_exit_2_and_no_traceback():
    result = run("http", env={"SLACK_BOT_TOKEN": "xoxb-super-secret-value"})
    assert result.returncode == 2
    assert "SLACK_SIGNING_SECRET is not set" in result.stderr
    assert "Signing Secret" in result.stderr
    assert "Traceback" not in result.stderr
    assert "super-secret-value" not in result.stdout + result.stderr


def test_a_bot_token_beside_the_oauth_credentials_stops_with_exit_2_and_one_message():
    result = run(
        "http",
        env={
            "SLACK_BOT_TOKEN": "xoxb-super-secret-value",
            "SLACK_CLIENT_ID": "1234.5678",
            "SLACK_CLIENT_SECRET": "client-secret-value",
            "SLACK_SIGNING_SECRET": "signing-secret-value",
        },
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("pmtip cannot start") and len(lines) == 2, result.stderr
    assert "either one workspace (SLACK_BOT_TOKEN) or many" in lines[1]
    assert "secret-value" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_make_run_with_the_oauth_credentials_runs_http_the_only_way_for_many_workspaces():
    result = run("run", env={"SLACK_CLIENT_ID": "1234.5678", "SLACK_CLIENT_SECRET": "s3cret-x"})
    assert result.returncode == 2  # it chose HTTP, which needs the signing secret
    assert "SLACK_SIGNING_SECRET is not set" in result.stderr
    assert "Socket Mode" not in result.stderr and "s3cret-x" not in result.stderr


def test_socket_mode_with_the_oauth_credentials_stops_and_says_to_use_http():
    result = run(
        "socket",
        env={"SLACK_CLIENT_ID": "1234.5678", "SLACK_CLIENT_SECRET": "client-secret-value"},
    )
    assert result.returncode == 2
    assert "python -m bot http" in result.stderr and "Socket Mode" in result.stderr
    assert "client-secret-value" not in result.stderr


def test_the_playground_drops_the_oauth_variables_so_bolt_stays_single_workspace(
    monkeypatch, caplog
):
    from bot.__main__ import _ignore_oauth_variables

    monkeypatch.setenv("SLACK_CLIENT_ID", "123.456")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "client-secret-value")
    with caplog.at_level("WARNING"):
        _ignore_oauth_variables()
    assert "SLACK_CLIENT_ID" not in os.environ and "SLACK_CLIENT_SECRET" not in os.environ
    assert "ignored" in caplog.text and "client-secret-value" not in caplog.text


def test_each_gunicorn_worker_reseeds_its_random_choices_and_starts_its_poller():
    import random
    from types import SimpleNamespace

    from bot.wiring import start_worker

    class Reloader:
        started = False

        def ensure_started(self) -> None:
            self.started = True

    inherited = random.Random(7)  # what a forked worker would carry over from the master
    parts = SimpleNamespace(rng=inherited, reloader=Reloader())
    start_worker(parts)
    assert parts.reloader.started
    assert parts.rng.random() != random.Random(7).random()


def test_migrate_brings_the_schema_up_to_date_once_and_needs_no_token(tmp_path):
    from bot.store.migrate import head_revision

    url = {"DATABASE_URL": f"sqlite:///{tmp_path}/pmtip.sqlite3"}
    first, again = run("migrate", env=url), run("migrate", env=url)
    assert first.returncode == 0 and again.returncode == 0, first.stderr
    assert f"database schema is at {head_revision()}" in first.stdout
    assert "upgraded from empty" in first.stderr and "upgraded" not in again.stderr


def test_the_procfile_migrates_in_the_release_phase_then_runs_web_and_clock():
    from pathlib import Path

    lines = Path("Procfile").read_text(encoding="utf-8").splitlines()
    assert lines == [
        "release: python -m bot migrate",
        "web: python -m bot http",
        "clock: python -m bot clock",
    ]
