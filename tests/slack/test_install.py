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


def test_each_install_page_clears_away_the_states_that_expired(many):
    # Anyone may open the page, and most links are never used: without this, every
    # visit would leave a row behind for good.
    app, browser = many
    with app.parts.store.engine.begin() as conn:
        conn.execute(
            sqlalchemy.text(
                "INSERT INTO slack_oauth_states (state, expire_at) "
                "VALUES ('long-gone', '2020-01-01 00:00:00')"
            )
        )
    link = browser.open_install_page()
    with app.parts.store.engine.connect() as conn:
        left = conn.execute(sqlalchemy.text("SELECT state FROM slack_oauth_states")).scalars()
        assert list(left) == [link.state]


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
    (answer,) = app.responses(reply)
    assert "pmtip is not installed in this workspace" in answer["text"]
    assert "/slack/install" in answer["text"]
    assert slack_api.calls("conversations.info") == []


# -- uninstall -------------------------------------------------------------------------


def uninstall(app, team_id, event=None):
    from tests.support.signing import JSON, event_body

    body = event_body(event or {"type": "app_uninstalled"}, team_id=team_id)
    return app.post_signed(body, content_type=JSON)


def test_uninstalling_deletes_the_installation_and_the_data_within_the_request(many, slack_api):
    from bot.core.workspace import Workspace

    app, browser = many
    for team in ("T2", "T3"):
        assert browser.install(team).status == 200
        slack_api.users[f"UADMIN{team}"] = {"is_admin": True}
        reply = app.command("subscribe", team_id=team, user_id=f"UADMIN{team}", channel_id="C1")
        assert "Subscribed" in str(app.responses(reply))
    store = app.parts.store
    assert [s.workspace.team_id for s in store.subscriptions()] == ["T2", "T3"]
    slack_api.revoke("T2")  # Slack revokes the tokens, then tells the app
    reply = uninstall(app, "T2")
    assert reply.status == 200
    # Already gone as the answer came: the installation and the workspace's rows.
    assert [team for team, _ in installations(app)] == ["T3"]
    assert [team for team, _ in installations(app, "slack_bots")] == ["T3"]
    assert store.workspace(Workspace("T2")).subscriptions(receiving_only=False) == []
    assert [s.workspace.team_id for s in store.subscriptions()] == ["T3"]
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


def test_a_tokens_revoked_event_of_an_odd_shape_is_acknowledged_and_changes_nothing(
    many, slack_api, caplog
):
    app, browser = many
    assert browser.install("T2").status == 200
    for tokens in (["UBOTT2"], "UBOTT2", {"bot": "UBOTT2"}, None):
        odd = {"type": "tokens_revoked", "tokens": tokens}
        assert uninstall(app, "T2", odd).status == 200, tokens
    assert [team for team, _ in installations(app)] == ["T2"]
    assert "Traceback" not in caplog.text


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


def test_work_finished_after_the_ack_uses_the_requests_workspace_token(many, slack_api):
    """The Home tab and its buttons are answered by lazy listeners on other threads."""
    import json
    from urllib.parse import urlencode

    from bot.core.render.blocks import HOME_TOPIC
    from tests.support.signing import JSON, block_actions_payload, event_body

    app, browser = many
    for team in ("T2", "T3"):
        assert browser.install(team).status == 200
    tokens = {team: slack_api.tokens_of(team)[-1] for team in ("T2", "T3")}
    for n, team in enumerate(["T2", "T3", "T2", "T3"]):
        event = {"type": "app_home_opened", "user": f"U{team}", "channel": "D1", "tab": "home"}
        assert app.post_signed(event_body(event, team_id=team), content_type=JSON).status == 200
        payload = block_actions_payload(
            f"{HOME_TOPIC}.0", "moat", response_url="unused", user_id=f"U{team}", team_id=team
        )
        del payload["response_url"], payload["channel"]
        payload |= {"container": {"type": "view", "view_id": "V1"}, "view": {"id": "V1"}}
        assert app.post_signed(urlencode({"payload": json.dumps(payload)}).encode()).status == 200
        slack_api.wait_for("views.publish", count=n + 1)
        slack_api.wait_for("chat.postMessage", count=n + 1)
    for method in ("views.publish", "chat.postMessage"):
        for call in slack_api.calls(method):
            person = call.params.get("user_id") or call.params["channel"]
            assert call.headers["authorization"] == f"Bearer {tokens[person[1:]]}", method


def test_a_refresh_that_cannot_reach_slack_is_a_logged_none(many, slack_api, caplog):
    from bot.core.workspace import Workspace
    from bot.slack.client import web_client
    from bot.slack.installations import Tokens
    from tests.slack.test_http_process import free_port

    app, browser = many
    slack_api.rotation, slack_api.token_lifetime = True, 3600
    assert browser.install("T2").status == 200
    nobody_listens = f"http://127.0.0.1:{free_port()}/api/"
    tokens = Tokens(
        store=app.parts.installs.store,
        client_id=slack_api.client_id,
        client_secret=slack_api.client_secret,
        client=web_client(token="", base_url=nobody_listens, retries=False),
    )
    assert tokens.token_for(Workspace("T2")) is None
    assert "T2: its token could not be refreshed (URLError)" in caplog.text


