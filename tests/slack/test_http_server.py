"""The production web process (`python -m bot http`: gunicorn's ASGI workers, the
default 2 workers, signed requests against the stand-in Slack API) facing what
outside testing threw at it: form bodies that mention "payload", clients that
trickle their requests, and junk that must not flood the log."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import quote, urlencode

import pytest

from bot.catalogue.source import read_catalogue
from bot.core.render import blocks
from tests.support.app_server import SIGNING_SECRET, TIPS_PATH
from tests.support.bot_process import BotProcess
from tests.support.signing import JSON, block_actions_payload, signed_headers, slash_command_body
from tests.support.slack_validation import assert_valid_message

SLACK_DEADLINE = 3.0  # seconds Slack waits for an acknowledgement


@pytest.fixture
def bot(slack_api, tmp_path) -> Iterator[BotProcess]:
    with BotProcess(slack_api.base_url, tmp_path, LOG_LEVEL="INFO") as process:
        yield process


# -- form bodies that mention "payload" --------------------------------------------

_PAYLOAD_FIELDS = {
    "channel #payload-team": {"channel_name": "payload-team"},
    "workspace payloadcms": {"team_domain": "payloadcms"},
    "user payload.dev": {"user_name": "payload.dev"},
    "all three": {
        "channel_name": "payload-team",
        "team_domain": "payloadcms",
        "user_name": "payload.dev",
    },
}


@pytest.mark.parametrize("fields", _PAYLOAD_FIELDS.values(), ids=_PAYLOAD_FIELDS.keys())
def test_a_slash_command_from_payload_team_gets_its_tip(bot, slack_api, fields):
    body = slash_command_body("ai-failure", response_url=slack_api.response_url("p"), **fields)
    status, reply = bot.post_signed(body)
    assert status == 200, reply
    message = json.loads(reply)
    assert_valid_message(message)
    assert "topic `ai-failure`" in str(message["blocks"])


@pytest.mark.parametrize("text", ["search payload", "payload", "payload=x&payload="])
def test_a_slash_command_whose_text_says_payload_is_answered(bot, slack_api, text):
    body = slash_command_body(text, response_url=slack_api.response_url("p"))
    status, reply = bot.post_signed(body)
    assert status == 200, reply
    message = json.loads(reply)
    assert_valid_message(message)
    assert "payload" in message["text"]  # the person's words were read, not lost


def test_a_share_click_whose_json_mentions_payload_is_shared(bot, slack_api):
    catalogue, _ = read_catalogue(TIPS_PATH)
    tip = catalogue.tips[0]
    payload = block_actions_payload(
        blocks.SHARE, tip.id, response_url=slack_api.response_url("share")
    )
    payload["channel"]["name"] = "payload-team"
    payload["team"]["domain"] = "payloadcms"
    payload["user"]["username"] = "payload.dev"
    body = urlencode({"payload": json.dumps(payload)}).encode()
    status, _ = bot.post_signed(body)
    assert status == 200
    shared, confirmation = slack_api.wait_for_responses("share", count=2)
    assert shared.params["response_type"] == "in_channel"
    assert_valid_message(shared.params)
    assert "You shared" in confirmation.params["text"]


# -- slow clients ---------------------------------------------------------------------

SLOW_CLIENTS = 50
TRICKLE_EVERY = 1.0  # seconds between each slow client's few bytes


class SlowClients:
    """Connections that send a request a few bytes at a time and never finish it:
    half trickle their headers, half their body. One thread feeds them all, until
    the `with` block ends."""

    def __init__(self, port: int, count: int) -> None:
        self.port = port
        self.count = count
        self.connections: list[tuple[str, socket.socket]] = []
        self._stop = threading.Event()
        self._feeder = threading.Thread(target=self._trickle, daemon=True)

    def __enter__(self) -> SlowClients:
        for i in range(self.count):
            kind = "headers" if i % 2 else "body"
            connection = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            self.connections.append((kind, connection))
            head = "POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            if kind == "body":
                head += f"Content-Type: application/x-www-form-urlencoded\r\n{_signed_head()}"
                head += "Content-Length: 4000\r\n\r\ncommand=%2Fpmtip"
            connection.sendall(head.encode())
        self._feeder.start()
        return self

    def _trickle(self) -> None:
        sent = 0
        while not self._stop.wait(TRICKLE_EVERY):
            sent += 1
            for kind, connection in self.connections:
                chunk = f"X-Slow-{sent}: 1\r\n" if kind == "headers" else "&t=1"
                # The server may hang up on a slow client: that is allowed.
                with contextlib.suppress(OSError):
                    connection.sendall(chunk.encode())

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._feeder.join(timeout=10)
        for _, connection in self.connections:
            connection.close()


def _signed_head() -> str:
    headers = signed_headers(b"command=%2Fpmtip", SIGNING_SECRET)
    return "".join(f"{name}: {value}\r\n" for name, value in headers.items())


def test_signed_commands_are_answered_in_time_while_50_slow_clients_hold_connections(
    bot, slack_api
):
    with SlowClients(bot.port, SLOW_CLIENTS) as slow:
        assert len(slow.connections) == SLOW_CLIENTS
        time.sleep(2 * TRICKLE_EVERY)  # every slow client has trickled more than once
        for attempt in range(5):
            body = slash_command_body("ai-failure", response_url=slack_api.response_url("s"))
            started = time.monotonic()
            try:
                status, reply = bot.post_signed(body, timeout=SLACK_DEADLINE)
            except TimeoutError:
                pytest.fail(f"request {attempt + 1} got no answer within {SLACK_DEADLINE} s")
            assert status == 200, reply
            assert time.monotonic() - started < SLACK_DEADLINE
            assert "topic `ai-failure`" in reply.decode()
    assert bot.stop() == 0  # and it still stops cleanly on SIGTERM
    assert "Traceback" not in bot.output()


# -- junk must not flood the log ------------------------------------------------------

DEEP = "[" * 100_000  # deeper than any JSON decoder goes
_JUNK = {
    "payload not JSON": (b"payload=notjson", "application/x-www-form-urlencoded"),
    "payload nested deep": (f"payload={quote(DEEP)}".encode(), "application/x-www-form-urlencoded"),
    "JSON nested deep": (DEEP.encode(), JSON),
    "JSON object nested deep": (('{"a":' * 50_000).encode(), JSON),
    "not UTF-8": (b"payload=\xff\xfe", "application/x-www-form-urlencoded"),
}


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
def test_malformed_bodies_get_a_4xx_and_one_short_log_line_each(bot, signed):
    before = len(bot.output().splitlines())
    for body, content_type in _JUNK.values():
        if signed:
            headers = signed_headers(body, SIGNING_SECRET, content_type=content_type)
        else:
            headers = {"Content-Type": content_type}
        status, reply = bot.post(body, headers)
        assert 400 <= status < 500, (status, reply[:200])
        assert b"Traceback" not in reply
    logged = bot.output().splitlines()[before:]
    assert "Traceback" not in "\n".join(logged)
    assert len(logged) <= len(_JUNK), logged
    assert all(len(line) < 200 for line in logged), logged


# -- what the front answers by itself, under the production server ------------------------


def raw_exchange(port: int, head: str, body: bytes = b"") -> bytes:
    """Send `head` (and `body`) on a raw connection; the status line of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(head.encode() + body)
        return connection.makefile("rb").readline()


