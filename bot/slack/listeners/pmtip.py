"""`/pmtip`: lookups are answered inside the acknowledgement; commands that touch
Slack or the database are acknowledged at once and finished on the worker pool.

One listener, no matcher: Bolt builds every listener's and matcher's keyword
arguments on each request (tens of microseconds apiece), and a lazy listener
would copy the request and take a thread even for a lookup. So the command is
parsed once here, bot.slack.commands routes it, and only the commands that
need it go to the worker pool.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.core import grammar
from bot.core.render import blocks
from bot.slack.commands import AfterAck, Route
from bot.slack.payloads import SlashCommand, workspace_of

log = logging.getLogger(__name__)

COMMAND = "/pmtip"
SORRY = "Sorry, something went wrong on my side. Please try again in a minute."

Router = Callable[[grammar.Command], Route]


def pmtip_listener(*, route: Router, background: Executor) -> Callable[..., None]:
    def pmtip(ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
        request = SlashCommand.parse(body, workspace=workspace_of(context))
        command = grammar.parse(request.text)
        chosen = route(command)
        if isinstance(chosen, AfterAck):
            ack()  # within Slack's 3 seconds, before any Slack or database call
            background.submit(finish, chosen, command, request, respond)
            return
        ack(response_type="ephemeral", **chosen.answer(request).as_kwargs())

    return pmtip


def finish(
    chosen: AfterAck, command: grammar.Command, request: SlashCommand, respond: Respond
) -> None:
    """On the worker pool: answer, and say so through response_url."""
    name = type(command).__name__
    try:
        message = chosen.answer(request)
    except Exception:  # one bad command must not leave the person without an answer
        log.exception("/pmtip %s failed", name)
        message = blocks.notice(SORRY)
    try:
        respond(response_type="ephemeral", replace_original=False, **message.as_kwargs())
    except Exception:  # the pool drops exceptions: log it, or nobody ever knows
        log.exception("could not answer /pmtip %s through response_url", name)
