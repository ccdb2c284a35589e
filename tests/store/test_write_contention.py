"""A write that meets another writer holding SQLite's lock waits for it within the
store's deadline (the busy timeout, `?timeout=` in DATABASE_URL), and past the
deadline fails aloud with StoreUnavailable: it is never lost in silence."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.store import StoreUnavailable, Vote, open_store
from bot.store.sql.engine import SQLITE_BUSY_TIMEOUT_SECONDS
from tests.support.databases import hold_sqlite_write_lock
from tests.support.workspaces import WS

T0 = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)


def vote(store, user: str = "U1"):
    return store.workspace(WS).record_vote(
        user_id=user, tip_id="tip-a", vote=Vote.USEFUL, channel_id="C1", now=T0
    )


def useful_votes(store) -> int:
    return sum(s.useful for s in store.workspace(WS).tip_stats())


def test_a_vote_waits_for_a_writer_that_finishes_within_the_deadline(tmp_path: Path):
    path = tmp_path / "db.sqlite3"
    store = open_store(f"sqlite:///{path}?timeout=5")
    writer = hold_sqlite_write_lock(path)
    threading.Timer(0.3, writer.commit).start()
    try:
        vote(store)
    finally:
        writer.close()
    assert useful_votes(store) == 1
    store.close()


def test_a_vote_that_cannot_get_the_lock_by_the_deadline_fails_aloud(tmp_path: Path):
    path = tmp_path / "db.sqlite3"
    store = open_store(f"sqlite:///{path}?timeout=0.3")
    writer = hold_sqlite_write_lock(path)
    started = time.monotonic()
    try:
        with pytest.raises(StoreUnavailable, match="locked"):
            vote(store)
    finally:
        writer.rollback()
        writer.close()
    waited = time.monotonic() - started
    assert 0.3 <= waited < SQLITE_BUSY_TIMEOUT_SECONDS / 2  # the configured deadline, not 30 s
    assert useful_votes(store) == 0
    vote(store)  # the store is fine once the other writer is done
    assert useful_votes(store) == 1
    store.close()


def test_without_a_timeout_in_the_url_the_default_deadline_applies(tmp_path: Path):
    store = open_store(f"sqlite:///{tmp_path}/db.sqlite3")
    with store.engine.connect() as connection:
        busy_ms = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    assert busy_ms == SQLITE_BUSY_TIMEOUT_SECONDS * 1000
    store.close()
