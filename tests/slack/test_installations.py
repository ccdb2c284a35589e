"""The installation and state stores on pmtip's database (SQLite and PostgreSQL), and
the bounded cache in front of the installation lookups."""

from __future__ import annotations

import threading
import time

import pytest
from slack_sdk.oauth.installation_store import Installation

from bot.slack.installations import (
    CachedInstallationStore,
    WorkspaceInstallationStore,
    installation_store,
    state_store,
)
from bot.store import open_store
from tests.support.databases import database_url, fresh_postgres

__all__ = ["database_url", "fresh_postgres"]


@pytest.fixture
def engine(database_url):
    store = open_store(database_url)
    yield store.engine
    store.close()


def install(team_id: str, token: str, *, at: float | None = None, enterprise_id=None):
    return Installation(
        app_id="APMTIP",
        enterprise_id=enterprise_id,
        team_id=team_id,
        team_name=f"Workspace {team_id}",
        bot_token=token,
        bot_id=f"B{team_id}",
        bot_user_id=f"UBOT{team_id}",
        bot_scopes="commands,chat:write",
        user_id="UINSTALLER",
        installed_at=at or time.time(),
    )


@pytest.fixture
def installs(engine):
    store = installation_store(engine, client_id="1111.2222")
    return store


def test_reinstalling_keeps_one_row_per_workspace(installs):
    installs.save(install("T2", "xoxb-old", at=1_700_000_000.0))
    installs.save(install("T3", "xoxb-other", at=1_700_000_001.0))
    installs.save(install("T2", "xoxb-new", at=1_700_000_100.0))
    inner: WorkspaceInstallationStore = installs.inner
    with inner.engine.connect() as conn:
        rows = conn.execute(inner.installations.select()).mappings().all()
        bots = conn.execute(inner.bots.select()).mappings().all()
    assert sorted((r["team_id"], r["bot_token"]) for r in rows) == [
        ("T2", "xoxb-new"),
        ("T3", "xoxb-other"),
    ]
    assert sorted((r["team_id"], r["bot_token"]) for r in bots) == [
        ("T2", "xoxb-new"),
        ("T3", "xoxb-other"),
    ]
    found = installs.find_installation(enterprise_id=None, team_id="T2")
    assert found is not None and found.bot_token == "xoxb-new"


def test_enterprise_workspaces_are_apart_from_plain_ones(installs):
    installs.save(install("T2", "xoxb-plain"))
    installs.save(install("T2", "xoxb-grid", enterprise_id="E1"))
    assert installs.find_bot(enterprise_id=None, team_id="T2").bot_token == "xoxb-plain"
    assert installs.find_bot(enterprise_id="E1", team_id="T2").bot_token == "xoxb-grid"


def test_a_state_is_consumed_once(engine):
    states = state_store(engine)
    state = states.issue()
    assert states.consume(state) is True
    assert states.consume(state) is False
    assert states.consume("never-issued") is False


def test_two_callbacks_racing_with_one_state_let_one_through(engine):
    states = state_store(engine)
    for _ in range(5):
        assert sorted(_race(states.consume, states.issue(), racers=4)) == [False] * 3 + [True]


def _race(consume, state: str, *, racers: int) -> list[bool]:
    results: list[bool] = []
    start = threading.Barrier(racers)

    def one() -> None:
        start.wait()
        results.append(consume(state))

    threads = [threading.Thread(target=one) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_an_expired_state_is_refused(engine):
    from bot.slack.installations import OneTimeStateStore

    states = OneTimeStateStore(expiration_seconds=-1, engine=engine)
    assert states.consume(states.issue()) is False


def test_issuing_a_state_deletes_the_expired_ones_only(engine):
    from bot.slack.installations import OneTimeStateStore

    OneTimeStateStore(expiration_seconds=-1, engine=engine).issue()
    states = state_store(engine)
    kept = states.issue()
    fresh = states.issue()
    assert states.consume(kept) and states.consume(fresh)  # the live ones stay usable
    with engine.connect() as conn:
        left = conn.execute(states.oauth_states.select()).all()
    assert left == []  # and the expired one is gone


# -- the cache -----------------------------------------------------------------------


class CountingStore:
    """An installation store in memory that counts the lookups that reach it."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str | None, str | None], Installation] = {}
        self.finds = 0

    def save(self, installation):
        self.rows[(installation.enterprise_id, installation.team_id)] = installation

    def find_installation(
        self, *, enterprise_id, team_id, user_id=None, is_enterprise_install=False
    ):
        self.finds += 1
        return self.rows.get((enterprise_id, team_id))

    def find_bot(self, *, enterprise_id, team_id, is_enterprise_install=False):
        self.finds += 1
        found = self.rows.get((enterprise_id, team_id))
        return found.to_bot() if found else None

    def delete_all(self, *, enterprise_id, team_id):
        self.rows.pop((enterprise_id, team_id), None)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_warm_lookup_never_reaches_the_store_however_many_workspaces_installed():
    for installed in (1, 1000):
        inner = CountingStore()
        cached = CachedInstallationStore(inner, size=2048, seconds=60)
        for n in range(installed):
            inner.save(install(f"T{n}", f"xoxb-{n}"))
        for n in range(installed):  # the first lookup of each workspace reaches the store
            assert cached.find_installation(enterprise_id=None, team_id=f"T{n}") is not None
        before = inner.finds
        for _ in range(3):
            found = cached.find_installation(enterprise_id=None, team_id="T0")
            assert found is not None and found.bot_token == "xoxb-0"
        assert inner.finds == before  # 1 or 1,000 installed: no query, one dict look-up


def test_the_cache_is_bounded_and_forgets_after_its_ttl():
    inner, clock = CountingStore(), Clock()
    cached = CachedInstallationStore(inner, size=10, seconds=60, timer=clock)
    for n in range(50):
        inner.save(install(f"T{n}", f"xoxb-{n}"))
        cached.find_installation(enterprise_id=None, team_id=f"T{n}")
    assert len(cached._cache) <= 10  # the least recently used went first
    finds = inner.finds
    cached.find_installation(enterprise_id=None, team_id="T49")
    assert inner.finds == finds
    clock.now += 61
    cached.find_installation(enterprise_id=None, team_id="T49")
    assert inner.finds == finds + 1  # another process's change is seen within the TTL


def test_saving_or_deleting_a_workspace_forgets_its_cached_lookups_at_once():
    inner = CountingStore()
    cached = CachedInstallationStore(inner, size=10, seconds=60)
    cached.save(install("T2", "xoxb-old"))
    assert cached.find_bot(enterprise_id=None, team_id="T2").bot_token == "xoxb-old"
    cached.save(install("T2", "xoxb-new"))
    assert cached.find_bot(enterprise_id=None, team_id="T2").bot_token == "xoxb-new"
    cached.delete_all(enterprise_id=None, team_id="T2")
    assert cached.find_bot(enterprise_id=None, team_id="T2") is None
    assert cached.find_installation(enterprise_id=None, team_id="T2") is None


def test_the_oauth_credentials_never_show_the_secret_in_their_repr():
    from bot.slack.oauth import OAuthCredentials

    shown = repr(OAuthCredentials(client_id="1111.2222", client_secret="s3cr3t-value"))
    assert "1111.2222" in shown and "s3cr3t-value" not in shown
