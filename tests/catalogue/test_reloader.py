"""Live reload: a saved change is picked up, a bad one never replaces the good
catalogue, admins hear about each bad version once, and requests arriving
while the file changes each see one whole catalogue."""

from __future__ import annotations

import multiprocessing
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.catalogue.notices import AdminNotices, NoticeLedger
from bot.catalogue.reloader import Reloader
from bot.catalogue.source import EMPTY, CatalogueSource
from bot.settings import load_settings
from bot.slack.users import Users
from bot.wiring import listener_client
from tests.support.app_server import BOT_TOKEN, RunningApp
from tests.support.slack_api import FakeSlackApi
from tests.support.slack_validation import assert_valid_message

ADMINS = ("UADMIN1", "UADMIN2")


def catalogue_text(version: str, *, tips: int = 6) -> str:
    """A valid tips file whose every text names `version`, so a reply can be traced."""
    lines = [
        "version: 1",
        "topics:",
        "  strategy:",
        f"    description: Strategy tips of version {version}.",
        "  discovery:",
        f"    description: Discovery tips of version {version}.",
        "tips:",
    ]
    for n in range(tips):
        lines += [
            f"  - id: {version}-tip-{n}",
            f"    topic: {'strategy' if n % 2 else 'discovery'}",
            f"    title: {version.capitalize()} title {n}",
            f"    body: {version.capitalize()} body {n}.",
            f"    try: {version.capitalize()} action {n}.",
            f'    quote: "{version} quote {n}"',
            f'    section: "{version} section"',
            "    audience: [business]",
        ]
    return "\n".join(lines) + "\n"


BROKEN = {
    "deleted": None,
    "empty": b"",
    "half-written": catalogue_text("beta").encode()[:300],
    "not UTF-8": catalogue_text("beta").replace("Beta body 1", "Béta body 1").encode("latin-1"),
    "invalid": catalogue_text("beta").replace("topic: strategy", "topic: strategey").encode(),
}


def write(path: Path, content: bytes | None) -> None:
    """Save like an editor would, and move the file's time on so every save is seen."""
    if content is None:
        path.unlink(missing_ok=True)
        return
    path.write_bytes(content)
    stamp = time.time_ns() + random.randrange(1, 10**6)
    os.utime(path, ns=(stamp, stamp))


def poll_until_settled(reloader: Reloader) -> list:
    """Poll as the thread would until the change is taken (or refused)."""
    outcomes = [reloader.check_now() for _ in range(3)]
    return [o for o in outcomes if o is not None]


@pytest.fixture
def tips_path(tmp_path: Path) -> Path:
    path = tmp_path / "tips.yaml"
    write(path, catalogue_text("alpha").encode())
    return path


