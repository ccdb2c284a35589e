"""Socket Mode, the README's main way to run pmtip, end to end: `python -m bot` in a
subprocess. Its Web API calls go to the stand-in (tests/support/slack_api.py),
whose `apps.connections.open` hands out the URL of a stand-in Socket Mode
endpoint (tests/support/socket_mode_server.py); slack_sdk's built-in client
connects there, gets Slack's envelopes and sends back its acknowledgements."""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.catalogue.source import read_catalogue
from bot.core.delivery_rules import EVENT_TYPE
from bot.core.render import blocks
from bot.core.schedule import WeeklySchedule
from bot.store import DeliveryState, open_store
from tests.support.app_server import TIPS_PATH
from tests.support.signing import block_actions_payload
from tests.support.slack_api import FakeSlackApi
from tests.support.slack_validation import assert_valid_message, assert_valid_view
from tests.support.socket_mode_server import (
    CLOSE_PROTOCOL_ERROR,
    OP_CLOSE,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    SocketModeServer,
    encode_frame,
)
from tests.support.workspaces import WS

CATALOGUE, _ = read_catalogue(TIPS_PATH)
assert CATALOGUE is not None
BOT_TOKEN = "xoxb-socket-e2e-bot-token-81c2"
APP_TOKEN = "xapp-1-A1-socket-e2e-app-token-4d9e"
ADMIN = "UADMIN"  # in ADMIN_USER_IDS
CHANNEL = "CSOCKET"
SETTING_PREFIXES = (
    "SLACK_",
    "PORT",
    "TIPS_PATH",
    "LOG_LEVEL",
    "WEB_",
    "DATABASE_URL",
    "ADMIN_",
    "WEEKLY_",
    "DEFAULT_TIMEZONE",
    "CATCHUP_",
    "TICK_",
    "SUBSCRIBE_",
    "RELOAD_",
)
STARTUP_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0


def clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without any pmtip setting, plus `settings`."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(SETTING_PREFIXES)}
    return inherited | {"PYTHONUNBUFFERED": "1"} | settings


