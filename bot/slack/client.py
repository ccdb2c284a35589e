"""The one Web API client factory.

Two kinds of client are built from it. Listeners use one whose retry handlers
retry a refused connection, a 429 and a 5xx on their own. The weekly delivery
uses one without any (`retries=False`): it retries by itself, and looks in the
channel before posting again after an answer that never came.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler

from bot.slack.request_token import RequestTokenClient

RETRIES = 2  # per call, for each of the three kinds of failure


def web_client(
    *, token: str, base_url: str | None, retries: bool, timeout: int = 10, per_request: bool = False
) -> WebClient:
    """A client aimed at Slack, or at the stand-in `base_url` names (SLACK_API_BASE_URL).
    `per_request` (many workspaces): in a request, it calls with the request's token."""
    handlers: list[RetryHandler] = (
        [
            ConnectionErrorRetryHandler(max_retry_count=RETRIES),
            RateLimitErrorRetryHandler(max_retry_count=RETRIES),
            ServerErrorRetryHandler(max_retry_count=RETRIES),
        ]
        if retries
        else []
    )
    kind = RequestTokenClient if per_request else WebClient
    return kind(
        token=token or None,
        base_url=base_url or WebClient.BASE_URL,
        timeout=timeout,
        retry_handlers=handlers,
    )
