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
    oauth_env,
    page,
    words,
)


@pytest.fixture
def many(running_app, slack_api):
    """The app serving many workspaces, and a browser to install it with."""
    app = running_app(**oauth_env(slack_api))
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


# -- uninstall -------------------------------------------------------------------------


def uninstall(app, team_id, event=None):
    from tests.support.signing import JSON, event_body

    body = event_body(event or {"type": "app_uninstalled"}, team_id=team_id)
    return app.post_signed(body, content_type=JSON)


def test_uninstalling_deletes_the_installation_within_the_request(many, slack_api):
    app, browser = many
    assert browser.install("T2").status == 200
    assert browser.install("T3").status == 200
    slack_api.revoke("T2")  # Slack revokes the tokens, then tells the app
    reply = uninstall(app, "T2")
    assert reply.status == 200
    assert [team for team, _ in installations(app)] == ["T3"]  # already, as the answer came
    assert [team for team, _ in installations(app, "slack_bots")] == ["T3"]
    slack_api.clear()
    app.command("subscribe", team_id="T2", user_id="U1", channel_id="CT2")
    assert slack_api.calls("conversations.info") == []  # no token left for T2


def test_a_revoked_bot_token_forgets_the_workspace_a_revoked_user_token_does_not(many, slack_api):
    app, browser = many
    assert browser.install("T2").status == 200
    users_only = {"type": "tokens_revoked", "tokens": {"oauth": ["U7"], "bot": []}}
    assert uninstall(app, "T2", users_only).status == 200
    assert [team for team, _ in installations(app)] == ["T2"]
    bot = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOTT2"]}}
    assert uninstall(app, "T2", bot).status == 200
    assert installations(app) == [] and installations(app, "slack_bots") == []


def test_reinstalling_after_an_uninstall_starts_fresh(many, slack_api):
    app, browser = many
    assert browser.install("T2").status == 200
    assert uninstall(app, "T2").status == 200
    assert browser.install("T2").status == 200
    assert installations(app) == [("T2", slack_api.tokens_of("T2")[-1])]


# -- tokens that rotate --------------------------------------------------------------


def test_a_rotating_token_about_to_expire_is_refreshed_on_a_request_and_saved(many, slack_api):
    app, browser = many
    slack_api.rotation, slack_api.token_lifetime = True, 3600  # within Bolt's 2 hours
    assert browser.install("T2").status == 200
    (first,) = slack_api.tokens_of("T2")
    slack_api.users["UADMIN"] = {"is_admin": True}
    slack_api.channels["CT2"] = {"is_member": False}
    app.responses(app.command("subscribe", team_id="T2", user_id="UADMIN", channel_id="CT2"))
    refreshes = [c for c in slack_api.calls("oauth.v2.access") if c.params.get("grant_type")]
    assert refreshes and refreshes[0].params["grant_type"] == "refresh_token"
    newest = slack_api.tokens_of("T2")[-1]
    assert newest != first
    (join,) = slack_api.wait_for("conversations.join")
    assert join.headers["authorization"] == f"Bearer {newest}"
    assert installations(app) == [("T2", newest)]


def test_the_clock_gets_each_workspaces_token_and_refreshes_one_that_expires_soon(many, slack_api):
    from bot.core.workspace import Workspace

    app, browser = many
    slack_api.rotation = True
    slack_api.token_lifetime = 3 * 3600  # beyond the 2 hours: kept as it is
    assert browser.install("T2").status == 200
    slack_api.token_lifetime = 3600  # within them: refreshed before it is used
    assert browser.install("T3").status == 200
    token_for = app.parts.installs.token_for
    slack_api.clear()
    assert token_for(Workspace("T2")) == slack_api.tokens_of("T2")[0]
    assert slack_api.calls("oauth.v2.access") == []
    refreshed = token_for(Workspace("T3"))
    assert refreshed == slack_api.tokens_of("T3")[-1] != slack_api.tokens_of("T3")[0]
    assert slack_api.token_error(refreshed) is None
    assert ("T3", refreshed) in installations(app)  # saved, for the web processes too
    assert token_for(Workspace("T9")) is None  # never installed


def test_one_workspaces_broken_refresh_leaves_the_others_tokens_alone(many, slack_api, caplog):
    from bot.core.workspace import Workspace

    app, browser = many
    slack_api.rotation, slack_api.token_lifetime = True, 3600
    assert browser.install("T2").status == 200
    assert browser.install("T3").status == 200
    slack_api.revoke("T2")
    token_for = app.parts.installs.token_for
    assert token_for(Workspace("T2")) is None
    assert "T2: its token could not be refreshed" in caplog.text
    assert slack_api.token_error(token_for(Workspace("T3"))) is None
    for token in slack_api.tokens_of("T2") + slack_api.tokens_of("T3"):
        assert token not in caplog.text
