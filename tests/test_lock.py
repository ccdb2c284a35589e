"""The lock files Heroku and `make` install from agree with pyproject.toml: every
requirement pinned at a version it allows, every pin hash-checked, no stale pin,
and the Python version where Heroku reads it. `make lock` rewrites them."""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from tests.support.locks import Pin, lock_problems, read_lock

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
RUNTIME = PROJECT["dependencies"]
DEV = PROJECT["optional-dependencies"]["dev"]


def lock(name: str) -> dict[str, Pin]:
    pins, problems = read_lock((ROOT / name).read_text(encoding="utf-8"))
    assert problems == []
    return pins


def test_the_runtime_lock_pins_exactly_what_pyproject_needs():
    assert lock_problems(RUNTIME, lock("requirements.txt")) == []


def test_the_dev_lock_pins_the_runtime_lock_plus_the_test_tools():
    runtime, dev = lock("requirements.txt"), lock("requirements-dev.txt")
    assert lock_problems([*RUNTIME, *DEV], dev) == []
    differ = {n: (p.version, dev[n].version) for n, p in runtime.items() if dev[n] != p}
    assert differ == {}  # the same versions, the same files: one lock, two audiences


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_every_pin_is_hash_checked_and_says_how_to_regenerate_it(name):
    text = (ROOT / name).read_text(encoding="utf-8")
    assert "make lock" in text.splitlines()[1]
    assert all(pin.hashes >= 1 for pin in lock(name).values())


def test_this_environment_was_installed_from_the_lock():
    differ = {
        name: (pin.version, metadata.version(name))
        for name, pin in lock("requirements-dev.txt").items()
        if pin.applies and metadata.version(name) != pin.version
    }
    assert differ == {}, "run `make setup` (it installs from requirements-dev.txt)"


def test_python_is_pinned_where_heroku_reads_it_and_pyproject_allows_it():
    wanted = (ROOT / ".python-version").read_text(encoding="utf-8").strip()
    assert re.fullmatch(r"3\.\d+", wanted)  # the major version: Heroku applies patch releases
    minimum = re.fullmatch(r">=(3\.\d+)", PROJECT["requires-python"])
    assert minimum and wanted == minimum.group(1)  # the locks resolve for this one (make lock)
    assert "--python-version " + wanted in (ROOT / "Makefile").read_text(encoding="utf-8")
    assert not (ROOT / "runtime.txt").exists()  # it would override .python-version


# -- the check itself notices a disagreement ---------------------------------------------


def test_a_requirement_added_to_pyproject_but_not_locked_is_reported():
    problems = lock_problems([*RUNTIME, "rich>=13"], lock("requirements.txt"))
    assert problems == ["rich (pyproject.toml) is not pinned in the lock"]


def test_a_pin_below_what_pyproject_now_asks_is_reported():
    pins = lock("requirements.txt")
    # Only the version is raised: the extras stay, so what they pull in is still needed.
    raised = [r if not r.startswith("sqlalchemy") else r.split(">", 1)[0] + ">=99" for r in RUNTIME]
    wanted = next(r for r in raised if r.startswith("sqlalchemy"))
    problems = lock_problems(raised, pins)
    assert problems == [
        f"sqlalchemy=={pins['sqlalchemy'].version} does not satisfy {wanted} (pyproject.toml)"
    ]


def test_pins_left_behind_by_a_removed_requirement_are_reported():
    fewer = [r for r in RUNTIME if not r.startswith("alembic")]
    problems = lock_problems(fewer, lock("requirements.txt"))
    stale = {p.split()[0] for p in problems}
    assert stale == {"alembic", "mako"}  # markupsafe stays: jinja2 needs it too


def test_a_lock_line_without_an_exact_version_is_reported():
    _, problems = read_lock("slack-bolt>=1.21 \\\n    --hash=sha256:00\n")
    assert problems and "not pinned" in problems[0]


def test_markers_are_read_for_this_interpreter():
    pins, _ = read_lock('colorama==0.4.6 ; sys_platform == "nonesuch" \\\n  --hash=sha256:00\n')
    assert pins["colorama"].applies is False
    assert sys.platform != "nonesuch"
