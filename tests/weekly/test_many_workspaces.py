"""The weekly post for many workspaces: each subscription is posted with its own
workspace's token, in its workspace's lane, so one workspace's rate limit, missing
installation or revoked token holds back or stops that workspace only."""

from __future__ import annotations

from dataclasses import replace

from slack_sdk import WebClient

from bot.core.workspace import Workspace
from bot.slack.workspace_clients import WorkspaceClients
from bot.weekly.post_due import post_due
from tests.support.workspaces import OTHER, WS
from tests.weekly.helpers import (
    CATALOGUE,
    FAST,
    MONDAY_9_NEW_YORK,
    MONDAY_SLOT,
    SUBSCRIBED_AT,
    assert_ledger_agrees_with_slack,
    weekly_posts,
)

NOWHERE = Workspace(team_id="T404")  # never installed


def installed(slack_api, *workspaces: Workspace) -> dict[Workspace, str]:
    """Install pmtip in each workspace at the stand-in; each one's bot token."""
    oauth = WebClient(base_url=slack_api.base_url)
    tokens = {}
    for workspace in workspaces:
        code = slack_api.install_code(workspace.team_id)
        answer = oauth.oauth_v2_access(
            client_id=slack_api.client_id, client_secret=slack_api.client_secret, code=code
        )
        tokens[workspace] = answer["access_token"]
    return tokens


def subscribe(store, workspace: Workspace, *channels: str):
    return [
        store.workspace(workspace).subscribe(
            channel_id=channel,
            schedule=MONDAY_9_NEW_YORK,
            topics=(),
            subscribed_by="UADMIN",
            now=SUBSCRIBED_AT,
        )
        for channel in channels
    ]


def run_many(store, slack_api, tokens: dict[Workspace, str], *, policy=FAST):
    clients = WorkspaceClients(token_for=tokens.get, base_url=slack_api.base_url)
    unused = WebClient(token="xoxb-not-this-one", base_url=slack_api.base_url)
    return post_due(
        store=store,
        client=unused,
        catalogue=CATALOGUE,
        now=MONDAY_SLOT,
        catchup_hours=12,
        policy=policy,
        workspaces=clients,
    )


def bearer_of(call) -> str:
    return call.headers.get("authorization", "").removeprefix("Bearer ")


def posts_to(slack_api, channel: str):
    return [c for c in slack_api.calls("chat.postMessage") if c.params.get("channel") == channel]


def test_each_workspace_is_posted_with_its_own_token(store, slack_api):
    tokens = installed(slack_api, WS, OTHER)
    subscribe(store, WS, "CA1", "CA2")
    subscribe(store, OTHER, "CB1")
    report = run_many(store, slack_api, tokens)
    assert sorted(o.channel_id for o in report.posted) == ["CA1", "CA2", "CB1"]
    for channel, workspace in (("CA1", WS), ("CA2", WS), ("CB1", OTHER)):
        (call,) = posts_to(slack_api, channel)
        assert bearer_of(call) == tokens[workspace]
    assert "xoxb-not-this-one" not in {bearer_of(c) for c in slack_api.calls()}
    assert_ledger_agrees_with_slack(store, slack_api)


def test_a_429_in_one_workspace_holds_only_that_workspace(store, slack_api):
    tokens = installed(slack_api, WS, OTHER)
    subscribe(store, WS, "CA0", "CA1", "CA2")
    subscribe(store, OTHER, "CB0", "CB1", "CB2")
    slack_api.fail(
        "chat.postMessage",
        status=429,
        retry_after=1,
        when=lambda params: params.get("channel") == "CA0",
    )
    # One worker per workspace: the other workspace's posts have a worker of their own.
    report = run_many(store, slack_api, tokens, policy=replace(FAST, workers=2, per_workspace=1))

    assert len(report.posted) == 6 and report.retries == 1
    limited, retried = posts_to(slack_api, "CA0")
    assert (limited.status, retried.status) == (429, 200)
    assert retried.at - limited.at >= 1.0  # its workspace waited out Retry-After
    held = [c for ch in ("CA1", "CA2") for c in posts_to(slack_api, ch)]
    assert not [c for c in held if limited.at < c.at < limited.at + 0.99]
    # ... while the other workspace posted all its channels meanwhile
    others = [c for ch in ("CB0", "CB1", "CB2") for c in posts_to(slack_api, ch)]
    assert len(others) == 3 and all(c.at < limited.at + 0.99 for c in others)
    assert_ledger_agrees_with_slack(store, slack_api)


def test_a_revoked_token_stops_its_workspace_while_the_other_posts(store, slack_api):
    tokens = installed(slack_api, WS, OTHER)
    mine = subscribe(store, WS, "CA0", "CA1", "CA2")
    subscribe(store, OTHER, "CB0", "CB1")
    slack_api.revoke(WS.team_id)

    report = run_many(store, slack_api, tokens, policy=replace(FAST, workers=1))

    assert sorted(o.channel_id for o in report.posted) == ["CB0", "CB1"]
    assert sorted(o.channel_id for o in report.failed) == ["CA0", "CA1", "CA2"]
    # Slack refused the token once; the workspace's other posts were not attempted.
    assert sum(len(posts_to(slack_api, ch)) for ch in ("CA0", "CA1", "CA2")) == 1
    for sub in mine:  # released, not lost: posted once the workspace works again
        assert store.deliveries(subscription_id=sub.id) == []
    assert store.workspace(WS).subscription("CA0").receiving  # not paused
    assert_ledger_agrees_with_slack(store, slack_api)


def test_a_workspace_without_an_installation_stops_only_itself(store, slack_api):
    tokens = installed(slack_api, OTHER)
    subscribe(store, NOWHERE, "CX0", "CX1")
    subscribe(store, OTHER, "CB0")
    report = run_many(store, slack_api, tokens)
    assert [o.channel_id for o in report.posted] == ["CB0"]
    assert sorted(o.channel_id for o in report.failed) == ["CX0", "CX1"]
    assert posts_to(slack_api, "CX0") == posts_to(slack_api, "CX1") == []
    assert len(weekly_posts(slack_api, "CB0")) == 1


def test_a_lost_claim_is_reconciled_with_its_own_workspaces_token(store, slack_api):
    """The history is read, and the author checked, as the workspace's own bot."""
    tokens = installed(slack_api, WS, OTHER)
    (sub,) = subscribe(store, OTHER, "CB0")
    first = run_many(store, slack_api, tokens)
    assert len(first.posted) == 1
    # as if the process died after posting: the ledger forgets it was posted
    (row,) = store.deliveries(subscription_id=sub.id)
    with store.engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE deliveries SET state = 'claimed', message_ts = NULL, "
            "claimed_at = '2026-01-05 10:00:00+00:00'"
        )
    again = run_many(store, slack_api, tokens)
    assert [o.channel_id for o in again.reconciled] == ["CB0"]
    histories = slack_api.calls("conversations.history")
    assert histories and {bearer_of(c) for c in histories} == {tokens[OTHER]}
    # its own bot's ids, asked once with its own token
    assert len([c for c in slack_api.calls("auth.test") if bearer_of(c) == tokens[OTHER]]) == 1
    assert len(weekly_posts(slack_api, "CB0")) == 1
    assert row.message_ts
