"""Every malformed setting or argument, in every mode: one message, exit 2, no traceback,
no secret. The table runs through `main()` (fast, and a mode that would start anyway
is caught); a second table runs the real CLI as a subprocess for the cases reported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import __main__ as cli
from bot.settings import WHERE

REPO = Path(__file__).resolve().parent.parent
TIPS = str(REPO / "content" / "tips.yaml")
SECRET = "hunter2"  # planted in every secret-bearing bad value; must never be shown
GOOD = {
    "SLACK_BOT_TOKEN": f"xoxb-1-{SECRET}",
    "SLACK_APP_TOKEN": f"xapp-1-{SECRET}",
    "SLACK_SIGNING_SECRET": f"{SECRET}signing",
    "TIPS_PATH": TIPS,
}
ONLINE = ("socket", "http", "clock", "post-due", "migrate")
OFFLINE = ("tip", "validate")
SETTINGS = (
    *WHERE,
    "TIPS_PATH",
    "PORT",
    "LOG_LEVEL",
    "SLACK_API_BASE_URL",
    "DATABASE_URL",
    "WEEKLY_DAY",
    "WEEKLY_TIME",
    "DEFAULT_TIMEZONE",
    "CATCHUP_HOURS",
    "TICK_SECONDS",
    "ADMIN_USER_IDS",
    "SUBSCRIBE_REQUIRES_ADMIN",
    "RELOAD_SECONDS",
    "WEB_CONCURRENCY",
    "WEB_THREADS",
)

BAD_SETTINGS = [
    ("SLACK_BOT_TOKEN", f"xapp-{SECRET}"),
    ("SLACK_BOT_TOKEN", f"xoxb-{SECRET} and more"),
    ("SLACK_BOT_TOKEN", f"xoxb-{SECRET}é"),
    ("SLACK_BOT_TOKEN", f"xoxb-{SECRET}\x1b[2K"),
    ("SLACK_APP_TOKEN", f"xoxb-{SECRET}"),
    ("SLACK_APP_TOKEN", f"xapp-{SECRET}\u00a0x"),
    ("SLACK_SIGNING_SECRET", f"{SECRET} x"),
    ("SLACK_SIGNING_SECRET", f"{SECRET}ß"),
    ("PORT", "eighty"),
    ("PORT", "0"),
    ("PORT", "65536"),
    ("PORT", "-1"),
    ("PORT", "3000.5"),
    ("PORT", "²"),
    ("PORT", "٣٠٠٠"),
    ("CATCHUP_HOURS", "168"),
    ("CATCHUP_HOURS", "¹"),
    ("TICK_SECONDS", "0"),
    ("TICK_SECONDS", "3601"),
    ("RELOAD_SECONDS", "-1"),
    ("RELOAD_SECONDS", "nan"),
    ("RELOAD_SECONDS", "inf"),
    ("RELOAD_SECONDS", "two"),
    ("WEB_CONCURRENCY", "0"),
    ("WEB_CONCURRENCY", "65"),
    ("WEB_THREADS", "257"),
    ("LOG_LEVEL", "LOUD"),
    ("SLACK_API_BASE_URL", "ftp://127.0.0.1/api/"),
    ("SLACK_API_BASE_URL", "http://[::1/api/"),
    ("SLACK_API_BASE_URL", "http://127.0.0.1:abc/api/"),
    ("SLACK_API_BASE_URL", "http://127.0.0.1:99999/api/"),
    ("SLACK_API_BASE_URL", "http:///api/"),
    ("SLACK_API_BASE_URL", "127.0.0.1:8080"),
    ("WEEKLY_DAY", "funday"),
    ("WEEKLY_TIME", "9am"),
    ("WEEKLY_TIME", "24:00"),
    ("DEFAULT_TIMEZONE", "Mars/Base"),
    ("DEFAULT_TIMEZONE", "../../etc/passwd"),
    ("SUBSCRIBE_REQUIRES_ADMIN", "maybe"),
    ("DATABASE_URL", f"mysql://app:{SECRET}@db.example/app"),
    ("DATABASE_URL", f"postgres://app:{SECRET}@127.0.0.1:abc/app"),
    ("DATABASE_URL", f"postgres://app:{SECRET}@127.0.0.1:/app"),
    ("DATABASE_URL", f"postgres://app:{SECRET}@127.0.0.1:99999/app"),
    ("DATABASE_URL", f"postgres://app:{SECRET}@127.0.0.1:0/app"),
    ("DATABASE_URL", f"postgres://app:{SECRET}@[::1/app"),
    ("DATABASE_URL", f"postgres://app:p@ss-{SECRET}@127.0.0.1/app"),
    ("DATABASE_URL", f"postgresql+psycopg2://app:{SECRET}@127.0.0.1/app"),
    ("DATABASE_URL", f"postgresql+asyncpg://app:{SECRET}@127.0.0.1/app"),
    ("DATABASE_URL", "sqlite+aiosqlite:///pmtip.sqlite3"),
    ("DATABASE_URL", f"postgres:/app:{SECRET}@127.0.0.1/app"),
    ("DATABASE_URL", SECRET),
]
OFFLINE_SETTING_NAMES = ("LOG_LEVEL",)

BAD_ARGUMENTS = [
    (["post-due", "--at", "next monday"], "--at"),
    (["post-due", "--at", ""], "--at"),
    (["post-due", "--at", "2026-02-30T00:00:00Z"], "--at"),
    (["post-due", "--at", "2026-01-05T09:00:00+24:00"], "--at"),
    (["post-due", "--at", "0001-01-01T00:00:00Z"], "calendar"),
    (["post-due", "--at", "9999-12-31T23:59:59Z"], "calendar"),
    (["post-due", "--at", "0001-01-01T00:00:00+05:00"], "calendar"),
    (["post-due", "--at", "9999-12-31T23:59:59-05:00"], "calendar"),
    (["post-due", "--bogus"], "--bogus"),
    (["socket", "--no-scheduler", "extra"], "extra"),
    (["validate", "a.yaml", "b.yaml"], "b.yaml"),
    (["nosuchmode"], "nosuchmode"),
]


def _clear_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no developer's .env


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """Modes that got past settings and arguments: their runners are stand-ins here."""
    _clear_settings(monkeypatch, tmp_path)
    calls: list[str] = []
    monkeypatch.setattr(cli, "setup_logging", lambda level: None)  # keep pytest's handlers
    for mode in cli.RUNNERS:
        monkeypatch.setitem(cli.RUNNERS, mode, lambda settings, args, m=mode: calls.append(m) or 0)
    return calls


def assert_one_clear_message(output: str, *, names: str) -> None:
    assert "Traceback" not in output, output
    assert SECRET not in output, output
    assert names in output, output
    problems = [line for line in output.splitlines() if line.startswith("  - ")]
    argparse_errors = [line for line in output.splitlines() if ": error: " in line]
    assert len(problems) + len(argparse_errors) == 1, output


@pytest.mark.parametrize("mode", ONLINE)
@pytest.mark.parametrize(("name", "value"), BAD_SETTINGS)
def test_a_malformed_setting_stops_every_mode_with_one_message(
    mode, name, value, monkeypatch, started, capsys
):
    monkeypatch.setenv(name, value)
    assert cli.main([mode]) == 2
    captured = capsys.readouterr()
    assert_one_clear_message(captured.out + captured.err, names=name)
    assert started == []


@pytest.mark.parametrize("mode", OFFLINE)
@pytest.mark.parametrize(("name", "value"), BAD_SETTINGS)
def test_offline_commands_stop_only_for_their_own_settings(
    mode, name, value, monkeypatch, started, capsys
):
    monkeypatch.setenv(name, value)
    code = cli.main([mode])
    captured = capsys.readouterr()
    if name in OFFLINE_SETTING_NAMES:
        assert code == 2
        assert_one_clear_message(captured.out + captured.err, names=name)
        assert started == []
    else:
        assert "Traceback" not in captured.err
        assert started == [mode]


@pytest.mark.parametrize(("argv", "names"), BAD_ARGUMENTS)
def test_a_malformed_argument_gets_one_message_and_exit_2(argv, names, started, capsys):
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert_one_clear_message(captured.out + captured.err, names=names)
    assert started == []


# -- the real CLI, as an operator runs it -------------------------------------------------


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=clean
        | GOOD
        | {"PYTHONPATH": str(REPO), "SLACK_API_BASE_URL": "http://127.0.0.1:9/api/"}
        | env,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "env", "names"),
    [
        (["post-due"], {"DATABASE_URL": f"postgres://app:{SECRET}@127.0.0.1:abc/app"}, "port"),
        (["http"], {"DATABASE_URL": f"postgres://app:{SECRET}@127.0.0.1:abc/app"}, "port"),
        (["clock"], {"DATABASE_URL": f"postgresql+psycopg2://app:{SECRET}@h/app"}, "psycopg"),
        (["socket"], {"DATABASE_URL": f"postgres://app:{SECRET}@[::1/app"}, "DATABASE_URL"),
        (["post-due", "--at", "0001-01-01T00:00:00Z"], {}, "calendar"),
        (["post-due", "--at", "9999-12-31T23:59:59Z"], {}, "calendar"),
        (["clock"], {"SLACK_API_BASE_URL": "http://127.0.0.1:abc/api/"}, "SLACK_API_BASE_URL"),
        (["socket"], {"SLACK_BOT_TOKEN": f"xoxb-{SECRET}é"}, "SLACK_BOT_TOKEN"),
        (["http"], {"PORT": "²"}, "PORT"),
        (["migrate"], {"DATABASE_URL": f"postgres://app:{SECRET}@127.0.0.1:abc/app"}, "port"),
        (["tip"], {"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        (["validate"], {"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ],
)
def test_the_real_cli_refuses_bad_input_with_one_message(tmp_path, args, env, names):
    done = run_cli(tmp_path, *args, **env)
    assert done.returncode == 2, done.stderr
    assert_one_clear_message(done.stdout + done.stderr, names=names)
    assert not any(tmp_path.iterdir())  # refused before anything was created


def test_a_database_url_the_driver_refuses_is_one_line_too(tmp_path):
    done = run_cli(
        tmp_path, "post-due", DATABASE_URL=f"postgresql://app:{SECRET}@127.0.0.1:9/app?nosuch=1"
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and SECRET not in done.stderr
    assert done.stderr.strip().startswith("pmtip cannot start: cannot use the database")


@pytest.mark.parametrize("mode", OFFLINE)
def test_tip_and_validate_ignore_a_malformed_server_setting(tmp_path, mode):
    done = run_cli(tmp_path, mode, PORT="²", DATABASE_URL="postgres://h:abc/db")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
