"""Cursor pagination, written once: the pages of a Web API method that Slack splits
with `response_metadata.next_cursor`, up to a bound the caller chooses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from slack_sdk.web import SlackResponse


def pages(
    method: Callable[..., SlackResponse], *, max_pages: int, **arguments: Any
) -> Iterator[SlackResponse]:
    """Each page `method(**arguments)` returns, following the cursor until Slack gives
    none (or says `has_more: false`), or `max_pages` have been read. Errors propagate."""
    cursor: str | None = None
    for _ in range(max_pages):
        page = method(cursor=cursor, **arguments)
        yield page
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor or page.get("has_more") is False:
            return
