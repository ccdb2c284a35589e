"""The handlers and listeners read the time from the wiring's clock (`build_parts(now=)`),
never from the system clock: the playground moves its clock, and /pmtip subscribe,
schedule and the Home tab must agree with post_due run at that time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.support.app_server import RunningApp
from tests.support.signing import JSON, event_body
from tests.support.workspaces import WS

ADMIN = "UBOSS"
CHANNEL = "CTEAM"
FAR_FUTURE = datetime(2031, 3, 5, 10, 0, tzinfo=UTC)  # a Wednesday, years from today


@pytest.fixture
def app(slack_api) -> Iterator[RunningApp]:
    slack_api.users[ADMIN] = {"tz": "UTC"}
    with RunningApp(slack_api, env={"ADMIN_USER_IDS": ADMIN}, now=lambda: FAR_FUTURE) as started:
        yield started


def reply_text(app: RunningApp, text: str) -> str:
    (message,) = app.responses(app.command(text, user_id=ADMIN, channel_id=CHANNEL))
    return message["text"]


def test_subscribe_and_schedule_count_from_the_wiring_clock(app):
    subscribed = reply_text(app, "subscribe monday 09:00")
    assert "Monday 10 March 2031, 09:00 UTC" in subscribed  # the Monday after FAR_FUTURE
    assert app.parts.store.workspace(WS).subscription(CHANNEL).active_since == FAR_FUTURE
    schedule = reply_text(app, "schedule")
    assert re.search(r"Next post: \*Monday 10 March 2031, 09:00 UTC\*", schedule)


def test_the_home_tab_shows_next_posts_from_the_wiring_clock(app, slack_api):
    slack_api.channels[CHANNEL] = {"is_member": True}
    reply_text(app, "subscribe monday 09:00")
    event = {"type": "app_home_opened", "user": ADMIN, "channel": "D1", "tab": "home"}
    assert app.post_signed(event_body(event), content_type=JSON).status == 200
    (call,) = slack_api.wait_for("views.publish")
    monday = int(datetime(2031, 3, 10, 9, 0, tzinfo=UTC).timestamp())  # after FAR_FUTURE
    assert f"<!date^{monday}^" in str(call.params["view"])
