"""What Bolt answers when a request makes a matcher, middleware or listener raise.

Bolt's own answer is an empty 500. Signed requests whose JSON has the wrong
shape (a string where `actions`, `view` or `event` should be) get there: Bolt's
built-in matchers index into them unchecked. A slash command gets a polite
ephemeral reply, so the person is not left with `dispatch_failed`; anything
else gets a plain 400.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltResponse

from bot.core.render import blocks
from bot.slack.listeners.pmtip import SORRY

log = logging.getLogger(__name__)


def answer_failure(error: Exception, body: Any) -> BoltResponse:
    is_command = isinstance(body, dict) and isinstance(body.get("command"), str)
    log.error(
        "a %s failed: %s: %s",
        "slash command" if is_command else "request",
        type(error).__name__,
        error,
        exc_info=error,
    )
    if is_command:
        message = blocks.notice(SORRY)
        return BoltResponse(status=200, body={"response_type": "ephemeral", **message.as_kwargs()})
    return BoltResponse(status=400, body="bad request")
