"""Many workspaces, the weekly post: each subscription is posted with its own workspace's
token (bot.weekly.workspaces), and one workspace without a usable token (uninstalled,
revoked, a refresh that failed) never stops the others' posts.

Each subscription's workspace is the one its row belongs to
(bot.weekly.workspaces.subscription_workspace)."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from bot.core.workspace import Workspace
from bot.weekly.post_due import post_due
from bot.weekly.workspaces import WorkspaceSlack, subscription_workspace
from tests.weekly.helpers import (
    CATALOGUE,
    FAST,
    MONDAY_9_NEW_YORK,
    MONDAY_SLOT,
    SUBSCRIBED_AT,
    weekly_posts,
)


def installed_token(api, team_id: str) -> str:
    """The bot token the stand-in gives `team_id` at install (oauth.v2.access)."""
    oauth = WebClient(base_url=api.base_url)
    answer = oauth.oauth_v2_access(
        client_id=api.client_id, client_secret=api.client_secret, code=api.install_code(team_id)
    )
    return str(answer["access_token"])


def subscribe_all(store, channels):
    """Each channel subscribed in the workspace its name says: CT2-1 in T2."""
    return [
        store.workspace(Workspace(by_channel_id(channel))).subscribe(
            channel_id=channel,
            schedule=MONDAY_9_NEW_YORK,
            topics=(),
            subscribed_by="UADMIN",
            now=SUBSCRIBED_AT,
        )
        for channel in channels
    ]


@pytest.fixture
def workspaces(slack_api):
    tokens = {team: installed_token(slack_api, team) for team in ("T2", "T3")}
    looked_up: list[Workspace] = []

    def token_for(workspace: Workspace) -> str | None:
        looked_up.append(workspace)
        return tokens.get(workspace.team_id)  # T4 never installed

    slack = WorkspaceSlack(
        workspace_of=subscription_workspace,
        token_for=token_for,
        client_with=lambda token: WebClient(
            token=token, base_url=slack_api.base_url, timeout=2, retry_handlers=[]
        ),
    )
    return slack, tokens, looked_up


def post(store, slack_api, slack):
    nobody = WebClient(token="xoxb-not-any-workspace", base_url=slack_api.base_url)
    return post_due(
        store=store,
        client=nobody,  # never used: each workspace has its own
        catalogue=CATALOGUE,
        now=MONDAY_SLOT,
        catchup_hours=12,
        policy=FAST,
        workspaces=slack,
    )


def test_each_subscription_is_posted_with_its_own_workspaces_token(store, slack_api, workspaces):
    slack, tokens, _ = workspaces
    subscribe_all(store, ["CT2-1", "CT2-2", "CT3-1"])
    report = post(store, slack_api, slack)
    assert len(report.posted) == 3
    for call in slack_api.calls("chat.postMessage"):
        team = by_channel_id(call.params["channel"])
        assert call.headers["authorization"] == f"Bearer {tokens[team]}"
    assert slack_api.calls("auth.test") == []  # nothing in doubt: no need to ask who we are


def by_channel_id(channel: str) -> str:
    return channel.split("-")[0].removeprefix("C")


def test_a_workspace_without_a_token_is_skipped_and_the_others_are_posted(
    store, slack_api, workspaces
):
    slack, _, _ = workspaces
    subscribe_all(store, ["CT2-1", "CT4-1", "CT4-2", "CT3-1"])
    report = post(store, slack_api, slack)
    assert {o.channel_id for o in report.posted} == {"CT2-1", "CT3-1"}
    assert weekly_posts(slack_api, "CT4-1") == [] and weekly_posts(slack_api, "CT4-2") == []
    assert {o.channel_id for o in report.failed} == {"CT4-1", "CT4-2"}  # said, not lost


def test_a_revoked_token_stops_only_its_workspace(store, slack_api, workspaces):
    slack, _, _ = workspaces
    subscribe_all(store, ["CT2-1", "CT2-2", "CT3-1", "CT3-2"])
    slack_api.revoke("T2")
    report = post(store, slack_api, slack)
    assert {o.channel_id for o in report.posted} == {"CT3-1", "CT3-2"}
    refused = [
        c for c in slack_api.calls("chat.postMessage") if c.params["channel"].startswith("CT2")
    ]
    assert len(refused) <= 2  # at most the posts already under way when the refusal came


def test_the_bot_that_wrote_a_post_is_the_workspaces_own_bot(slack_api, workspaces):
    slack, _, _ = workspaces

    class Sub:
        workspace = Workspace("T3")

    identity = slack.identity(Sub()).get()
    assert identity is not None and identity.bot_id == "BBOTT3"


def test_a_subscription_posts_to_the_workspace_its_row_belongs_to(store):
    (sub,) = subscribe_all(store, ["CT3-9"])
    assert subscription_workspace(sub) == Workspace("T3")
