"""The database unreachable at start, and lost while running.

At start, every way of running pmtip that needs the database stops with one
clear line (the password masked) and exit status 2. While running, the web
process keeps answering what needs no database, says sorry for what does, and
works again once the database is back; the clock process logs each failed
tick, keeps ticking, and posts what is due once the database returns. The
PostgreSQL cases go through a proxy on 127.0.0.1 that the test stops and
starts again."""

from __future__ import annotations

import socket
import tempfile

import pytest
from sqlalchemy.engine import make_url

from bot.store import DeliveryState, open_store
from tests.faults.processes import bot_env, due_a_few_minutes_ago, start_bot, wait_until
from tests.faults.proxy import TcpProxy
from tests.support.app_server import RunningApp
from tests.support.slack_validation import assert_valid_message
from tests.support.workspaces import WS
from tests.weekly.helpers import subscribe_all, weekly_posts

PASSWORD = "s3cret-db-password"


def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening (bound, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def through(proxy: TcpProxy, database_url: str) -> str:
    """The same database, reached through the proxy."""
    url = make_url(database_url).set(host="127.0.0.1", port=proxy.port)
    return url.render_as_string(hide_password=False)


# -- unreachable at start -------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "extra"),
    [
        (["http"], {}),
        (["clock"], {}),
        (["post-due"], {}),
        (["socket", "--no-scheduler"], {"SLACK_APP_TOKEN": "xapp-1-faults"}),
    ],
    ids=["http", "clock", "post-due", "socket"],
)
@pytest.mark.parametrize(
    "unreachable_url",
    [
        f"postgres://pmtip:{PASSWORD}@127.0.0.1:{closed_port()}/pmtip",
        "sqlite:////proc/no-such-dir/pmtip.sqlite3",
    ],
    ids=["postgresql refused", "sqlite path impossible"],
)
def test_the_database_unreachable_at_start_stops_with_one_clear_line_and_exit_2(
    slack_api, tmp_path, mode, extra, unreachable_url
):
    env = bot_env(slack_api.base_url, unreachable_url, PORT=str(closed_port()), **extra)
    with tempfile.TemporaryFile() as log:
        process = start_bot(mode, env, cwd=tmp_path, log=log)
        try:
            assert process.finish(timeout=60) == 2
            output = process.output()
        finally:
            process.close()
    assert "pmtip cannot start: cannot use the database at " in output
    assert "Traceback" not in output
    assert PASSWORD not in output
    assert "xoxb-" not in output
    assert slack_api.calls("chat.postMessage") == []


# -- lost while the web process runs -------------------------------------------------------


@pytest.fixture
def postgres_proxy(fresh_postgres: str):
    url = make_url(fresh_postgres)
    with TcpProxy(url.port or 5432, upstream_host=url.host or "127.0.0.1") as proxy:
        yield proxy, through(proxy, fresh_postgres)


def test_the_web_process_keeps_answering_lookups_while_the_database_is_lost(
    running_app, slack_api, postgres_proxy
):
    proxy, url = postgres_proxy
    app: RunningApp = running_app(DATABASE_URL=url, ADMIN_USER_IDS="UADMIN")
    subscribed = app.command("subscribe mon 09:00 UTC", user_id="UADMIN")
    assert "Subscribed" in app.responses(subscribed)[0]["text"]

    proxy.stop()  # the database goes away, live connections and all

    lookup = app.command("ai-failure")
    assert lookup.status == 200
    assert_valid_message(lookup.json)
    assert lookup.json["blocks"][0]["type"] == "header"  # a tip, not an apology
    for text in ("help", "topics", "search moat"):
        assert app.command(text).status == 200
    click = app.action("pmtip_show", app.parts.catalogue.current().tips[0].id)
    assert click.status == 200 and app.responses(click)

    schedule = app.command("schedule")
    assert schedule.status == 200  # acknowledged at once; the database is asked after
    (sorry,) = app.responses(schedule)
    assert_valid_message(sorry)
    assert "went wrong" in sorry["text"] and "Traceback" not in sorry["text"]

    proxy.start()  # back, on the same port
    schedule = app.command("schedule")
    (answer,) = app.responses(schedule)
    assert "went wrong" not in answer["text"]
    assert "Monday" in answer["text"] or "monday" in answer["text"].lower()


# -- lost while the clock runs -----------------------------------------------------------


def test_the_clock_keeps_ticking_while_the_database_is_lost_and_posts_when_it_returns(
    slack_api, postgres_proxy, fresh_postgres, tmp_path
):
    proxy, url = postgres_proxy
    direct = open_store(fresh_postgres)  # the test's own way in, past the proxy
    env = bot_env(slack_api.base_url, url, TICK_SECONDS="1")
    with tempfile.TemporaryFile() as log:
        clock = start_bot(["clock"], env, cwd=tmp_path, log=log)
        try:
            wait_until(
                lambda: "a tick every" in clock.output(), timeout=30, what="the clock to start"
            )
            proxy.stop()
            wait_until(
                lambda: clock.output().count("trying again next tick") >= 2,
                timeout=30,
                what="two failed ticks",
                context=clock.output,
            )
            assert clock.process.poll() is None  # still running

            # Meanwhile, channels subscribe (through a web process that can reach
            # the database) and their slot falls due.
            schedule, subscribed = due_a_few_minutes_ago()
            channels = [f"C{n}" for n in range(20)]
            subscribe_all(direct, channels, schedule=schedule, now=subscribed)
            assert slack_api.calls("chat.postMessage") == []

            proxy.start()
            wait_until(
                lambda: all(weekly_posts(slack_api, c) for c in channels),
                timeout=30,
                what="every channel posted after the database came back",
                context=clock.output,
            )
            assert clock.terminate() == 0
            output = clock.output()
        finally:
            clock.close()
    for channel in channels:
        assert len(weekly_posts(slack_api, channel)) == 1, channel
        sub = direct.workspace(WS).subscription(channel)
        (row,) = direct.deliveries(subscription_id=sub.id)
        assert row.state is DeliveryState.POSTED
    assert "Traceback" not in output
    direct.close()


def test_the_clock_recovers_when_its_database_connections_go_silent(
    slack_api, postgres_proxy, fresh_postgres, tmp_path
):
    proxy, url = postgres_proxy
    direct = open_store(fresh_postgres)
    env = bot_env(slack_api.base_url, url, TICK_SECONDS="1")
    channels = [f"C{n}" for n in range(5)]
    with tempfile.TemporaryFile() as log:
        clock = start_bot(["clock"], env, cwd=tmp_path, log=log)
        try:
            wait_until(lambda: proxy.live > 0, timeout=30, what="a pooled connection")
            wait_until(
                lambda: "a tick every" in clock.output(), timeout=30, what="the clock to start"
            )
            proxy.silence()  # the pooled connections go quiet; new ones still work
            schedule, subscribed = due_a_few_minutes_ago()
            subscribe_all(direct, channels, schedule=schedule, now=subscribed)
            # Recovery, not speed, is the point: the watchdogs' deadlines (3 s for a
            # checkout ping, 8 s for a transaction) and 1 s ticks can stack up on a
            # loaded machine, so the wait is generous.
            wait_until(
                lambda: all(weekly_posts(slack_api, c) for c in channels),
                timeout=60,
                what="the channels posted over a fresh connection",
                context=clock.output,
            )
        finally:
            clock.close()
            direct.close()
