"""Two clock processes at once: a 429 heard by one holds the workspace for both,
because Slack's limits are per workspace (the hold is kept in the store)."""

from __future__ import annotations

import threading
from dataclasses import replace

from bot.store import open_store
from tests.weekly.helpers import FAST, MONDAY_SLOT, run, subscribe_all, weekly_posts

HEARD = 0.1  # a post already on its way when the 429 was answered is fair


def test_a_429_heard_by_one_clock_holds_the_workspace_for_the_other(
    database_url, store, client, slack_api
):
    channels = [f"C{n}" for n in range(12)]
    subscribe_all(store, channels)
    slack_api.latency = 0.05  # both clocks are still posting when the 429 comes
    slack_api.fail("chat.postMessage", status=429, retry_after=1, times=1)
    second = open_store(database_url)
    policy = replace(FAST, workers=1)
    try:
        other = threading.Thread(
            target=run, args=(second, client, MONDAY_SLOT), kwargs={"policy": policy}
        )
        other.start()
        run(store, client, MONDAY_SLOT, policy=policy)
        other.join(30)
    finally:
        second.close()

    posts = slack_api.calls("chat.postMessage")
    limited = [call for call in posts if call.status == 429]
    assert len(limited) == 1
    during = [
        call for call in posts if limited[0].at + HEARD < call.at < limited[0].at + 1.0 - HEARD
    ]
    assert during == [], "a clock posted to the workspace while it was held"
    assert all(len(weekly_posts(slack_api, channel)) == 1 for channel in channels)