def test_a_body_over_one_megabyte_is_refused_before_the_rest_is_sent(bot):
    body = slash_command_body("x" * (1024 * 1024), response_url="http://127.0.0.1:9/r")
    headers = signed_headers(body, SIGNING_SECRET) | {"Content-Length": str(len(body))}
    head = "POST /slack/events HTTP/1.1\r\nHost: x\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    status_line = raw_exchange(bot.port, head, body[: 64 * 1024])  # the rest never comes
    assert b" 413 " in status_line, status_line


def test_a_chunked_body_over_one_megabyte_is_refused_too(bot):
    chunk = b"x" * 65536
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(17)) + b"0\r\n\r\n"
    head = "POST /slack/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
    head += "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
    status_line = raw_exchange(bot.port, head, body)
    assert b" 413 " in status_line, status_line


@pytest.mark.parametrize("digits", [4_000, 4_301, 8_000])
def test_a_content_length_of_thousands_of_digits_gets_a_4xx_and_no_traceback(bot, digits):
    head = f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: {'9' * digits}\r\n\r\n"
    status_line = raw_exchange(bot.port, head, b"x")
    assert status_line.startswith(b"HTTP/1.1 4"), status_line
    time.sleep(0.2)  # a traceback would be logged just after the connection dropped
    assert "Traceback" not in bot.output()


PLAIN_ANSWERS = [
    ("GET", "/healthz", 200),
    ("HEAD", "/healthz", 200),
    ("GET", "/", 200),
    ("GET", "/slack/events", 405),
    ("POST", "/elsewhere", 404),
    ("GET", "/../../etc/passwd", 404),
]


def test_other_paths_and_methods_get_plain_answers(bot):
    for method, path, status in PLAIN_ANSWERS:
        head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
        assert f" {status} ".encode() in raw_exchange(bot.port, head), (method, path)


def test_each_worker_polls_the_tips_file_from_its_start(slack_api, tmp_path):
    # No request reaches the workers before the edit: each must have started its
    # poller right after the fork, not on its first request.
    tips = tmp_path / "tips.yaml"
    shutil.copy(TIPS_PATH, tips)
    settings = {"TIPS_PATH": str(tips), "RELOAD_SECONDS": "0.2", "LOG_LEVEL": "INFO"}
    with BotProcess(slack_api.base_url, tmp_path, **settings) as bot:
        loads_at_start = bot.output().count("catalogue loaded")
        text = tips.read_text()
        edited = text.replace("[time, focus, priorities]", "[time, focus, priorities, edited]")
        assert edited != text
        tips.write_text(edited)
        deadline = time.monotonic() + 15
        while bot.output().count("catalogue loaded") < loads_at_start + bot.workers:
            assert time.monotonic() < deadline, bot.output()
            time.sleep(0.1)
        for _ in range(6):  # fresh connections, spread over the workers
            body = slash_command_body("edited", response_url=slack_api.response_url("e"))
            status, reply = bot.post_signed(body)
            assert status == 200
            assert "topic `leverage`" in reply.decode()  # the new alias is known
