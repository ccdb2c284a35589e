"""The store on SQLite and PostgreSQL: subscriptions, the ledger's exclusivity,
rotation state, votes, and what survives a restart."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest

from bot.core.schedule import WeeklySchedule
from bot.store import DeliveryState, StoreUnavailable, Vote, open_store
from bot.store.sql import SqlStore
from bot.store.urls import database_url, safe_url
from tests.support.workspaces import WS

T0 = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
MONDAY_9 = WeeklySchedule(day=0, at=time(9, 0), timezone="America/New_York")
FRIDAY_1030 = WeeklySchedule(day=4, at=time(10, 30), timezone="Europe/Berlin")


def subscribe(store: SqlStore, channel: str = "C1", **overrides):
    values = {
        "channel_id": channel,
        "schedule": MONDAY_9,
        "topics": (),
        "subscribed_by": "U1",
        "now": T0,
    } | overrides
    return store.workspace(WS).subscribe(**values)


def claim(
    store: SqlStore,
    sub_id: int,
    *,
    key: str = "2026-W02",
    tip: str = "tip-a",
    round: int = 0,
    token: str | None = None,
    now: datetime = T0,
) -> str | None:
    token = token or uuid.uuid4().hex
    taken = store.claim(
        subscription_id=sub_id,
        slot_key=key,
        slot_at=T0,
        tip_id=tip,
        round=round,
        token=token,
        now=now,
    )
    return token if taken else None


# -- subscriptions -------------------------------------------------------------------


def test_subscribing_again_updates_the_one_subscription(store):
    first = subscribe(store, topics=("ai-fit",))
    later = T0 + timedelta(days=1)
    second = subscribe(store, schedule=FRIDAY_1030, subscribed_by="U2", now=later)
    assert second.id == first.id
    assert second.schedule == FRIDAY_1030
    assert second.topics == ()
    assert second.subscribed_by == "U2"
    assert second.active_since == later
    assert second.rotation_seed == first.rotation_seed  # the rotation carries on
    assert [s.channel_id for s in store.subscriptions()] == ["C1"]


def test_unsubscribe_ends_it_and_subscribing_again_restores_it(store):
    sub = subscribe(store)
    assert store.workspace(WS).unsubscribe(channel_id="C1", now=T0) is True
    assert store.workspace(WS).unsubscribe(channel_id="C1", now=T0) is False
    assert store.subscriptions() == []
    assert store.workspace(WS).subscription("C1").active is False
    again = subscribe(store)
    assert again.id == sub.id and again.active


def test_unsubscribing_an_unknown_channel_says_so(store):
    assert store.workspace(WS).unsubscribe(channel_id="CNONE", now=T0) is False
    assert store.workspace(WS).subscription("CNONE") is None


def test_a_paused_subscription_is_not_receiving_until_subscribed_again(store):
    sub = subscribe(store)
    store.pause(subscription_id=sub.id, reason="is_archived", now=T0)
    assert store.subscriptions() == []
    assert store.workspace(WS).subscription("C1").paused_reason == "is_archived"
    assert [s.id for s in store.subscriptions(receiving_only=False)] == [sub.id]
    assert subscribe(store).paused_reason is None


def test_instants_come_back_aware_and_in_utc(store):
    berlin_noon = datetime.fromisoformat("2026-01-05T12:00:00+01:00")
    sub = subscribe(store, now=berlin_noon)
    assert sub.active_since == berlin_noon
    assert sub.active_since.tzinfo == UTC


def test_naive_instants_are_refused(store):
    with pytest.raises(ValueError, match="timezone-aware"):
        subscribe(store, now=datetime(2026, 1, 5, 12, 0))


# -- the ledger ------------------------------------------------------------------------


def test_a_slot_can_be_claimed_once(store):
    sub = subscribe(store)
    assert claim(store, sub.id) is not None
    assert claim(store, sub.id) is None
    (row,) = store.deliveries(subscription_id=sub.id)
    assert row.state is DeliveryState.CLAIMED


def test_claims_racing_on_threads_have_one_winner(store):
    sub = subscribe(store)
    barrier = threading.Barrier(12)
    winners: list[str] = []

    def contend() -> None:
        barrier.wait()
        if token := claim(store, sub.id):
            winners.append(token)

    threads = [threading.Thread(target=contend) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    (row,) = store.deliveries(subscription_id=sub.id)
    assert row.claim_token == winners[0]


def test_only_the_claim_holder_can_settle_the_slot(store):
    sub = subscribe(store)
    token = claim(store, sub.id)
    args = {"subscription_id": sub.id, "slot_key": "2026-W02"}
    assert not store.mark_posted(**args, token="someone-else", message_ts="1.1", now=T0)
    assert not store.release(**args, token="someone-else")
    assert store.mark_posted(**args, token=token, message_ts="1.2", now=T0)
    assert not store.release(**args, token=token)  # posted is final
    (row,) = store.deliveries(keys=[(sub.id, "2026-W02")])
    assert (row.state, row.message_ts) == (DeliveryState.POSTED, "1.2")


def test_a_released_slot_can_be_claimed_again(store):
    sub = subscribe(store)
    token = claim(store, sub.id)
    assert store.release(subscription_id=sub.id, slot_key="2026-W02", token=token)
    assert store.deliveries(subscription_id=sub.id) == []
    assert claim(store, sub.id) is not None


def test_reclaiming_a_stale_claim_is_a_compare_and_swap(store):
    sub = subscribe(store)
    old = claim(store, sub.id)
    later = T0 + timedelta(minutes=30)
    args = {"subscription_id": sub.id, "slot_key": "2026-W02", "old_token": old, "now": later}
    assert store.reclaim(**args, new_token="first")
    assert not store.reclaim(**args, new_token="second")
    (row,) = store.deliveries(subscription_id=sub.id)
    assert (row.claim_token, row.claimed_at) == ("first", later)
    # the dead process's token no longer settles anything
    assert not store.mark_posted(
        subscription_id=sub.id, slot_key="2026-W02", token=old, message_ts="9.9", now=later
    )


def test_stale_claims_are_the_unsettled_ones_older_than_the_instant(store):
    sub = subscribe(store)
    claim(store, sub.id, key="2026-W01", now=T0 - timedelta(hours=1))
    claim(store, sub.id, key="2026-W02", now=T0)
    settled = claim(store, sub.id, key="2025-W50", now=T0 - timedelta(days=20))
    store.mark_posted(
        subscription_id=sub.id, slot_key="2025-W50", token=settled, message_ts="1.0", now=T0
    )
    stale = store.stale_claims(claimed_before=T0 - timedelta(minutes=10))
    assert [d.slot_key for d in stale] == ["2026-W01"]


def test_a_skip_never_overwrites_a_claim_and_is_recorded_once(store):
    sub = subscribe(store)
    claim(store, sub.id)
    args = {"subscription_id": sub.id, "slot_at": T0, "reason": "too late", "now": T0}
    assert not store.record_skipped(slot_key="2026-W02", **args)
    assert store.record_skipped(slot_key="2026-W03", **args)
    assert not store.record_skipped(slot_key="2026-W03", **args)
    states = {d.slot_key: d.state for d in store.deliveries(subscription_id=sub.id)}
    assert states == {"2026-W02": DeliveryState.CLAIMED, "2026-W03": DeliveryState.SKIPPED}


def test_post_now_may_take_a_skipped_or_failed_slot_but_never_a_posted_one(store):
    sub = subscribe(store)
    store.record_skipped(
        subscription_id=sub.id, slot_key="2026-W02", slot_at=T0, reason="too late", now=T0
    )
    assert claim(store, sub.id) is None
    taken = store.claim(
        subscription_id=sub.id,
        slot_key="2026-W02",
        slot_at=T0,
        tip_id="tip-b",
        round=0,
        token="admin",
        now=T0,
        replace_settled=True,
    )
    assert taken
    store.mark_posted(
        subscription_id=sub.id, slot_key="2026-W02", token="admin", message_ts="3.3", now=T0
    )
    assert not store.claim(
        subscription_id=sub.id,
        slot_key="2026-W02",
        slot_at=T0,
        tip_id="tip-c",
        round=0,
        token="again",
        now=T0,
        replace_settled=True,
    )


def test_deliveries_by_keys_returns_only_those_slots(store):
    one, two = subscribe(store, "C1"), subscribe(store, "C2")
    claim(store, one.id, key="2026-W02")
    claim(store, two.id, key="2026-W02")
    claim(store, two.id, key="2026-W03")
    found = store.deliveries(keys=[(two.id, "2026-W02"), (one.id, "2026-W09")])
    assert [(d.subscription_id, d.slot_key) for d in found] == [(two.id, "2026-W02")]
    assert store.deliveries(keys=[]) == []


def test_deliveries_by_keys_takes_the_keys_of_a_fan_out_to_thousands_of_channels(store):
    # 12,000 keys in one IN list exceeded PostgreSQL's stack depth: the store reads
    # them in slices, and finds rows in every slice.
    one, two = subscribe(store, "C1"), subscribe(store, "C2")
    claim(store, one.id, key="2026-W02")
    claim(store, two.id, key="2026-W02")
    keys = [(one.id + 1000 + n, "2026-W02") for n in range(12_000)]
    keys[0], keys[-1] = (one.id, "2026-W02"), (two.id, "2026-W02")
    found = store.deliveries(keys=keys)
    assert sorted(d.subscription_id for d in found) == sorted([one.id, two.id])


# -- rotation state ---------------------------------------------------------------------


def test_rotation_position_counts_claimed_and_posted_tips_of_the_round(store):
    sub = subscribe(store)
    posted = claim(store, sub.id, key="2026-W01", tip="tip-a", now=T0 - timedelta(days=7))
    store.mark_posted(
        subscription_id=sub.id, slot_key="2026-W01", token=posted, message_ts="1.0", now=T0
    )
    claim(store, sub.id, key="2026-W02", tip="tip-b")
    released = claim(store, sub.id, key="2026-W03", tip="tip-c", now=T0 + timedelta(days=7))
    store.release(subscription_id=sub.id, slot_key="2026-W03", token=released)
    position = store.rotation_position(sub.id)
    assert position.round == 0
    assert position.delivered_this_round == {"tip-a", "tip-b"}
    assert position.previous == "tip-b"
    assert position.seed == sub.rotation_seed


def test_a_claim_in_a_new_round_moves_the_round_on(store):
    sub = subscribe(store)
    claim(store, sub.id, key="2026-W01", tip="tip-a", round=0, now=T0 - timedelta(days=7))
    claim(store, sub.id, key="2026-W02", tip="tip-a", round=1)
    position = store.rotation_position(sub.id)
    assert position.round == 1
    assert position.delivered_this_round == {"tip-a"}


def test_everything_survives_a_restart(database_url):
    first = open_store(database_url)
    sub = subscribe(first, topics=("ai-fit",))
    token = claim(first, sub.id)
    first.mark_posted(
        subscription_id=sub.id, slot_key="2026-W02", token=token, message_ts="5.5", now=T0
    )
    first.workspace(WS).record_vote(
        user_id="U9", tip_id="tip-a", vote=Vote.USEFUL, channel_id="C1", now=T0
    )
    first.close()

    second = open_store(database_url)
    try:
        assert second.workspace(WS).subscription("C1") == sub
        assert second.rotation_position(sub.id).delivered_this_round == {"tip-a"}
        (stats,) = second.workspace(WS).tip_stats()
        assert (stats.tip_id, stats.deliveries, stats.useful) == ("tip-a", 1, 1)
    finally:
        second.close()


# -- votes and stats ----------------------------------------------------------------------


def test_one_vote_per_person_per_tip_and_it_can_change(store):
    vote = {"tip_id": "tip-a", "channel_id": "C1", "now": T0}
    assert store.workspace(WS).record_vote(user_id="U1", vote=Vote.USEFUL, **vote) is None
    assert store.workspace(WS).record_vote(user_id="U1", vote=Vote.USEFUL, **vote) is Vote.USEFUL
    assert (
        store.workspace(WS).record_vote(user_id="U1", vote=Vote.NOT_FOR_ME, **vote) is Vote.USEFUL
    )
    assert store.workspace(WS).record_vote(user_id="U2", vote=Vote.USEFUL, **vote) is None
    (stats,) = store.workspace(WS).tip_stats()
    assert (stats.useful, stats.not_for_me, stats.deliveries) == (1, 1, 0)


def test_stats_count_only_posted_deliveries(store):
    sub = subscribe(store)
    posted = claim(store, sub.id, key="2026-W01", tip="tip-a")
    store.mark_posted(
        subscription_id=sub.id, slot_key="2026-W01", token=posted, message_ts="1", now=T0
    )
    claim(store, sub.id, key="2026-W02", tip="tip-b")  # still claimed
    failed = claim(store, sub.id, key="2026-W03", tip="tip-c")
    store.mark_failed(
        subscription_id=sub.id, slot_key="2026-W03", token=failed, reason="is_archived", now=T0
    )
    assert [(s.tip_id, s.deliveries) for s in store.workspace(WS).tip_stats()] == [("tip-a", 1)]


# -- opening the database ---------------------------------------------------------------------


def test_database_url_defaults_to_a_sqlite_file_under_data():
    assert database_url(None) == "sqlite:///data/pmtip.sqlite3"
    assert database_url("") == "sqlite:///data/pmtip.sqlite3"


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_heroku_and_plain_postgres_urls_use_psycopg_3(scheme):
    assert database_url(f"{scheme}://u:p@db.example:5432/app") == (
        "postgresql+psycopg://u:p@db.example:5432/app"
    )


@pytest.mark.parametrize(
    "url",
    [
        "postgres://app:hunter2@db.example:abc/app",
        "postgres://app:hunter2@db.example:70000/app",
        "postgresql+psycopg2://app:hunter2@db.example/app",
        "mysql://app:hunter2@db.example/app",
    ],
)
def test_a_database_url_pmtip_cannot_use_is_refused_before_connecting(url):
    with pytest.raises(StoreUnavailable) as refused:
        open_store(url)
    assert "DATABASE_URL" in str(refused.value) and "hunter2" not in str(refused.value)


def test_safe_url_hides_the_password():
    masked = safe_url("postgresql+psycopg://app:hunter2@db.example/app")
    assert "hunter2" not in masked and "app:***@db.example" in masked


def test_the_sqlite_folder_is_created_on_first_start(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/new/folder/pmtip.sqlite3")
    try:
        assert (tmp_path / "new" / "folder" / "pmtip.sqlite3").exists()
    finally:
        store.close()


def test_an_unreachable_database_is_one_clear_error_without_the_password():
    with pytest.raises(StoreUnavailable) as raised:
        open_store("postgresql://pmtip:s3cret-pw@127.0.0.1:9/pmtip")
    message = str(raised.value)
    assert "127.0.0.1:9" in message
    assert "s3cret-pw" not in message


def test_a_file_that_is_not_a_database_is_one_clear_error(tmp_path):
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreUnavailable, match=r"junk\.sqlite3"):
        open_store(f"sqlite:///{junk}")


# -- tip ids of any length the tips file allows ---------------------------------------


def test_a_tip_id_of_the_longest_length_the_tips_file_allows_is_kept_whole(store):
    from bot.core.catalogue import TIP_ID_MAX

    longest = "t" * TIP_ID_MAX
    sub = subscribe(store)
    token = claim(store, sub.id, tip=longest)
    assert token is not None
    assert store.rotation_position(sub.id).previous == longest
    assert store.mark_posted(
        subscription_id=sub.id, slot_key="2026-W02", token=token, message_ts="1.1", now=T0
    )
    store.workspace(WS).record_vote(
        user_id="U1", tip_id=longest, vote=Vote.USEFUL, channel_id="C1", now=T0
    )
    (stats,) = store.workspace(WS).tip_stats()
    assert (stats.tip_id, stats.deliveries, stats.useful) == (longest, 1, 1)
    (row,) = store.deliveries(subscription_id=sub.id)
    assert row.tip_id == longest