def test_the_person_who_installed_pmtip_is_an_admin_of_it_in_that_workspace_only(many, slack_api):
    app, browser = many
    assert browser.install("T2", installer="UFOUNDER").status == 200
    assert browser.install("T3", installer="UOTHER").status == 200
    slack_api.channels["CT2"] = slack_api.channels["CT3"] = {"is_member": False}
    allowed = app.command("subscribe", team_id="T2", user_id="UFOUNDER", channel_id="CT2")
    (answer,) = app.responses(allowed)
    assert "Subscribed" in str(answer), answer  # not a Slack admin, but the installer
    refused = app.command("subscribe", team_id="T3", user_id="UFOUNDER", channel_id="CT3")
    (answer,) = app.responses(refused)
    assert "Subscribed" not in str(answer)  # T3 was installed by someone else
    (join,) = slack_api.calls("conversations.join")
    assert join.params["channel"] == "CT2"


def test_an_odd_error_from_the_redirect_is_not_echoed(many, caplog):
    _, browser = many
    link = browser.open_install_page()
    odd = "<script>alert(1)</script>" + "x" * 500
    reply = browser.come_back(state=link.state, cookie=link.cookie, error=odd)
    assert reply.status == 200
    assert "<script>" not in reply.body.decode() and "xxxx" not in reply.body.decode()
    assert "did not complete" in words(page(reply))
    assert "x" * 100 not in caplog.text


def test_a_code_slack_refuses_is_not_written_to_the_log(many, caplog):
    # Bolt logs the code it failed to exchange; with the client secret it is a token.
    _, browser = many
    link = browser.open_install_page()
    code = "7401234567.9876543210.not-a-real-code"
    reply = browser.come_back(state=link.state, cookie=link.cookie, code=code)
    assert reply.status == 401
    assert "Failed to fetch oauth.v2.access" in caplog.text  # Bolt's line, still there
    assert code not in caplog.text


def test_an_installation_that_cannot_be_saved_says_to_try_again(many, slack_api):
    app, browser = many
    with app.parts.store.engine.begin() as conn:
        conn.execute(sqlalchemy.text("DROP TABLE slack_bots"))  # the save fails half way
    reply = browser.install("T2")
    assert reply.status == 503
    assert "could not save the installation" in words(page(reply))


# -- the clock, with tokens that rotate --------------------------------------------------


def test_the_clock_refreshes_a_token_that_expired_since_the_last_week_and_posts_with_it(
    many, slack_api
):
    from datetime import UTC, datetime, timedelta

    from bot.core.workspace import Workspace
    from bot.weekly.post_due import post_due
    from tests.weekly.helpers import (
        CATALOGUE,
        FAST,
        MONDAY_9_NEW_YORK,
        MONDAY_SLOT,
        SUBSCRIBED_AT,
    )

    app, browser = many
    slack_api.rotation, slack_api.token_lifetime = True, 3 * 3600  # beyond the 2 hours
    for team in ("T2", "T3"):
        assert browser.install(team).status == 200
    first = {team: slack_api.tokens_of(team)[0] for team in ("T2", "T3")}
    store, installs = app.parts.store, app.parts.installs
    for team in ("T2", "T3"):
        store.workspace(Workspace(team)).subscribe(
            channel_id=f"C{team}-1",
            schedule=MONDAY_9_NEW_YORK,
            topics=(),
            subscribed_by="UADMIN",
            now=SUBSCRIBED_AT,
        )
    weekly = installs.clients  # what the clock posts with: each workspace's token_for

    def week(n: int):
        return post_due(
            store=store,
            client=app.parts.posting_client,
            catalogue=CATALOGUE,
            now=MONDAY_SLOT + timedelta(weeks=n),
            catchup_hours=12,
            policy=FAST,
            workspaces=weekly,
        )

    assert len(week(0).posted) == 2
    # A week later T2's token has expired: at Slack, and by the expiry it was saved with.
    slack_api.expire("T2")
    past = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1)
    with store.engine.begin() as conn:
        for table in ("slack_installations", "slack_bots"):
            conn.execute(
                sqlalchemy.text(
                    f"UPDATE {table} SET bot_token_expires_at = :t WHERE team_id = 'T2'"
                ),
                {"t": past},
            )
    installs.store.forget(enterprise_id=None, team_id="T2")  # as the cache's TTL would
    slack_api.clear()
    assert len(week(1).posted) == 2
    refreshed = slack_api.tokens_of("T2")[-1]
    assert refreshed != first["T2"] and slack_api.token_error(refreshed) is None
    by_channel = {
        c.params["channel"]: c.headers["authorization"] for c in slack_api.calls("chat.postMessage")
    }
    assert by_channel == {"CT2-1": f"Bearer {refreshed}", "CT3-1": f"Bearer {first['T3']}"}
    assert ("T2", refreshed) in installations(app)  # saved for the web processes too
