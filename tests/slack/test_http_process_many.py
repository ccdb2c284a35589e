"""Many workspaces through the production command itself: `python -m bot http` behind
gunicorn (two workers: an install page served by one and its redirect by the other),
aimed at the stand-in Slack API. Two workspaces install, each command runs with its
own workspace's token, an uninstall forgets the workspace, and no secret or token is
ever in the output."""

from __future__ import annotations

import http.client
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy

from tests.slack.test_http_process import clean_env, free_port, wait_until_serving
from tests.support.app_server import SIGNING_SECRET, TIPS_PATH
from tests.support.installs import Browser, page, words
from tests.support.signing import JSON, event_body, signed_headers, slash_command_body


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


class Server:
    def __init__(self, port: int, database: str) -> None:
        self.port = port
        self.database = database

    def teams_subscribed(self) -> list[str]:
        engine = sqlalchemy.create_engine(self.database)
        try:
            with engine.connect() as conn:
                rows = conn.execute(sqlalchemy.text("SELECT team_id FROM subscriptions"))
                return sorted(row[0] for row in rows)
        finally:
            engine.dispose()

    def request(self, method: str, path: str, body: bytes = b"", headers=None) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=dict(headers or {}))
            response = connection.getresponse()
            return Reply(
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                response.read(),
            )
        finally:
            connection.close()

    def get(self, path: str, headers=None) -> Reply:
        return self.request("GET", path, headers=headers)

    def signed(self, body: bytes, **kwargs) -> Reply:
        headers = signed_headers(body, SIGNING_SECRET, **kwargs)
        return self.request("POST", "/slack/events", body, headers)


@pytest.fixture
def many_server(slack_api, tmp_path) -> Iterator[tuple[subprocess.Popen, Server]]:
    database = f"sqlite:///{tmp_path}/many.sqlite3"  # the process migrates it at start
    port = free_port()
    env = clean_env(
        SLACK_CLIENT_ID=slack_api.client_id,
        SLACK_CLIENT_SECRET=slack_api.client_secret,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_BASE_URL=slack_api.base_url,
        TIPS_PATH=str(TIPS_PATH),
        DATABASE_URL=database,
        PORT=str(port),
        LOG_LEVEL="DEBUG",  # the most talkative setting, for the no-secret-in-logs check
        WEB_CONCURRENCY="2",
        WEB_THREADS="4",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "http"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_serving(process, port)
        yield process, Server(port, database)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_two_workspaces_install_use_their_own_tokens_and_one_uninstalls(many_server, slack_api):
    process, server = many_server
    browser = Browser(server, slack_api)
    for team in ("T2", "T3"):
        for _ in range(2):  # a second install of the same workspace updates it
            reply = browser.install(team)
            assert reply.status == 200, reply.body
            assert f"pmtip is installed in Workspace {team}" in words(page(reply))
    link = browser.open_install_page()
    replayed = [browser.come_back(state=link.state, cookie=link.cookie, code=c) for c in "ab"]
    assert [r.status for r in replayed] == [401, 401]  # unknown codes, then a spent state

    def subscribe(team: str) -> Reply:
        slack_api.users[f"UADMIN{team}"] = {"is_admin": True}
        slack_api.channels[f"C{team}"] = {"is_member": False}
        body = slash_command_body(
            "subscribe",
            team_id=team,
            user_id=f"UADMIN{team}",
            channel_id=f"C{team}",
            response_url=slack_api.response_url(team),
        )
        return server.signed(body)

    for team in ("T2", "T3"):
        assert subscribe(team).status == 200
    joined = slack_api.wait_for("conversations.join", count=2, timeout=10)
    assert {(c.params["channel"], slack_api.team_of_call(c)) for c in joined} == {
        ("CT2", "T2"),
        ("CT3", "T3"),
    }
    for team in ("T2", "T3"):  # the newest token of each: the re-install replaced the first
        newest = slack_api.tokens_of(team)[-1]
        assert any(c.headers["authorization"] == f"Bearer {newest}" for c in joined)

    for team in ("T2", "T3"):  # the answer comes once the subscription is saved
        assert "Subscribed" in str(slack_api.wait_for_responses(team, timeout=10)[0].params)
    assert server.teams_subscribed() == ["T2", "T3"]
    slack_api.revoke("T2")
    gone = server.signed(event_body({"type": "app_uninstalled"}, team_id="T2"), content_type=JSON)
    assert gone.status == 200
    assert server.teams_subscribed() == ["T3"]  # deleted within the request
    slack_api.clear()
    slack_api.channels["CT2b"] = {"is_member": False}
    body = slash_command_body(
        "subscribe", team_id="T2", user_id="UADMINT2", channel_id="CT2b",
        response_url=slack_api.response_url("after"),
    )  # fmt: skip
    assert server.signed(body).status == 200
    # The worker that answered the uninstall has no T2 installation left; the other may
    # still have it cached for up to a minute, and Slack refuses its revoked token.
    assert slack_api.calls("conversations.join") == []

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0
    output = process.stdout.read()
    assert "serves many workspaces: Slack OAuth with client id" in output
    assert slack_api.client_secret not in output and SIGNING_SECRET not in output
    for team in ("T2", "T3"):
        for token in slack_api.tokens_of(team):
            assert token not in output
    assert "Traceback" not in output
