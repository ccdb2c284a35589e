"""The page and its server: escaping, the long poll, and the doors it keeps shut
(another Host, a forged action, a guessed file)."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from bot.playground.server import PlaygroundServer
from tests.support.playground import copy_tips, running_playground, seen_by

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def server(tmp_path) -> Iterator[PlaygroundServer]:
    folder = tmp_path / SCRIPT.replace("/", "|")  # the tips file's path is shown to admins
    tips = copy_tips(folder)
    with running_playground(tmp_path, tips=tips) as running:
        yield running


def request(
    server: PlaygroundServer,
    method: str,
    path: str,
    body: dict | bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    sent = {"Content-Type": "application/json"} if isinstance(body, dict) else {}
    try:
        connection.request(method, path, body=data, headers=sent | (headers or {}))
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def act(server: PlaygroundServer, name: str, **fields: str) -> dict:
    status, _, body = request(server, "POST", f"/action/{name}", fields)
    assert status == 200, body
    return json.loads(body)


def state(server: PlaygroundServer, since: str = "") -> dict:
    status, _, body = request(server, "GET", f"/state?since={since}")
    assert status == 200
    return json.loads(body)


def test_the_page_is_served_with_its_script_and_a_strict_policy(server):
    status, headers, body = request(server, "GET", "/")
    assert status == 200 and b'data-testid="composer"' in body
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    for name in ("playground.js", "playground.css", "blockkit.css"):
        assert request(server, "GET", f"/static/{name}")[0] == 200
    assert request(server, "GET", "/static/../config.py")[0] == 404
    assert request(server, "GET", "/static/page.html")[0] == 404


def test_text_from_people_and_from_the_tips_file_is_escaped(server):
    act(server, "type", text=f"look {SCRIPT}", pane="channel")
    act(server, "as", role="admin")
    html = json.dumps(state(server)["fragments"])
    page = request(server, "GET", "/")[2].decode()
    for shown in (html, page):
        assert "<script>alert" not in shown
    assert "&lt;script&gt;alert(1)&lt;" in page  # the message and the tips path, as text


def test_an_action_reaches_the_app_and_the_long_poll_wakes_for_it(server):
    before = state(server)["version"]
    woke: dict = {}
    waiter = threading.Thread(target=lambda: woke.update(state(server, before)))
    waiter.start()
    time.sleep(0.3)
    assert waiter.is_alive()  # nothing changed yet: it waits
    act(server, "type", text="/pmtip ai-failure", pane="channel")
    waiter.join(timeout=10)
    assert woke["version"] != before
    assert 'data-ephemeral="true"' in woke["fragments"]["channel"]
    assert "Only visible to you" in woke["fragments"]["channel"]


def test_a_stale_version_is_answered_at_once(server):
    started = time.monotonic()
    assert state(server, "0.0")["version"] != "0.0"
    assert time.monotonic() - started < 5


def test_actions_from_another_origin_or_not_json_are_refused(server):
    forged = request(server, "POST", "/action/reset", {"x": "1"}, {"Origin": "http://evil.example"})
    form = request(
        server,
        "POST",
        "/action/type",
        b"text=/pmtip+ai-failure",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert forged[0] == form[0] == 403
    assert server.playground.world.snapshot().messages == ()


def test_another_host_name_is_refused(server):
    status, _, _ = request(server, "GET", "/", headers={"Host": "attacker.example:80"})
    assert status == 421


def test_bad_actions_get_a_plain_answer(server):
    status, _, body = request(server, "POST", "/action/type", {"text": 5})
    assert status == 400 and json.loads(body) == {"ok": False, "error": "text must be text"}
    assert request(server, "POST", "/action/launch", {})[0] == 404
    assert request(server, "POST", "/action/clock", {"step": "year"})[0] == 400


def test_the_page_actions_drive_the_real_app(server):
    act(server, "as", role="admin")
    act(server, "type", text="/pmtip subscribe", pane="channel")
    pg = server.playground
    assert pg.world.wait_until(lambda w: len(w.messages) == 1, timeout=10)
    act(server, "clock", step="slot")
    assert any(m.metadata for m in seen_by(pg.world, "UMAYA"))
    act(server, "home")
    assert pg.world.wait_until(lambda w: "UALEX" in w.views, timeout=10)
    act(server, "reset")
    assert pg.world.snapshot().messages == ()


def test_the_bot_and_web_processes_never_import_jinja2():
    code = (
        "import sys, bot.slack.web, bot.wiring, bot.__main__;"
        "assert 'jinja2' not in sys.modules, 'jinja2 imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_server_listens_on_loopback_only(server):
    assert server.server_address[0] == "127.0.0.1"


def test_a_browser_that_leaves_during_a_long_poll_costs_no_traceback(server, capfd):
    import socket

    token = state(server)["version"]
    with socket.create_connection(("127.0.0.1", server.port)) as gone:
        gone.sendall(
            f"GET /state?since={token} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
        )
        gone.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    for text in ("one", "two"):  # wakes the poll, whose answer finds no one to read it
        act(server, "type", text=text, pane="channel")
    time.sleep(0.5)
    assert "Traceback" not in capfd.readouterr().err