@pytest.fixture
def make_reloader(slack_api: FakeSlackApi, tmp_path: Path) -> Callable[..., Reloader]:
    """A reloader whose admin messages go to the stand-in Slack API."""
    settings = load_settings(
        {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_BASE_URL": slack_api.base_url}, mode="offline"
    )
    ledger = NoticeLedger(tmp_path / "notices")
    ledger.folder.mkdir()

    def make(source: CatalogueSource, *, admins: tuple[str, ...] = ADMINS) -> Reloader:
        client = listener_client(settings)
        notify = AdminNotices(client, directory=Users(client, admin_ids=frozenset(admins)))
        return Reloader(source, interval=0.01, notify=notify, ledger=ledger)

    return make


def admin_messages(api: FakeSlackApi) -> list[dict]:
    return [call.params for call in api.calls("chat.postMessage")]


# -- the catalogue source ------------------------------------------------------------


def test_a_saved_change_is_loaded_once_it_has_settled(tips_path: Path) -> None:
    source = CatalogueSource(tips_path)
    assert source.reload().ok
    alpha = source.current()
    assert source.poll() is None  # nothing changed

    write(tips_path, catalogue_text("beta").encode())
    assert source.poll() is None  # just changed: maybe still being written
    assert source.current() is alpha
    outcome = source.poll()
    assert outcome is not None and outcome.ok
    assert source.current().tip("beta-tip-0") is not None
    assert source.current().tip("alpha-tip-0") is None
    assert source.poll() is None


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_bad_file_never_replaces_the_good_catalogue(
    case: str, tips_path: Path, slack_api: FakeSlackApi, make_reloader: Callable[..., Reloader]
) -> None:
    source = CatalogueSource(tips_path)
    source.reload()
    good = source.current()
    reloader = make_reloader(source)

    write(tips_path, BROKEN[case])
    outcomes = poll_until_settled(reloader)

    assert [o.ok for o in outcomes] == [False]
    assert source.current() is good  # the very same object: nothing was swapped
    assert source.rejected is outcomes[0]
    assert "still serving the last good catalogue (6 tips in 2 topics)" in outcomes[0].summary
    assert all(line.startswith(f"{tips_path}:") for line in outcomes[0].problems)

    messages = admin_messages(slack_api)
    assert sorted(m["channel"] for m in messages) == sorted(ADMINS)
    for message in messages:
        assert_valid_message(message)
        assert "was not loaded" in message["text"]

    for _ in range(5):  # more polls, and the same bad content saved again
        reloader.check_now()
    write(tips_path, BROKEN[case])
    poll_until_settled(reloader)
    assert len(admin_messages(slack_api)) == len(ADMINS)  # told once
    assert source.current() is good


def test_the_problems_reach_the_admins_with_their_line_numbers(
    tips_path: Path, slack_api: FakeSlackApi, make_reloader: Callable[..., Reloader]
) -> None:
    source = CatalogueSource(tips_path)
    source.reload()
    reloader = make_reloader(source)
    write(tips_path, BROKEN["invalid"])
    poll_until_settled(reloader)
    [first, _] = admin_messages(slack_api)
    line = catalogue_text("beta").split("\n").index("    topic: strategy") + 1
    assert f"{tips_path}:{line}:12: " in str(first["blocks"])
    assert "did you mean `strategy`?" in str(first["blocks"])


def test_the_same_mistake_after_a_good_save_is_news_again(
    tips_path: Path, slack_api: FakeSlackApi, make_reloader: Callable[..., Reloader]
) -> None:
    source = CatalogueSource(tips_path)
    source.reload()
    reloader = make_reloader(source, admins=("UADMIN1",))
    for version in ("beta", "gamma"):
        write(tips_path, b"")
        poll_until_settled(reloader)
        write(tips_path, catalogue_text(version).encode())
        poll_until_settled(reloader)
        assert source.current().tip(f"{version}-tip-0") is not None
    assert len(admin_messages(slack_api)) == 2


def test_a_bad_file_at_start_leaves_the_bot_up_and_the_admins_told_once(
    tmp_path: Path, slack_api: FakeSlackApi, make_reloader: Callable[..., Reloader]
) -> None:
    path = tmp_path / "tips.yaml"
    write(path, BROKEN["invalid"])
    source = CatalogueSource(path)
    outcome = source.reload()
    assert not outcome.ok and source.current() is EMPTY and not source.has_catalogue
    assert "no catalogue is loaded" in outcome.summary

    # two workers forked from one start share the ledger: one message per admin
    workers = [make_reloader(source), make_reloader(source)]
    for worker in workers:
        worker.announce(source.rejected)
    assert sorted(m["channel"] for m in admin_messages(slack_api)) == sorted(ADMINS)

    write(path, catalogue_text("alpha").encode())
    poll_until_settled(workers[0])
    assert source.has_catalogue and source.current().tip("alpha-tip-0") is not None
    assert source.rejected is None


def test_no_admins_configured_is_logged_not_fatal(
    tips_path: Path,
    slack_api: FakeSlackApi,
    make_reloader: Callable[..., Reloader],
    caplog: pytest.LogCaptureFixture,
) -> None:
    source = CatalogueSource(tips_path)
    source.reload()
    reloader = make_reloader(source, admins=())
    write(tips_path, b"")
    poll_until_settled(reloader)
    assert admin_messages(slack_api) == []
    assert "no admin was found to tell" in caplog.text


def test_a_slack_failure_while_telling_admins_does_not_stop_the_others(
    tips_path: Path, slack_api: FakeSlackApi, make_reloader: Callable[..., Reloader]
) -> None:
    slack_api.fail(
        "chat.postMessage", error="user_not_found", when=lambda p: p.get("channel") == "UADMIN1"
    )
    source = CatalogueSource(tips_path)
    source.reload()
    reloader = make_reloader(source)
    write(tips_path, b"")
    poll_until_settled(reloader)
    statuses = {call.params["channel"]: call.status for call in slack_api.calls("chat.postMessage")}
    assert set(statuses) == set(ADMINS)
    ok = [c for c in slack_api.calls("chat.postMessage") if c.params["channel"] == "UADMIN2"]
    assert ok and ok[0].status == 200


def _claim_in_child(folder: str, key: str, results: multiprocessing.Queue) -> None:
    results.put(NoticeLedger(Path(folder)).first_claim(key))


def test_the_notice_ledger_lets_one_process_in_per_key(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    results: multiprocessing.Queue = context.Queue()
    children = [
        context.Process(target=_claim_in_child, args=(str(tmp_path), "v1", results))
        for _ in range(4)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=10)
    claims = sorted(results.get(timeout=5) for _ in children)
    assert claims == [False, False, False, True]
    assert NoticeLedger(tmp_path).first_claim("v2")


def test_the_poller_thread_picks_up_a_change(tips_path: Path) -> None:
    source = CatalogueSource(tips_path)
    source.reload()
    ledger = NoticeLedger(tips_path.parent)
    reloader = Reloader(source, interval=0.01, notify=lambda outcome: None, ledger=ledger)
    reloader.ensure_started()
    try:
        write(tips_path, catalogue_text("beta").encode())
        wait_until(lambda: source.current().tip("beta-tip-0") is not None)
    finally:
        reloader.stop()


def _child_starts_its_own_poller(reloader: Reloader, results: multiprocessing.Queue) -> None:
    reloader.ensure_started()
    thread = reloader._thread
    results.put(thread is not None and thread.is_alive())
    reloader.stop()


def test_a_forked_worker_starts_its_own_poller(tips_path: Path) -> None:
    source = CatalogueSource(tips_path)
    source.reload()
    reloader = Reloader(
        source, interval=0.01, notify=lambda outcome: None, ledger=NoticeLedger(tips_path.parent)
    )
    reloader.ensure_started()  # the parent's thread, which the child does not inherit
    try:
        context = multiprocessing.get_context("fork")
        results: multiprocessing.Queue = context.Queue()
        child = context.Process(target=_child_starts_its_own_poller, args=(reloader, results))
        child.start()
        child.join(timeout=10)
        assert results.get(timeout=5) is True
        assert child.exitcode == 0
    finally:
        reloader.stop()


def wait_until(condition: Callable[[], bool], *, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        time.sleep(0.01)


# -- requests while the file changes ----------------------------------------------------


@pytest.fixture
def app_on_tmp_file(
    tips_path: Path, running_app: Callable[..., RunningApp]
) -> Iterator[RunningApp]:
    app = running_app(
        TIPS_PATH=str(tips_path),
        RELOAD_SECONDS="0.01",
        ADMIN_USER_IDS=",".join(ADMINS),
        DATABASE_URL=f"sqlite:///{tips_path.parent}/reload.sqlite3",
    )
    yield app
    app.parts.reloader.stop()


def version_of(reply: dict) -> set[str]:
    """Every version named anywhere in a tip reply: one, if the reply is whole."""
    text = str(reply["blocks"]) + reply["text"]
    return {v for v in ("alpha", "beta") if v in text.lower()}


def test_requests_during_reloads_each_see_one_whole_catalogue(
    app_on_tmp_file: RunningApp, tips_path: Path, slack_api: FakeSlackApi
) -> None:
    app = app_on_tmp_file
    failures: list[str] = []
    seen: dict[str, int] = {"alpha": 0, "beta": 0}
    stop = threading.Event()

    def traffic(worker: int) -> None:
        words = ["", "strategy", "discovery", "action"]
        n = 0
        while not stop.is_set():
            n += 1
            reply = app.command(words[(worker + n) % len(words)], user_id=f"U{worker}")
            if reply.status != 200 or reply.json is None:
                failures.append(f"HTTP {reply.status}: {reply.body[:200]!r}")
                continue
            versions = version_of(reply.json)
            if len(versions) != 1:
                failures.append(f"a reply naming {versions or 'no version'}: {reply.json}")
                continue
            seen[versions.pop()] += 1

    threads = [threading.Thread(target=traffic, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    try:
        for version in ("beta", "broken", "alpha", "broken", "beta", "alpha"):
            if version == "broken":
                write(tips_path, BROKEN["half-written"])
                wait_until(lambda: app.parts.catalogue.rejected is not None)
            else:
                write(tips_path, catalogue_text(version).encode())
                wait_until(lambda v=version: app.parts.catalogue.current().tip(f"{v}-tip-0"))
            target = sum(seen.values()) + 8  # some requests served after each change
            wait_until(lambda target=target: sum(seen.values()) >= target)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    assert failures == []
    assert seen["alpha"] > 0 and seen["beta"] > 0
    # the broken save was refused, and each admin told about it once per good version
    notices = [c for c in slack_api.calls("chat.postMessage") if c.params["channel"] in ADMINS]
    assert len(notices) == 2 * len(ADMINS)


def test_workspace_admins_and_owners_are_told_too(
    tips_path: Path, slack_api: FakeSlackApi, make_reloader: Callable[..., Reloader]
) -> None:
    slack_api.users.update(
        {
            "UWSADMIN": {"is_admin": True},
            "UOWNER": {"is_owner": True},
            "UMEMBER": {},
            "UGONE": {"is_admin": True, "deleted": True},
            "UBOT": {"is_admin": True, "is_bot": True},
        }
    )
    source = CatalogueSource(tips_path)
    source.reload()
    reloader = make_reloader(source, admins=("UADMIN1",))
    write(tips_path, b"")
    poll_until_settled(reloader)
    told = sorted(m["channel"] for m in admin_messages(slack_api))
    assert told == ["UADMIN1", "UOWNER", "UWSADMIN"]


def test_with_many_workspaces_a_bad_save_is_the_operators_to_read_in_the_log(
    tips_path: Path,
    slack_api: FakeSlackApi,
    running_app: Callable[..., RunningApp],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The tips file is the operator's, shared by every workspace: no workspace's
    # admins are sent its problems.
    from tests.support.installs import oauth_env

    app = running_app(
        **oauth_env(slack_api),
        TIPS_PATH=str(tips_path),
        RELOAD_SECONDS="0.01",
        ADMIN_USER_IDS=",".join(ADMINS),
        DATABASE_URL=f"sqlite:///{tips_path.parent}/many.sqlite3",
    )
    try:
        write(tips_path, BROKEN["invalid"])
        poll_until_settled(app.parts.reloader)
    finally:
        app.parts.reloader.stop()
    assert "the tips file was refused" in caplog.text
    assert "tips.yaml:" in caplog.text  # the problems, with their lines
    assert slack_api.calls("chat.postMessage") == [] and slack_api.calls("users.list") == []