@dataclass
class SocketBot:
    """A running `python -m bot` and the two stand-ins it talks to."""

    process: subprocess.Popen
    api: FakeSlackApi
    server: SocketModeServer
    log_path: Path
    database_url: str

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until_connected(self, *, count: int = 1) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"`python -m bot` exited ({self.process.returncode}):\n{self.output()}"
                )
            try:
                self.server.wait_until_connected(count=count, timeout=0.1)
                return
            except AssertionError:
                if time.monotonic() >= deadline:
                    raise AssertionError(
                        f"`python -m bot` did not connect in {STARTUP_TIMEOUT}s:\n{self.output()}"
                    ) from None

    def terminate(self) -> int:
        """SIGTERM, as systemd or Heroku stop it; the exit status."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(
                f"`python -m bot` ignored SIGTERM for {STOP_TIMEOUT}s:\n{self.output()}"
            ) from None

    def assert_stops_cleanly(self) -> str:
        status = self.terminate()
        output = self.output()
        assert status == 0, output
        assert "Traceback" not in output, output
        assert BOT_TOKEN not in output
        assert APP_TOKEN not in output
        return output


@pytest.fixture
def socket_bot(slack_api, tmp_path) -> Iterator[Callable[..., SocketBot]]:
    """`socket_bot(*args, **env)`: `python -m bot *args` started and connected."""
    started: list[SocketBot] = []

    def start(*args: str, **env: str) -> SocketBot:
        server = SocketModeServer().start()
        slack_api.set_handler("apps.connections.open", server.connections_open)
        log_path = tmp_path / f"bot-{len(started)}.log"  # a file: a full pipe would stall it
        database_url = f"sqlite:///{tmp_path}/socket.sqlite3"
        settings = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_API_BASE_URL": slack_api.base_url,
            "DATABASE_URL": database_url,
            "TIPS_PATH": str(TIPS_PATH.resolve()),
            "ADMIN_USER_IDS": ADMIN,
            "LOG_LEVEL": "DEBUG",  # the most talkative: no token may show even so
        } | env
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", *args],
                env=clean_env(**settings),
                cwd=tmp_path,  # no developer's .env, nothing written into the checkout
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        bot = SocketBot(process, slack_api, server, log_path, database_url)
        started.append(bot)
        bot.wait_until_connected()
        return bot

    yield start
    for bot in started:
        if bot.process.poll() is None:
            bot.process.send_signal(signal.SIGTERM)
            try:
                bot.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                bot.process.kill()
                bot.process.wait()
        bot.server.stop()


def tip_in(message: dict[str, Any]) -> str:
    """The id of the tip a message shows, found by its title header."""
    header = next(b for b in message["blocks"] if b["type"] == "header")
    return {tip.title: tip.id for tip in CATALOGUE.tips}[header["text"]["text"]]


def test_socket_mode_answers_commands_and_buttons_and_stops_on_sigterm(socket_bot, slack_api):
    bot = socket_bot("--no-scheduler")
    server = bot.server

    # It asked for the WebSocket URL with the app-level token, checked the bot token,
    # and connected with a proper WebSocket handshake; it answers pings.
    (opened,) = slack_api.calls("apps.connections.open")
    assert opened.headers["authorization"] == f"Bearer {APP_TOKEN}"
    assert slack_api.calls("auth.test")[0].headers["authorization"] == f"Bearer {BOT_TOKEN}"
    assert server.handshakes[0].path.startswith("/link?ticket=")
    server.ping()

    # A lookup: the tip travels in the acknowledgement itself.
    lookup = server.slash_command(
        "ai-failure", response_url=slack_api.response_url("lookup"), channel_id=CHANNEL
    )
    ack = server.ack(lookup)
    message = ack["payload"]
    assert message["response_type"] == "ephemeral"
    assert_valid_message(message)
    tip_id = tip_in(message)
    assert CATALOGUE.tip(tip_id).topic == "ai-failure"
    assert "topic `ai-failure`" in str(message["blocks"])
    assert blocks.SHARE in str(message["blocks"])
    assert slack_api.responses("lookup") == []  # nothing more to say

    # Subscribing checks the channel with Slack (slowly, here): the ack goes first,
    # empty, and the answer follows through the response_url.
    slack_api.fail("conversations.info", delay=1.0)
    subscribe = server.slash_command(
        "subscribe mon 09:00 UTC",
        response_url=slack_api.response_url("subscribe"),
        user_id=ADMIN,
        channel_id=CHANNEL,
    )
    assert not server.ack(subscribe).get("payload")
    acked_at = next(r.at for r in server.received() if r.message.get("envelope_id") == subscribe)
    (answer,) = slack_api.wait_for_responses("subscribe", timeout=10)
    assert answer.at > acked_at  # the ack did not wait for Slack's slow answer
    reply = answer.params
    assert reply["response_type"] == "ephemeral"
    assert reply["replace_original"] is False
    assert_valid_message(reply)
    assert "Subscribed" in reply["text"] and "Monday" in reply["text"], reply["text"]
    store = open_store(bot.database_url, migrate_schema=False)
    try:
        sub = store.workspace(WS).subscription(CHANNEL)
    finally:
        store.close()
    assert sub is not None and sub.active and sub.subscribed_by == ADMIN
    assert sub.schedule == WeeklySchedule(day=0, at=wall_time(9, 0), timezone="UTC")

    # "Share to channel" on the ephemeral tip: acked, then posted for everyone.
    click = server.interactive(
        block_actions_payload(
            blocks.SHARE,
            tip_id,
            response_url=slack_api.response_url("share"),
            user_id="USHARER",
            channel_id=CHANNEL,
        )
    )
    assert not server.ack(click).get("payload")
    shared, confirmation = (c.params for c in slack_api.wait_for_responses("share", count=2))
    assert shared["response_type"] == "in_channel"
    assert shared["replace_original"] is False
    assert_valid_message(shared)
    assert tip_in(shared) == tip_id
    assert "<@USHARER>" in shared["text"]
    assert confirmation["replace_original"] is True
    assert_valid_message(confirmation)
    assert slack_api.calls("chat.postMessage") == []  # the response_url did the posting

    # The Home tab: an Events API envelope, acked, and the view published.
    slack_api.set_handler(
        "users.conversations", lambda params: (200, {}, {"ok": True, "channels": []})
    )
    home = server.event(
        {"type": "app_home_opened", "user": "UMEMBER", "channel": "D0HOME", "tab": "home"}
    )
    assert not server.ack(home).get("payload")
    (published,) = slack_api.wait_for("views.publish", timeout=10)
    assert published.params["user_id"] == "UMEMBER"
    assert_valid_view(published.params["view"])

    # Every envelope got exactly one ack, and nothing else came over the socket.
    envelopes = [r.message["envelope_id"] for r in server.received()]
    assert envelopes == [lookup, subscribe, click, home]

    output = bot.assert_stops_cleanly()
    server.wait_until_disconnected(timeout=5)
    assert "weekly insight scheduler" not in output  # --no-scheduler means none


def test_socket_mode_reconnects_when_slack_asks_it_to(socket_bot, slack_api):
    bot = socket_bot("--no-scheduler")
    server = bot.server
    # Slack refreshes Socket Mode connections every few hours, warning first.
    server.disconnect_request()
    bot.wait_until_connected(count=2)
    assert len(slack_api.calls("apps.connections.open")) == 2
    lookup = server.slash_command("moat", response_url=slack_api.response_url("after"))
    ack = server.ack(lookup)
    assert ack["payload"]["response_type"] == "ephemeral"
    assert CATALOGUE.tip(tip_in(ack["payload"])).topic == "moat"
    assert [r.connection for r in server.received()] == [1]  # answered on the new connection
    bot.assert_stops_cleanly()


def test_socket_mode_with_the_scheduler_posts_a_due_weekly_insight(socket_bot, slack_api, tmp_path):
    # A channel subscribed two hours ago whose weekly slot fell an hour ago: due now
    # (within CATCHUP_HOURS), so the first tick posts it.
    now = datetime.now(UTC)
    slot = (now - timedelta(hours=1)).replace(second=0, microsecond=0)
    database_url = f"sqlite:///{tmp_path}/socket.sqlite3"
    store = open_store(database_url)
    try:
        store.workspace(WS).subscribe(
            channel_id=CHANNEL,
            schedule=WeeklySchedule(day=slot.weekday(), at=slot.time(), timezone="UTC"),
            topics=(),
            subscribed_by=ADMIN,
            now=now - timedelta(hours=2),
        )
    finally:
        store.close()

    bot = socket_bot(TICK_SECONDS="1")
    assert bot.database_url == database_url
    (post,) = slack_api.wait_for("chat.postMessage", timeout=10)
    assert post.params["channel"] == CHANNEL
    assert post.headers["authorization"] == f"Bearer {BOT_TOKEN}"
    assert_valid_message({"text": post.params["text"], "blocks": post.params["blocks"]})
    (weekly,) = slack_api.posted(CHANNEL)
    assert weekly["metadata"]["event_type"] == EVENT_TYPE
    slot_key = weekly["metadata"]["event_payload"]["slot"]

    # Still connected and answering while it ticks.
    lookup = bot.server.slash_command("moat", response_url=slack_api.response_url("tick"))
    assert bot.server.ack(lookup)["payload"]["response_type"] == "ephemeral"

    output = bot.assert_stops_cleanly()
    assert "weekly insight scheduler started" in output
    assert "weekly insight scheduler stopped" in output
    assert len(slack_api.calls("chat.postMessage")) == 1  # later ticks found it settled
    store = open_store(database_url, migrate_schema=False)
    try:
        (delivery,) = store.deliveries(subscription_id=store.workspace(WS).subscription(CHANNEL).id)
    finally:
        store.close()
    assert delivery.state is DeliveryState.POSTED
    assert delivery.slot_key == slot_key
    assert delivery.message_ts == weekly["ts"]


def test_an_app_token_slack_refuses_stops_the_bot_with_one_clear_message(slack_api, tmp_path):
    slack_api.set_handler(
        "apps.connections.open", lambda params: (200, {}, {"ok": False, "error": "invalid_auth"})
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        env=clean_env(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_APP_TOKEN=APP_TOKEN,
            SLACK_API_BASE_URL=slack_api.base_url,
            DATABASE_URL=f"sqlite:///{tmp_path}/refused.sqlite3",
            TIPS_PATH=str(TIPS_PATH.resolve()),
        ),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Slack refused a token (invalid_auth)" in result.stderr
    assert "App-Level Tokens" in result.stderr  # where to get a good one
    assert "Traceback" not in result.stderr
    assert APP_TOKEN not in result.stdout + result.stderr


# -- the stand-in itself -------------------------------------------------------------


def _exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, "the stand-in closed the connection"
        data += chunk
    return data


def _server_frame(sock: socket.socket) -> tuple[int, bytes]:
    first, second = _exactly(sock, 2)
    assert first & 0x80 and not second & 0x80  # final, and never masked by a server
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", _exactly(sock, 2))
    elif length == 127:
        (length,) = struct.unpack("!Q", _exactly(sock, 8))
    return first & 0x0F, _exactly(sock, length)


def _open(server: SocketModeServer, path: str = "/link?ticket=t") -> tuple[socket.socket, bytes]:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += _exactly(sock, 1)
    return sock, head


def test_the_socket_mode_stand_in_speaks_rfc_6455():
    with SocketModeServer() as server:
        sock, head = _open(server)
        with sock:
            assert head.startswith(b"HTTP/1.1 101 ")
            assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in head  # RFC 6455 1.3
            opcode, hello = _server_frame(sock)
            assert opcode == OP_TEXT and json.loads(hello)["type"] == "hello"

            # Masked client frames of each length encoding, and a big frame from the server.
            for size in (10, 1_000, 70_000):
                message = {"envelope_id": f"e{size}", "payload": {"text": "x" * size}}
                sock.sendall(encode_frame(OP_TEXT, json.dumps(message).encode(), mask=b"k3y!"))
                assert server.ack(f"e{size}") == message
            server.send({"type": "big", "text": "y" * 70_000})
            opcode, big = _server_frame(sock)
            assert opcode == OP_TEXT and len(json.loads(big)["text"]) == 70_000

            sock.sendall(encode_frame(OP_PING, b"are you there", mask=b"abcd"))
            assert _server_frame(sock) == (OP_PONG, b"are you there")

            # An unmasked client frame breaks the protocol: closed with 1002.
            sock.sendall(encode_frame(OP_TEXT, b"{}"))
            opcode, reason = _server_frame(sock)
            assert opcode == OP_CLOSE
            assert struct.unpack("!H", reason[:2])[0] == CLOSE_PROTOCOL_ERROR
            server.wait_until_disconnected()

        sock, head = _open(server, "/elsewhere")
        sock.close()
        assert head.startswith(b"HTTP/1.1 400 ")
        assert len(server.handshakes) == 1


def test_the_web_api_stand_in_opens_connections_for_app_tokens_only(slack_api):
    with SocketModeServer() as server:
        slack_api.set_handler("apps.connections.open", server.connections_open)
        client = WebClient(token=BOT_TOKEN, base_url=slack_api.base_url, retry_handlers=[])
        url = client.apps_connections_open(app_token=APP_TOKEN)["url"]
        assert url.startswith(f"ws://127.0.0.1:{server.port}/link?ticket=")
        with pytest.raises(SlackApiError) as refused:
            client.apps_connections_open(app_token=BOT_TOKEN)
        assert refused.value.response["error"] == "not_allowed_token_type"
        assert server.connections_opened == 1
