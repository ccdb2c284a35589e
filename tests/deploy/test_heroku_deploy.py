"""A deploy built the way Heroku's Python buildpack builds it, then run from the Procfile.

The buildpack finds requirements.txt at the root, installs Python from .python-version
and runs `pip install -r requirements.txt` into it: no Makefile, no install of pmtip
itself; the app runs from its root. Here: the committed files copied to a fresh
folder, a fresh virtualenv, that pip command (from PyPI, hash-checked), then the
Procfile's `release`, `web` and `clock` commands through bash, with PORT set and
Heroku's `postgres://` DATABASE_URL aimed at a fresh PostgreSQL database. Slack is
the stand-in Web API on 127.0.0.1. Skipped, saying why, without PyPI or PostgreSQL.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.schedule import WeeklySchedule
from bot.store import open_store
from tests.support.databases import SKIP_REASON, server_url
from tests.support.signing import signed_headers, slash_command_body
from tests.support.slack_api import FakeSlackApi
from tests.support.slack_validation import assert_valid_message
from tests.support.workspaces import WS

pytestmark = pytest.mark.deploy

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "xoxb-deploy-test-token"
SIGNING_SECRET = "deploy-test-signing-secret"
BUILD_TIMEOUT = 600  # seconds; from pip's cache it takes a few
BOOT_TIMEOUT = 60  # Heroku's limit for binding $PORT
# The buildpack's own command (its lib/pip.sh), less --no-cache-dir: pip's cache only
# saves downloads, the hashes in requirements.txt still decide what is installed.
BUILDPACK_PIP_INSTALL = (
    *("install", "-r", "requirements.txt", "--disable-pip-version-check"),
    *("--exists-action=w", "--no-input", "--progress-bar", "off"),
)


@dataclass
class Dyno:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        """SIGTERM to the dyno's processes, as Heroku stops a dyno; the exit status."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:  # Heroku would SIGKILL after 30 s too
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def pypi_unreachable() -> str | None:
    probe = (
        "import urllib.request; urllib.request.urlopen('https://pypi.org/simple/pip/', timeout=10)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    return None if done.returncode == 0 else done.stderr.strip().splitlines()[-1]


def copy_committed_files(to: Path) -> None:
    """What `git push heroku` sends: tracked files (and new ones not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0:
        pytest.skip(f"not a git checkout, so no slug to build: {listed.stderr.decode()[:200]}")
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (to / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, to / name)


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(the app's root, its Python's bin folder), built once for the module."""
    if server_url() is None:
        pytest.skip(SKIP_REASON)  # before the build, which takes a while
    wanted = (ROOT / ".python-version").read_text(encoding="utf-8").strip()
    if f"{sys.version_info.major}.{sys.version_info.minor}" != wanted:
        pytest.skip(f"Heroku would run Python {wanted} (.python-version); this is {sys.version}")
    unreachable = pypi_unreachable()
    if unreachable:
        pytest.skip(f"PyPI is not reachable, so the lock cannot be installed: {unreachable}")
    base = tmp_path_factory.mktemp("heroku")
    app, python = base / "app", base / "python"
    copy_committed_files(app)
    assert (app / "requirements.txt").is_file()  # what the buildpack looks for first
    subprocess.run([sys.executable, "-m", "venv", python], check=True, timeout=120)
    # Heroku's config, not this machine's: PyPI only, no local mirrors or constraints.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    installed = subprocess.run(
        [python / "bin" / "pip", *BUILDPACK_PIP_INSTALL],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
    )
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    yield app, python / "bin"


def heroku_env(bin_dir: Path, home: Path, **settings: str) -> dict[str, str]:
    """A dyno's environment: the buildpack's Python first on PATH, the app's config vars."""
    return {
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "true",  # set by the buildpack
        "WEB_CONCURRENCY": "2",  # set by the buildpack from the dyno's size
        **settings,
    }


def start(name: str, app: Path, env: dict[str, str], logs: Path) -> Dyno:
    log = logs / f"{name}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            ["bash", "-c", procfile()[name]],
            cwd=app,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as a whole
        )
    return Dyno(name, process, log)


def wait_for_port(dyno: Dyno, port: int) -> None:
    deadline = time.monotonic() + BOOT_TIMEOUT
    while time.monotonic() < deadline:
        assert dyno.process.poll() is None, f"web exited early:\n{dyno.output()}"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"web did not bind $PORT in {BOOT_TIMEOUT}s:\n{dyno.output()}")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def due_now(database_url: str) -> None:
    """A channel whose weekly slot fell five minutes ago: the clock's first tick posts it."""
    slot = (datetime.now(UTC) - timedelta(minutes=5)).replace(second=0, microsecond=0)
    store = open_store(database_url, migrate_schema=False)  # the release phase migrated it
    try:
        store.workspace(WS).subscribe(
            channel_id="CDEPLOY",
            schedule=WeeklySchedule(day=slot.weekday(), at=slot.time(), timezone="UTC"),
            topics=(),
            subscribed_by="UADMIN",
            now=slot - timedelta(hours=1),
        )
    finally:
        store.close()


def test_the_buildpacks_build_releases_serves_a_signed_pmtip_and_ticks(
    build, fresh_postgres, tmp_path
):
    app, bin_dir = build
    heroku_url = fresh_postgres.replace("postgresql://", "postgres://", 1)  # Heroku's scheme
    assert heroku_url.startswith("postgres://")
    port = free_port()
    with FakeSlackApi(token=TOKEN) as slack_api:
        env = heroku_env(
            bin_dir,
            tmp_path,
            PORT=str(port),
            DATABASE_URL=heroku_url,
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_BASE_URL=slack_api.base_url,
            TICK_SECONDS="1",
        )
        release = start("release", app, env, tmp_path)
        assert release.process.wait(timeout=120) == 0, release.output()
        due_now(fresh_postgres)

        dynos = [start("web", app, env, tmp_path), start("clock", app, env, tmp_path)]
        try:
            wait_for_port(dynos[0], port)
            body = slash_command_body("ai-failure", response_url=slack_api.response_url("deploy"))
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/slack/events",
                data=body,
                headers=signed_headers(body, SIGNING_SECRET),
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=10) as reply:
                assert reply.status == 200
                answer = json.loads(reply.read())
            assert_valid_message(answer)
            assert "ai-failure" in json.dumps(answer)

            (post,) = slack_api.wait_for("chat.postMessage", timeout=60)
            assert post.params["channel"] == "CDEPLOY"
            assert post.params["metadata"]["event_type"] == "pmtip_weekly_insight"
        finally:
            statuses = {dyno.name: dyno.stop() for dyno in dynos}
    assert statuses == {"web": 0, "clock": 0}, [d.output() for d in dynos]
    for dyno in (release, *dynos):
        output = dyno.output()
        assert "Traceback" not in output and " ERROR " not in output, f"{dyno.name}:\n{output}"
