"""A subscription row whose schedule cannot be used (a timezone this host's tzdata
lacks, a weekday out of range, a malformed time) never breaks reading the others:
the store pauses that subscription with a reason, logs it once, and subscribing
again with a valid schedule lifts the pause. On SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta

import pytest

from bot.core.schedule import WeeklySchedule
from bot.store.sql import SqlStore
from tests.support.databases import corrupt_subscription
from tests.support.workspaces import WS

T0 = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
GOOD = WeeklySchedule(day=0, at=time(9, 0), timezone="Europe/Berlin")

BAD_VALUES = {
    "timezone gone from tzdata": ({"timezone": "Mars/Olympus"}, "Mars/Olympus"),
    "timezone that is a folder": ({"timezone": "America"}, "America"),
    "timezone with a path": ({"timezone": "../../etc/passwd"}, "etc/passwd"),
    "empty timezone": ({"timezone": ""}, "timezone"),
    "weekday out of range": ({"weekday": 9}, "9"),
    "negative weekday": ({"weekday": -1}, "-1"),
    "time out of range": ({"post_time": "25:99"}, "25:99"),
    "time not HH:MM": ({"post_time": "9am"}, "9am"),
}


def subscribe(store: SqlStore, channel: str) -> None:
    store.workspace(WS).subscribe(
        channel_id=channel, schedule=GOOD, topics=(), subscribed_by="U1", now=T0
    )


@pytest.mark.parametrize(("values", "named"), BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_one_unreadable_row_is_paused_and_the_others_are_read(store, values, named, caplog):
    for channel in ("CGOOD1", "CBAD", "CGOOD2"):
        subscribe(store, channel)
    corrupt_subscription(store.engine, "CBAD", **values)

    with caplog.at_level(logging.WARNING, logger="bot.store"):
        receiving = store.subscriptions()
        every = store.subscriptions(receiving_only=False)
        bad = store.workspace(WS).subscription("CBAD")

    assert [s.channel_id for s in receiving] == ["CGOOD1", "CGOOD2"]
    assert [s.channel_id for s in every] == ["CGOOD1", "CBAD", "CGOOD2"]
    assert bad is not None and bad.active and not bad.receiving and bad.schedule is None
    assert bad.paused_reason is not None and named in bad.paused_reason
    warnings = [r.getMessage() for r in caplog.records if "CBAD" in r.getMessage()]
    assert len(warnings) == 1, warnings  # once, however often the row is read
    assert "subscribe" in warnings[0]


def test_the_pause_is_logged_once_across_store_instances(database_url, caplog):
    from bot.store import open_store

    first, second = open_store(database_url), open_store(database_url)
    try:
        subscribe(first, "CBAD")
        corrupt_subscription(first.engine, "CBAD", timezone="Mars/Olympus")
        with caplog.at_level(logging.WARNING, logger="bot.store"):
            for _ in range(3):
                first.subscriptions()
                second.subscriptions()
        assert sum("CBAD" in r.getMessage() for r in caplog.records) == 1
    finally:
        first.close()
        second.close()


def test_subscribing_again_with_a_valid_schedule_lifts_the_pause(store):
    subscribe(store, "CBAD")
    corrupt_subscription(store.engine, "CBAD", timezone="Mars/Olympus")
    assert store.subscriptions() == []
    store.workspace(WS).subscribe(
        channel_id="CBAD",
        schedule=GOOD,
        topics=(),
        subscribed_by="U2",
        now=T0 + timedelta(days=1),
    )
    (fixed,) = store.subscriptions()
    assert fixed.receiving and fixed.schedule == GOOD and fixed.paused_reason is None


def test_a_row_paused_for_another_reason_keeps_that_reason(store):
    subscribe(store, "CBAD")
    sub = store.workspace(WS).subscription("CBAD")
    store.pause(subscription_id=sub.id, reason="is_archived", now=T0)
    corrupt_subscription(store.engine, "CBAD", timezone="Mars/Olympus")
    bad = store.workspace(WS).subscription("CBAD")
    assert bad.paused_reason == "is_archived" and bad.schedule is None


def test_a_weekday_stored_as_text_on_sqlite_is_unreadable_too(tmp_path):
    from bot.store import open_store

    store = open_store(f"sqlite:///{tmp_path}/db.sqlite3")
    subscribe(store, "CBAD")
    corrupt_subscription(store.engine, "CBAD", weekday="monday")  # SQLite keeps the text
    assert store.subscriptions() == []
    assert "monday" in store.workspace(WS).subscription("CBAD").paused_reason
    store.close()
