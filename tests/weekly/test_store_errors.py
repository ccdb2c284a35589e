"""The store failing while a week is claimed never leaves a channel silently without
its post: the run reports the week as left for later, `post-due` exits 1 and says
so, and the next run posts it. And a tip with the longest id the tips file allows
is posted and recorded whole. On SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import text

from bot.core.catalogue import TIP_ID_MAX, Catalogue
from bot.store import DeliveryState
from bot.store.sql import SqlStore
from tests.weekly.helpers import (
    CATALOGUE,
    MONDAY_SLOT,
    assert_ledger_agrees_with_slack,
    assert_weekly_message_is_valid,
    run,
    subscribe_all,
    weekly_posts,
)
from tests.weekly.test_races import bot_env
from tests.weekly.test_ticker import post_due

REFUSAL = "disk quota exceeded"


def refuse_inserts_into_the_ledger(store: SqlStore) -> None:
    """A real database error on every new ledger row (as a full disk would give)."""
    with store.engine.begin() as connection:
        if store.engine.dialect.name == "postgresql":
            connection.execute(
                text(
                    "CREATE FUNCTION refuse_claims() RETURNS trigger LANGUAGE plpgsql AS "
                    f"$$ BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$"
                )
            )
            connection.execute(
                text(
                    "CREATE TRIGGER refuse_claims BEFORE INSERT ON deliveries "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_claims()"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE TRIGGER refuse_claims BEFORE INSERT ON deliveries "
                    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
                )
            )


def drop_trigger_sql(store: SqlStore) -> str:
    if store.engine.dialect.name == "postgresql":
        return "DROP TRIGGER refuse_claims ON deliveries"
    return "DROP TRIGGER refuse_claims"


def stop_refusing(store: SqlStore) -> None:
    with store.engine.begin() as connection:
        connection.execute(text(drop_trigger_sql(store)))


def test_a_store_error_while_claiming_is_left_for_later_and_the_next_run_posts(
    store, client, slack_api
):
    (sub,) = subscribe_all(store, ["C1"])
    refuse_inserts_into_the_ledger(store)

    refused = run(store, client, MONDAY_SLOT)

    assert refused.posted == [] and slack_api.calls("chat.postMessage") == []
    (left,) = refused.failed
    assert (left.channel_id, left.slot_key) == ("C1", "2026-W02")
    assert left.detail.startswith("database error") and REFUSAL in left.detail
    assert store.deliveries(subscription_id=sub.id) == []  # nothing half-claimed

    stop_refusing(store)
    retried = run(store, client, MONDAY_SLOT.replace(minute=1))
    assert len(retried.posted) == 1 and len(weekly_posts(slack_api, "C1")) == 1
    assert_ledger_agrees_with_slack(store, slack_api)


def test_post_due_exits_1_and_says_what_was_left_when_the_store_refuses_a_claim(
    database_url, store, slack_api, tmp_path
):
    subscribe_all(store, ["C1"])
    refuse_inserts_into_the_ledger(store)
    env = bot_env(slack_api, database_url)

    refused = post_due(env, tmp_path, "--at", MONDAY_SLOT.isoformat())

    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "Traceback" not in refused.stderr
    assert "left for later: C1 2026-W02 (database error" in refused.stdout
    assert "left for later 1" in refused.stdout
    stop_refusing(store)
    again = post_due(env, tmp_path, "--at", MONDAY_SLOT.isoformat())
    assert again.returncode == 0, again.stdout + again.stderr
    assert "posted: C1 2026-W02" in again.stdout


def test_a_tip_with_the_longest_id_allowed_is_posted_and_recorded_whole(store, client, slack_api):
    longest = "l" * TIP_ID_MAX
    tip = replace(CATALOGUE.tips[0], id=longest)
    (sub,) = subscribe_all(store, ["C1"])

    report = run(
        store, client, MONDAY_SLOT, catalogue=Catalogue(topics=CATALOGUE.topics, tips=(tip,))
    )

    assert [o.tip_id for o in report.posted] == [longest], report.failed
    (call,) = slack_api.calls("chat.postMessage")
    assert_weekly_message_is_valid(call.params)
    values = {
        e["value"] for b in call.params["blocks"] if b["type"] == "actions" for e in b["elements"]
    }
    assert values == {longest}
    (row,) = store.deliveries(subscription_id=sub.id)
    assert (row.state, row.tip_id) == (DeliveryState.POSTED, longest)
