"""Who is an admin: the settings, plus what Slack's users.info says, cached for a while."""

from __future__ import annotations

from bot.settings import load_settings
from bot.slack.users import Users
from bot.wiring import listener_client
from tests.support.slack_api import FakeSlackApi


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def directory(api: FakeSlackApi, clock: Clock, admins: frozenset[str] = frozenset()):
    settings = load_settings(
        {"SLACK_BOT_TOKEN": "xoxb-admins", "SLACK_API_BASE_URL": api.base_url}, mode="offline"
    )
    return Users(listener_client(settings), admin_ids=admins, monotonic=clock)


def test_workspace_admin_status_is_cached_for_five_minutes_then_asked_again(slack_api):
    clock = Clock()
    users = directory(slack_api, clock)
    slack_api.users["UW"] = {"is_admin": True}
    assert users.is_admin("UW")
    slack_api.users["UW"] = {"is_admin": False}  # demoted in Slack
    clock.now += 299
    assert users.is_admin("UW")  # still cached
    assert len(slack_api.calls("users.info")) == 1
    clock.now += 2
    assert not users.is_admin("UW")
    assert len(slack_api.calls("users.info")) == 2


def test_configured_admins_need_no_slack_call_and_known_admin_never_calls_slack(slack_api):
    users = directory(slack_api, Clock(), admins=frozenset({"UBOSS"}))
    assert users.is_admin("UBOSS") and users.known_admin("UBOSS")
    assert not users.known_admin("USOMEONE")
    assert slack_api.calls("users.info") == []


def test_a_slack_error_falls_back_to_the_settings(slack_api):
    users = directory(slack_api, Clock(), admins=frozenset({"UBOSS"}))
    slack_api.fail("users.info", error="user_not_found", times=2)
    assert not users.is_admin("UX")
    assert users.user("UX").timezone is None


def test_one_definition_of_admin_for_a_command_and_for_the_tips_file_notices(slack_api):
    """users.info (a command's sender) and users.list (everyone told about a refused
    edit) come to the same answer for every kind of person."""
    slack_api.users.update(
        {
            "UADMIN": {"is_admin": True},
            "UOWNER": {"is_owner": True},
            "UPRIMARY": {"is_primary_owner": True},
            "UGONE": {"is_admin": True, "deleted": True},
            "UBOT": {"is_admin": True, "is_bot": True},
            "UMEMBER": {},
        }
    )
    users = directory(slack_api, Clock(), admins=frozenset({"UCONFIGURED"}))
    listed = set(users.admins())
    asked = {uid for uid in [*slack_api.users, "UCONFIGURED"] if users.is_admin(uid)}
    assert listed == asked == {"UADMIN", "UOWNER", "UPRIMARY", "UCONFIGURED"}
