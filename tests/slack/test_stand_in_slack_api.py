"""The stand-in Slack Web API behaves as later tests rely on, seen through the
real slack_sdk client: auth, recording, history with metadata, faults, handlers."""

from __future__ import annotations

import socket
import threading
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from tests.support.network import NetworkBlocked

TOKEN = "xoxb-stand-in-test"


@pytest.fixture
def client(slack_api) -> WebClient:
    return WebClient(token=TOKEN, base_url=slack_api.base_url, timeout=2)


def test_calls_without_a_token_are_not_authed(slack_api):
    anonymous = WebClient(base_url=slack_api.base_url)
    with pytest.raises(SlackApiError) as refused:
        anonymous.auth_test()
    assert refused.value.response["error"] == "not_authed"


def test_a_token_other_than_the_expected_one_is_invalid(slack_api, client):
    slack_api.token = "xoxb-the-real-one"
    with pytest.raises(SlackApiError) as refused:
        client.auth_test()
    assert refused.value.response["error"] == "invalid_auth"


def test_every_call_is_recorded_with_params_and_headers(slack_api, client):
    client.auth_test()
    client.chat_postMessage(channel="C1", text="hello", blocks=[{"type": "divider"}])
    auth, post = slack_api.calls()
    assert auth.method == "auth.test"
    assert auth.headers["authorization"] == f"Bearer {TOKEN}"
    assert post.params["channel"] == "C1"
    assert post.params["blocks"] == [{"type": "divider"}]
    assert slack_api.calls("chat.postMessage") == [post]


def test_posted_messages_get_increasing_ts_and_come_back_in_history(slack_api, client):
    metadata = {"event_type": "pmtip_weekly", "event_payload": {"slot": "2026-W48"}}
    first = client.chat_postMessage(channel="C1", text="one", metadata=metadata)
    second = client.chat_postMessage(channel="C1", text="two")
    assert float(second["ts"]) > float(first["ts"])

    plain = client.conversations_history(channel="C1")["messages"]
    assert [m["text"] for m in plain] == ["two", "one"]  # newest first, as Slack does
    assert all("metadata" not in m for m in plain)
    rich = client.conversations_history(channel="C1", include_all_metadata=True)["messages"]
    assert rich[1]["metadata"] == metadata
    assert client.conversations_history(channel="C2")["messages"] == []


def test_users_can_be_configured_and_unknown_users_are_in_utc(slack_api, client):
    slack_api.users["UADMIN"] = {"tz": "Europe/Berlin", "is_admin": True}
    assert client.users_info(user="UADMIN")["user"]["tz"] == "Europe/Berlin"
    assert client.users_info(user="UADMIN")["user"]["is_admin"] is True
    assert client.users_info(user="USOMEONE")["user"]["tz"] == "UTC"


def test_unknown_methods_fail_like_slack(client):
    with pytest.raises(SlackApiError) as refused:
        client.api_call("pins.add", json={"channel": "C1"})
    assert refused.value.response["error"] == "unknown_method"


def test_a_slack_error_fault_is_served_once_then_normal_answers_resume(slack_api, client):
    slack_api.fail("chat.postMessage", error="is_archived", when=lambda p: p["channel"] == "C9")
    client.chat_postMessage(channel="C1", text="other channels are unaffected")
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C9", text="x")
    assert refused.value.response["error"] == "is_archived"
    assert client.chat_postMessage(channel="C9", text="x")["ok"]


