"""Add to Slack, end to end through the web front pmtip serves in production
(bot.slack.web, here under uvicorn): the install page, the state checked at the
redirect (forged and replayed states refused), a re-install that updates the
workspace, and each workspace's own token in the listeners."""

from __future__ import annotations

import pytest
import sqlalchemy

from bot.slack.installations import BOT_SCOPES
from tests.support.installs import (
    STATE_COOKIE,
    Browser,
    create_install_tables,
    oauth_env,
    page,
    words,
)


@pytest.fixture
def many(running_app, slack_api):
    """The app serving many workspaces, and a browser to install it with."""
    app = running_app(**oauth_env(slack_api))
    create_install_tables(app.parts)
    return app, Browser(app, slack_api)


def installations(app, table="slack_installations"):
    with app.parts.store.engine.connect() as conn:
        rows = conn.execute(sqlalchemy.text(f"SELECT team_id, bot_token FROM {table}"))
        return [tuple(row) for row in rows]


def test_the_install_page_links_to_slack_with_a_one_time_state_in_a_cookie(many, slack_api):
    app, browser = many
    link = browser.open_install_page()
    assert link.url.startswith("https://slack.com/oauth/v2/authorize?")
    assert link.query["client_id"] == [slack_api.client_id]
    assert set(link.query["scope"][0].split(",")) == set(BOT_SCOPES)
    reply = app.get("/slack/install")
    assert "Secure" in reply.headers["set-cookie"] and "HttpOnly" in reply.headers["set-cookie"]
    assert reply.headers["cache-control"] == "no-store"
    assert slack_api.client_secret not in reply.body.decode()
    assert browser.open_install_page().state != link.state  # a new state for every visit


def test_an_install_saves_the_workspace_and_says_what_to_do_next(many, slack_api):
    app, browser = many
    reply = browser.install("T2")
    assert reply.status == 200
    text = words(page(reply))
    assert "pmtip is installed in Workspace T2" in text
    assert "/pmtip help" in text and "/pmtip subscribe" in text
    assert slack_api.client_secret not in reply.body.decode()
    assert all(token not in reply.body.decode() for token in slack_api.tokens_of("T2"))
    assert installations(app) == [("T2", slack_api.tokens_of("T2")[0])]
    assert "deleted" in reply.headers["set-cookie"]  # the state cookie is spent


def test_a_forged_state_is_refused_and_nothing_is_installed(many, slack_api):
    app, browser = many
    browser.open_install_page()  # a real state exists, but not this one
    forged = "00000000-0000-0000-0000-000000000000"
    code = slack_api.install_code("T2")
    reply = browser.come_back(state=forged, cookie=f"{STATE_COOKIE}={forged}", code=code)
    assert reply.status == 401
    assert "has expired or was already used" in words(page(reply))
    assert installations(app) == []
    assert slack_api.calls("oauth.v2.access") == []  # refused before the code is used


def test_a_state_without_its_cookie_is_refused(many, slack_api):
    app, browser = many
    link = browser.open_install_page()
    reply = browser.come_back(state=link.state, cookie=None, code=slack_api.install_code("T2"))
    assert reply.status == 400
    assert "another browser" in words(page(reply))
    assert installations(app) == []


def test_a_replayed_state_is_refused(many, slack_api):
    app, browser = many
    link = browser.open_install_page()
    first = browser.come_back(
        state=link.state, cookie=link.cookie, code=slack_api.install_code("T2")
    )
    assert first.status == 200
    again = browser.come_back(
        state=link.state, cookie=link.cookie, code=slack_api.install_code("T3")
    )
    assert again.status == 401
    assert "already used" in words(page(again))
    assert [team for team, _ in installations(app)] == ["T2"]


def test_cancelling_on_slacks_page_says_nothing_was_installed(many):
    app, browser = many
    link = browser.open_install_page()
    reply = browser.come_back(state=link.state, cookie=link.cookie, error="access_denied")
    assert reply.status == 200
    text = words(page(reply))
    assert "cancelled" in text and "Add pmtip to Slack" in text
    assert installations(app) == []


def test_installing_the_same_workspace_again_updates_it(many, slack_api):
    app, browser = many
    assert browser.install("T2").status == 200
    assert browser.install("T2").status == 200
    newest = slack_api.tokens_of("T2")[-1]
    assert installations(app) == [("T2", newest)]
    assert installations(app, "slack_bots") == [("T2", newest)]


def test_the_oauth_pages_answer_get_only(many):
    app, _ = many
    assert app.request("POST", "/slack/install").status == 405
    assert app.request("HEAD", "/slack/oauth_redirect").status == 405


def test_each_workspace_gets_its_own_token_in_the_listeners(many, slack_api):
    app, browser = many
    assert browser.install("T2").status == 200
    assert browser.install("T3").status == 200
    for team in ("T2", "T3"):
        slack_api.users[f"UADMIN{team}"] = {"is_admin": True}
        slack_api.channels[f"C{team}"] = {"is_member": False}  # so pmtip joins it
        reply = app.command(
            "subscribe", team_id=team, user_id=f"UADMIN{team}", channel_id=f"C{team}"
        )
        assert reply.status == 200
        app.responses(reply)
    joined = slack_api.wait_for("conversations.join", count=2)
    assert {(c.params["channel"], slack_api.team_of_call(c)) for c in joined} == {
        ("CT2", "T2"),
        ("CT3", "T3"),
    }
    for call in slack_api.calls():
        if call.method not in ("oauth.v2.access", "response_url"):
            assert slack_api.team_of_call(call) is not None, call.method  # never another token


def test_a_request_from_a_workspace_that_never_installed_gets_no_token(many, slack_api):
    app, browser = many
    assert browser.install("T2").status == 200
    reply = app.command("subscribe", team_id="T9", user_id="U1", channel_id="C9")
    assert reply.status == 200
    assert slack_api.calls("conversations.join") == []
