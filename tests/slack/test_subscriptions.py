"""`/pmtip subscribe | unsubscribe | schedule | post-now | stats` end to end: signed
slash commands to the real app, Slack played by the stand-in, a real SQLite store."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.core.delivery_rules import EVENT_TYPE
from bot.core.owed import next_post
from bot.core.schedule import WeeklySchedule, slot_for_week_of
from bot.store import Vote
from bot.weekly.post_due import post_due
from tests.support.app_server import HttpReply, RunningApp
from tests.support.databases import corrupt_subscription
from tests.support.slack_validation import assert_no_broadcast, assert_valid_message
from tests.support.workspaces import WS

ADMIN = "UBOSS"  # in ADMIN_USER_IDS
WORKSPACE_ADMIN = "UOWNER"  # an admin according to users.info
MEMBER = "U123"
CHANNEL = "CTEAM"


@pytest.fixture
def app(running_app, slack_api, tmp_path) -> RunningApp:
    slack_api.users[ADMIN] = {"tz": "Europe/Berlin"}
    slack_api.users[WORKSPACE_ADMIN] = {"is_owner": True, "tz": "America/New_York"}
    slack_api.users[MEMBER] = {"tz": "Asia/Tokyo"}
    return running_app(DATABASE_URL=f"sqlite:///{tmp_path}/e2e.sqlite3", ADMIN_USER_IDS=ADMIN)


def reply_to(app: RunningApp, text: str, *, user: str = ADMIN, channel: str = CHANNEL) -> dict:
    """Send `/pmtip <text>` and return the one reply posted to its response_url."""
    reply: HttpReply = app.command(text, user_id=user, channel_id=channel)
    assert reply.status == 200, reply.body
    (message,) = app.responses(reply)
    assert message["response_type"] == "ephemeral"
    assert message["replace_original"] is False
    assert_valid_message(message)
    return message


def stored(app: RunningApp, channel: str = CHANNEL):
    return app.parts.store.workspace(WS).subscription(channel)


def date_token(message: dict[str, Any]) -> int:
    found = re.search(r"<!date\^(\d+)\^\{date_long_pretty\} at \{time\}\|([^>]+)>", message["text"])
    assert found, message["text"]
    return int(found.group(1))


# -- subscribe ----------------------------------------------------------------------------


def test_an_admin_subscribes_with_the_defaults_in_their_own_timezone(app, slack_api):
    message = reply_to(app, "subscribe")
    sub = stored(app)
    assert sub.schedule == WeeklySchedule(day=0, at=time(9, 0), timezone="Europe/Berlin")
    assert sub.subscribed_by == ADMIN and sub.receiving
    assert "every Monday at 09:00 (Europe/Berlin)" in message["text"]
    expected = next_post(
        sub.schedule,
        now=sub.active_since,
        active_since=sub.active_since,
        catchup_hours=12,
        ledger={},
    )
    assert date_token(message) == int(expected.instant.timestamp())
    local = expected.instant.astimezone(ZoneInfo("Europe/Berlin"))
    assert f"{local:%H:%M} {local.tzname()}" in message["text"]  # the channel's clock
    assert slack_api.calls("conversations.info")[0].params["channel"] == CHANNEL


def test_subscribe_takes_day_time_timezone_and_topics(app):
    message = reply_to(app, "subscribe fri 10:30 america/new_york topics:ai-failure,AI-FIT")
    sub = stored(app)
    assert sub.schedule == WeeklySchedule(day=4, at=time(10, 30), timezone="America/New_York")
    assert sub.topics == ("ai-failure", "ai-fit")
    assert "every Friday at 10:30 (America/New_York)" in message["text"]
    assert "`ai-failure`, `ai-fit`" in message["text"]


def test_the_settings_default_day_time_and_zone_apply(running_app, slack_api, tmp_path):
    slack_api.users["UNOZONE"] = {"tz": None}
    app = running_app(
        DATABASE_URL=f"sqlite:///{tmp_path}/d.sqlite3",
        ADMIN_USER_IDS="UNOZONE",
        WEEKLY_DAY="wednesday",
        WEEKLY_TIME="14:15",
        DEFAULT_TIMEZONE="Australia/Sydney",
    )
    reply_to(app, "subscribe", user="UNOZONE")
    assert stored(app).schedule == WeeklySchedule(2, time(14, 15), "Australia/Sydney")


def test_subscribing_again_changes_the_schedule_and_never_adds_a_second(app):
    reply_to(app, "subscribe mon 09:00 UTC")
    first = stored(app)
    message = reply_to(app, "subscribe thursday 16:00 Europe/Lisbon")
    second = stored(app)
    assert second.id == first.id
    assert second.schedule == WeeklySchedule(3, time(16, 0), "Europe/Lisbon")
    assert message["text"].startswith(":calendar: Updated")
    assert len(app.parts.store.subscriptions()) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("subscribe someday", "I don't understand `someday`"),
        ("subscribe 25:00", "`25:00` is not a time of day"),
        ("subscribe Mars/Olympus", "`Mars/Olympus` is not a timezone I know"),
        ("subscribe topics:", "`topics:` needs topic names"),
    ],
)
def test_a_bad_day_time_or_timezone_says_what_is_wrong_and_what_works(app, text, expected):
    reply = app.command(text, user_id=ADMIN, channel_id=CHANNEL)
    message = reply.json  # answered in the acknowledgement itself
    assert reply.status == 200 and expected in message["text"]
    assert "/pmtip subscribe [day] [HH:MM] [timezone]" in message["text"] or "topics:" in text
    assert_valid_message(message)
    assert stored(app) is None


def test_an_unknown_topic_lists_the_topics_that_exist(app):
    message = reply_to(app, "subscribe topics:ai-failure,<!channel>")
    assert "I don't know the topic(s)" in message["text"]
    assert "`ai-failure`" in message["text"]  # among the known ones
    assert_no_broadcast(message)
    assert stored(app) is None


def test_a_member_is_refused_politely_told_who_can_and_the_refusal_is_logged(app, caplog):
    with caplog.at_level(logging.WARNING, logger="bot.slack"):
        message = reply_to(app, "subscribe", user=MEMBER)
    assert "only admins can subscribe a channel" in message["text"]
    assert f"<@{ADMIN}> or a workspace admin" in message["text"]
    assert any(MEMBER in r.getMessage() and "refused" in r.getMessage() for r in caplog.records)
    assert stored(app) is None


def test_a_workspace_owner_may_subscribe_without_being_in_the_setting(app):
    reply_to(app, "subscribe", user=WORKSPACE_ADMIN)
    assert stored(app).schedule.timezone == "America/New_York"


def test_subscribe_is_open_to_everyone_when_the_setting_says_so(running_app, slack_api, tmp_path):
    slack_api.users[MEMBER] = {"tz": "Asia/Tokyo"}
    app = running_app(
        DATABASE_URL=f"sqlite:///{tmp_path}/o.sqlite3", SUBSCRIBE_REQUIRES_ADMIN="false"
    )
    reply_to(app, "subscribe", user=MEMBER)
    assert stored(app).schedule.timezone == "Asia/Tokyo"


# -- can the bot post there? ---------------------------------------------------------------


def test_a_private_channel_the_bot_is_not_in_gets_invite_instructions(app, slack_api):
    slack_api.fail("conversations.info", error="channel_not_found")  # how Slack hides it
    message = reply_to(app, "subscribe", channel="GSECRET")
    assert "/invite @pmtip" in message["text"]
    assert stored(app, "GSECRET") is None


def test_a_private_channel_that_reports_the_bot_outside_gets_invite_instructions(app, slack_api):
    slack_api.channels["GSECRET"] = {"is_private": True, "is_member": False}
    message = reply_to(app, "subscribe", channel="GSECRET")
    assert "/invite @pmtip" in message["text"]
    assert slack_api.calls("conversations.join") == []
    assert stored(app, "GSECRET") is None


def test_a_public_channel_the_bot_is_not_in_is_joined(app, slack_api):
    slack_api.channels["CPUBLIC"] = {"is_member": False}
    message = reply_to(app, "subscribe", channel="CPUBLIC")
    assert [c.params["channel"] for c in slack_api.calls("conversations.join")] == ["CPUBLIC"]
    assert "I joined the channel" in message["text"]
    assert stored(app, "CPUBLIC").receiving


def test_a_public_channel_the_bot_cannot_join_gets_invite_instructions(app, slack_api):
    slack_api.channels["CPUBLIC"] = {"is_member": False}
    slack_api.fail("conversations.join", error="missing_scope")
    message = reply_to(app, "subscribe", channel="CPUBLIC")
    assert "/invite @pmtip" in message["text"]
    assert stored(app, "CPUBLIC") is None


def test_an_archived_channel_is_refused(app, slack_api):
    slack_api.channels["COLD"] = {"is_archived": True}
    message = reply_to(app, "subscribe", channel="COLD")
    assert "archived" in message["text"] and stored(app, "COLD") is None


def test_a_direct_message_is_not_a_channel_to_subscribe(app, slack_api):
    message = reply_to(app, "subscribe", channel="D0123")
    assert "for channels" in message["text"] and stored(app, "D0123") is None


# -- unsubscribe and schedule -------------------------------------------------------------------


def test_unsubscribe_ends_it_and_schedule_then_says_there_is_none(app):
    reply_to(app, "subscribe")
    assert "Unsubscribed" in reply_to(app, "unsubscribe")["text"]
    assert not stored(app).active
    assert "no weekly insight" in reply_to(app, "schedule", user=MEMBER)["text"]
    assert "no weekly insight" in reply_to(app, "unsubscribe")["text"]


def test_a_member_cannot_unsubscribe(app):
    reply_to(app, "subscribe")
    message = reply_to(app, "unsubscribe", user=MEMBER)
    assert "only admins can unsubscribe a channel" in message["text"]
    assert stored(app).active


def test_anyone_can_see_the_schedule_with_the_exact_next_post(app):
    reply_to(app, "subscribe tue 08:45 Europe/Berlin")
    message = reply_to(app, "schedule", user=MEMBER)
    sub = stored(app)
    assert "every Tuesday at 08:45 (Europe/Berlin)" in message["text"]
    now = datetime.now(UTC)
    expected = next_post(
        sub.schedule, now=now, active_since=sub.active_since, catchup_hours=12, ledger={}
    )
    assert date_token(message) == int(expected.instant.timestamp())


def test_schedule_shows_a_pause_and_how_to_fix_it(app):
    reply_to(app, "subscribe")
    app.parts.store.pause(
        subscription_id=stored(app).id, reason="not_in_channel", now=datetime.now(UTC)
    )
    message = reply_to(app, "schedule", user=MEMBER)
    assert "Paused" in message["text"] and "not_in_channel" in message["text"]
    assert "/invite @pmtip" in message["text"]
    reply_to(app, "subscribe")  # subscribing again lifts the pause
    assert "Paused" not in reply_to(app, "schedule")["text"]


# -- post-now and stats -------------------------------------------------------------------------


def weekly_posts(slack_api, channel: str = CHANNEL) -> list[dict[str, Any]]:
    return [
        m
        for m in slack_api.posted(channel)
        if m.get("metadata", {}).get("event_type") == EVENT_TYPE
    ]


def test_post_now_posts_the_channels_next_insight_and_counts_as_this_week(app, slack_api):
    reply_to(app, "subscribe")
    message = reply_to(app, "post-now")
    assert "Posted this week's insight" in message["text"]
    (post,) = weekly_posts(slack_api)
    call = slack_api.calls("chat.postMessage")[0]
    assert_valid_message({"text": call.params["text"], "blocks": call.params["blocks"]})
    assert post["metadata"]["event_payload"]["subscription_id"] == stored(app).id
    again = reply_to(app, "post-now")
    assert "already posted" in again["text"]
    assert len(weekly_posts(slack_api)) == 1


def test_post_now_by_a_member_is_refused_and_logged(app, slack_api, caplog):
    reply_to(app, "subscribe")
    with caplog.at_level(logging.WARNING, logger="bot.slack"):
        message = reply_to(app, "post-now", user=MEMBER)
    assert "only admins can post now" in message["text"]
    assert any(MEMBER in r.getMessage() for r in caplog.records)
    assert weekly_posts(slack_api) == []


def test_post_now_in_a_channel_without_a_subscription_says_how_to_start(app, slack_api):
    assert "/pmtip subscribe" in reply_to(app, "post-now")["text"]
    assert slack_api.calls("chat.postMessage") == []


def test_post_now_into_a_channel_slack_refuses_pauses_it_and_explains(app, slack_api):
    reply_to(app, "subscribe")
    slack_api.fail("chat.postMessage", error="is_archived")
    message = reply_to(app, "post-now")
    assert "Nothing posted" in message["text"] and "is_archived" in message["text"]
    assert stored(app).paused_reason == "is_archived"
    # paused now: no post is promised, and the fix is given instead
    assert "Next post" not in message["text"] and "Unarchive it" in message["text"]


def test_stats_show_deliveries_and_votes_most_useful_first(app, slack_api):
    reply_to(app, "subscribe")
    reply_to(app, "post-now")
    posted_tip = weekly_posts(slack_api)[0]["blocks"][-1]["elements"][0]["value"]
    store = app.parts.store
    now = datetime.now(UTC)
    for user in ("UA", "UB"):
        store.workspace(WS).record_vote(
            user_id=user, tip_id=posted_tip, vote=Vote.USEFUL, channel_id=CHANNEL, now=now
        )
    other = next(t.id for t in app.parts.catalogue.current().tips if t.id != posted_tip)
    store.workspace(WS).record_vote(
        user_id="UA", tip_id=other, vote=Vote.NOT_FOR_ME, channel_id=CHANNEL, now=now
    )

    message = reply_to(app, "stats")
    text = "\n".join(b["text"]["text"] for b in message["blocks"] if b["type"] == "section")
    most = text.split("*Most useful*")[1].split("*Least useful*")[0]
    least = text.split("*Least useful*")[1]
    assert f"`{posted_tip}`" in most and "posted 1 · :thumbsup: 2 · not for me 0" in most
    assert f"`{other}`" in least.split("*Every tip*")[0]
    tips = len(app.parts.catalogue.current().tips)
    assert f"{tips} tips · 1 weekly posts · 3 votes" in text
    assert len(message["blocks"]) <= 50


def test_stats_are_for_admins_only(app, caplog):
    with caplog.at_level(logging.WARNING, logger="bot.slack"):
        message = reply_to(app, "stats", user=MEMBER)
    assert "only admins can see the stats" in message["text"]
    assert any(MEMBER in r.getMessage() for r in caplog.records)


def test_the_bot_posts_in_a_public_channel_it_joined_without_chat_write_public(app, slack_api):
    slack_api.channels["CPUBLIC"] = {"is_member": False}
    assert "chat:write.public" not in slack_api.scopes  # as installed from manifest.yml
    reply_to(app, "subscribe", channel="CPUBLIC")
    reply_to(app, "post-now", channel="CPUBLIC")
    assert len(slack_api.posted("CPUBLIC")) == 1


def later_this_week() -> str:
    """A `day HH:MM zone` whose slot this (local ISO) week is still to come."""
    for zone in ("UTC", "Pacific/Pago_Pago"):  # Pago Pago is 11 hours behind UTC
        local = datetime.now(ZoneInfo(zone))
        if (local.weekday(), local.hour) < (6, 23):
            return f"sunday 23:59 {zone}"
    raise AssertionError("unreachable: Pago Pago is at most Sunday 13:00 when UTC is 23:00")


def test_after_a_refused_post_now_and_a_re_subscribe_the_promised_post_is_made(app, slack_api):
    schedule = later_this_week()
    reply_to(app, f"subscribe {schedule}")
    slack_api.fail("chat.postMessage", error="not_in_channel")
    assert "not_in_channel" in reply_to(app, "post-now")["text"]  # the week's row: failed
    assert stored(app).paused_reason == "not_in_channel"
    reply_to(app, f"subscribe {schedule}")  # invited back: subscribing again lifts the pause

    promised = date_token(reply_to(app, "schedule", user=MEMBER))
    this_week = slot_for_week_of(stored(app).schedule, datetime.now(UTC))
    assert promised == int(this_week.instant.timestamp())  # this week is owed again

    report = post_due(
        store=app.parts.store,
        client=app.parts.posting_client,
        catalogue=app.parts.catalogue.current(),
        now=datetime.fromtimestamp(promised, UTC),
        catchup_hours=app.parts.settings.catchup_hours,
    )
    assert [o.channel_id for o in report.posted] == [CHANNEL]  # the promise is kept
    assert len(weekly_posts(slack_api)) == 1
    assert date_token(reply_to(app, "schedule", user=MEMBER)) > promised  # next week's, now


# -- a stored schedule that can no longer be used ------------------------------------------


def test_schedule_shows_an_unreadable_timezone_as_a_pause_with_its_fix(app):
    reply_to(app, "subscribe")
    corrupt_subscription(app.parts.store.engine, CHANNEL, timezone="Mars/Olympus")

    message = reply_to(app, "schedule", user=MEMBER)

    assert "Paused" in message["text"] and "Mars/Olympus" in message["text"]
    assert "/pmtip subscribe" in message["text"] and "valid timezone" in message["text"]
    assert "Next post" not in message["text"]
    refused = reply_to(app, "post-now")
    assert "Paused" in refused["text"] and "Mars/Olympus" in refused["text"]

    updated = reply_to(app, "subscribe tue 08:45 Europe/Berlin")  # the fix
    assert "Updated" in updated["text"] and "Next post" in updated["text"]
    assert stored(app).receiving
    assert "Paused" not in reply_to(app, "schedule", user=MEMBER)["text"]


def test_an_unreadable_weekday_or_time_is_explained_too(app):
    reply_to(app, "subscribe")
    corrupt_subscription(app.parts.store.engine, CHANNEL, weekday=9, post_time="25:99")
    message = reply_to(app, "schedule", user=MEMBER)
    assert "Paused" in message["text"] and "/pmtip subscribe" in message["text"]