def test_a_rate_limit_fault_carries_retry_after_and_slack_sdk_retries_it(slack_api):
    slack_api.fail("chat.postMessage", status=429, retry_after=0, times=1)
    client = WebClient(
        token=TOKEN,
        base_url=slack_api.base_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    assert client.chat_postMessage(channel="C1", text="x")["ok"]
    limited, answered = slack_api.calls("chat.postMessage")
    assert (limited.status, answered.status) == (429, 200)


def test_a_delay_fault_makes_the_client_time_out(slack_api):
    slack_api.fail("chat.postMessage", delay=0.8)
    impatient = WebClient(token=TOKEN, base_url=slack_api.base_url, timeout=0.3)
    with pytest.raises(TimeoutError):
        impatient.chat_postMessage(channel="C1", text="x")


def test_a_handler_takes_over_a_method(slack_api, client):
    slack_api.set_handler("chat.postMessage", lambda params: (200, {}, {"ok": True, "ts": "1.1"}))
    assert client.chat_postMessage(channel="C1", text="x")["ts"] == "1.1"


def test_faults_are_consumed_exactly_once_under_concurrency(slack_api, client):
    slack_api.fail("chat.postMessage", error="channel_not_found", times=5)
    errors: list[str] = []

    def post() -> None:
        try:
            client.chat_postMessage(channel="C1", text="x")
        except SlackApiError as error:
            errors.append(error.response["error"])

    threads = [threading.Thread(target=post) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == ["channel_not_found"] * 5
    assert len(slack_api.calls("chat.postMessage")) == 20


def test_response_urls_record_what_was_posted_to_them(slack_api):
    WebhookClient(slack_api.response_url("abc")).send(text="hi", response_type="in_channel")
    (call,) = slack_api.wait_for_responses("abc")
    assert call.params == {"text": "hi", "response_type": "in_channel"}
    assert slack_api.responses("other") == []


def test_wait_for_says_what_it_saw_when_nothing_comes(slack_api, client):
    client.auth_test()
    with pytest.raises(AssertionError, match=r"calls seen: auth\.test"):
        slack_api.wait_for("chat.postMessage", timeout=0.1)


def test_the_network_beyond_loopback_is_out_of_reach(slack_api):
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("192.0.2.1", 80), timeout=1)  # TEST-NET-1, never routed
    with urllib.request.urlopen(slack_api.base_url.replace("/api/", "/response/x"), b"{}") as r:
        assert r.status == 200


# -- Slack's documented argument limits ----------------------------------------------------


def refusal(call) -> str | None:
    try:
        call()
    except SlackApiError as error:
        return error.response["error"]
    return None


@pytest.mark.parametrize(
    ("method", "arguments"),
    [
        ("users_conversations", {"user": "U1"}),
        ("users_list", {}),
        ("conversations_history", {"channel": "C1"}),
    ],
)
def test_a_page_limit_above_999_is_refused_as_slack_does(client, method, arguments):
    call = getattr(client, method)
    assert refusal(lambda: call(limit=999, **arguments)) is None
    assert refusal(lambda: call(**arguments)) is None  # Slack's default page size
    assert refusal(lambda: call(limit=1000, **arguments)) == "invalid_limit"
    assert refusal(lambda: call(limit=0, **arguments)) == "invalid_limit"


def test_messages_and_views_outside_slacks_limits_are_refused(client):
    divider = {"type": "divider"}
    assert refusal(lambda: client.chat_postMessage(channel="C1", text="ok")) is None
    too_long = "x" * 40_001
    assert refusal(lambda: client.chat_postMessage(channel="C1", text=too_long)) == "msg_too_long"
    many = [divider] * 51
    assert refusal(lambda: client.chat_postMessage(channel="C1", text="t", blocks=many)) == (
        "invalid_blocks"
    )
    assert refusal(lambda: client.chat_postMessage(channel="C1", text="")) == "no_text"
    bad_metadata = {"event_payload": {}}
    assert refusal(
        lambda: client.chat_postMessage(channel="C1", text="t", metadata=bad_metadata)
    ) == ("invalid_metadata_format")
    home = {"type": "home", "blocks": [divider] * 100}
    assert refusal(lambda: client.views_publish(user_id="U1", view=home)) is None
    home_too_big = {"type": "home", "blocks": [divider] * 101}
    assert refusal(lambda: client.views_publish(user_id="U1", view=home_too_big)) == (
        "invalid_arguments"
    )
    assert refusal(lambda: client.users_conversations(types="public_channel,dm")) == (
        "invalid_arguments"
    )


def test_posting_where_the_bot_is_not_a_member_fails_like_slack(slack_api, client):
    slack_api.channels["CPUBLIC"] = {"is_member": False}
    slack_api.channels["GPRIVATE"] = {"is_member": False, "is_private": True}
    assert refusal(lambda: client.chat_postMessage(channel="CPUBLIC", text="t")) == (
        "not_in_channel"
    )
    assert refusal(lambda: client.chat_postMessage(channel="GPRIVATE", text="t")) == (
        "channel_not_found"
    )
    slack_api.scopes = slack_api.scopes | {"chat:write.public"}
    assert refusal(lambda: client.chat_postMessage(channel="CPUBLIC", text="t")) is None
