"""What a refused edit leaves behind in a running process: a bounded list of
problems (each worker keeps it), a bounded log, and messages to admins in which
the file's control characters are shown escaped."""

from __future__ import annotations

import io
import logging
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.catalogue.notices import AdminNotices, NoticeLedger
from bot.catalogue.reloader import Reloader
from bot.catalogue.source import LOGGED_PROBLEMS_MAX, CatalogueSource
from bot.core.problems import PROBLEMS_KEPT
from bot.core.render.admin import PROBLEM_LINES_SHOWN
from bot.logging_setup import setup_logging
from bot.settings import load_settings
from bot.slack.users import Users
from bot.wiring import listener_client
from tests.catalogue.test_reloader import admin_messages, catalogue_text, poll_until_settled, write
from tests.core.test_tips_file import FIXTURES
from tests.support.app_server import BOT_TOKEN
from tests.support.slack_api import FakeSlackApi
from tests.support.slack_validation import assert_valid_message


@pytest.fixture
def tips_path(tmp_path: Path) -> Path:
    path = tmp_path / "tips.yaml"
    write(path, catalogue_text("alpha").encode())
    return path


@pytest.fixture
def make_reloader(slack_api: FakeSlackApi, tmp_path: Path) -> Callable[[CatalogueSource], Reloader]:
    """A reloader that tells one admin, through the stand-in Slack API."""
    settings = load_settings(
        {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_BASE_URL": slack_api.base_url}, mode="offline"
    )
    ledger = NoticeLedger(tmp_path / "notices")
    ledger.folder.mkdir()

    def make(source: CatalogueSource) -> Reloader:
        client = listener_client(settings)
        notify = AdminNotices(client, directory=Users(client, admin_ids=frozenset({"UADMIN1"})))
        return Reloader(source, interval=0.01, notify=notify, ledger=ledger)

    return make


def hidden_controls(text: str) -> list[str]:
    return [c for c in text if c != "\n" and unicodedata.category(c) in ("Cc", "Zl", "Zp")]


def strings_in(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """The log as the production handler writes it."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    setup_logging("INFO")
    root.handlers[0].setStream(stream)
    yield stream
    root.handlers[:], level = saved
    root.setLevel(level)


def test_a_refused_file_keeps_a_bounded_list_of_problems_and_logs_a_count(
    tips_path: Path, log_output: io.StringIO
) -> None:
    source = CatalogueSource(tips_path)
    assert source.reload().ok
    write(tips_path, (FIXTURES / "alias_bomb.yaml").read_bytes())
    outcome = source.reload()
    assert not outcome.ok and source.rejected is outcome
    assert len(outcome.problems) == PROBLEMS_KEPT
    assert outcome.problems_left_out == 802 - PROBLEMS_KEPT
    assert "802 problem(s)" in outcome.summary
    logged = [line for line in log_output.getvalue().splitlines() if "tips file" in line]
    assert len(logged) == 1 + LOGGED_PROBLEMS_MAX + 1
    assert f"{802 - LOGGED_PROBLEMS_MAX} more problem(s)" in logged[-1]


def test_the_admins_hear_the_total_count_of_a_long_list(
    tips_path: Path, slack_api: FakeSlackApi, make_reloader: Callable[[CatalogueSource], Reloader]
) -> None:
    source = CatalogueSource(tips_path)
    source.reload()
    reloader = make_reloader(source)
    write(tips_path, (FIXTURES / "alias_bomb.yaml").read_bytes())
    poll_until_settled(reloader)
    [message] = admin_messages(slack_api)
    assert_valid_message(message)
    shown = " ".join(strings_in(message["blocks"]))
    assert f"…and {802 - PROBLEM_LINES_SHOWN} more" in shown
    assert "YAML anchor" in shown


def test_control_characters_reach_neither_the_log_nor_the_admins_raw(
    tips_path: Path,
    slack_api: FakeSlackApi,
    make_reloader: Callable[[CatalogueSource], Reloader],
    log_output: io.StringIO,
) -> None:
    source = CatalogueSource(tips_path)
    source.reload()
    reloader = make_reloader(source)
    write(tips_path, (FIXTURES / "control_chars.yaml").read_bytes())
    poll_until_settled(reloader)

    logged = log_output.getvalue()
    assert hidden_controls(logged) == []
    assert "\\x1b[2K\\r" in logged
    assert not any(line.startswith("2024-01-01") for line in logged.splitlines())

    [message] = admin_messages(slack_api)
    assert_valid_message(message)
    sent = [*strings_in(message["blocks"]), message["text"]]
    assert all(hidden_controls(text) == [] for text in sent), sent
    assert "\\x1b[2K\\rmoat\\x07" in " ".join(sent)
