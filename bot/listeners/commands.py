"""`/pmtip`: lookups are answered inside the acknowledgement; commands that touch
Slack or the database are acknowledged at once and finished in the background.

One listener, no matcher: Bolt builds every listener's and matcher's keyword
arguments on each request (tens of microseconds apiece), and a lazy listener
would copy the request and take a thread even for a lookup. So the command is
parsed once here, and only the commands that need it go to the worker pool.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond

from bot.core import grammar, replies
from bot.core.render import blocks
from bot.listeners import world

if TYPE_CHECKING:
    from bot.slack_app import Services

log = logging.getLogger(__name__)

COMMAND = "/pmtip"
LOOKUPS = (
    grammar.RandomTip,
    grammar.Lookup,
    grammar.Search,
    grammar.ListTopics,
    grammar.Help,
    grammar.Invalid,
)


UNAVAILABLE = (
    "The tips are unavailable right now: the tips file has a mistake and the admins have "
    "been told. Please try again later."
)


def _parsed(body: dict[str, Any]) -> grammar.Command:
    return grammar.parse(str(body.get("text") or ""))


def register(app: App, services: Services) -> None:
    app.command(COMMAND)(pmtip_listener(services))


def pmtip_listener(services: Services) -> Callable[..., None]:
    answer_lookup = lookup_answerer(services)
    finish = world_finisher(services)

    def pmtip(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        command = _parsed(body)
        if isinstance(command, LOOKUPS):
            answer_lookup(ack, body, command)
            return
        ack()  # within Slack's 3 seconds, before any Slack or database call
        services.background.submit(finish, body, command, respond)

    return pmtip


def lookup_answerer(services: Services) -> Callable[..., None]:
    def answer_lookup(ack: Ack, body: dict[str, Any], command: grammar.Command) -> None:
        user_id = str(body.get("user_id") or "")
        catalogue = services.catalogue.current()  # one catalogue for the whole request
        if not services.catalogue.has_catalogue and not isinstance(command, grammar.Help):
            # The tips file was bad at start: say so plainly (the admins got a DM).
            ack(response_type="ephemeral", **blocks.notice(UNAVAILABLE).as_kwargs())
            return
        scope = "*"
        if isinstance(command, grammar.Lookup) and (
            topic := catalogue.resolve_topic(command.query)
        ):
            scope = topic.slug
        reply = replies.answer(
            catalogue,
            command,  # type: ignore[arg-type]  # a lookup: checked by the caller
            last_tip_id=services.recent.last(user_id, scope),
            rng=services.rng,
            is_admin=services.users.known_admin(user_id),  # shows the admin commands in help
        )
        if reply.tip is not None:
            services.recent.remember(user_id, scope, reply.tip.id)
        ack(response_type="ephemeral", **reply.message.as_kwargs())

    return answer_lookup


def world_finisher(services: Services) -> Callable[..., None]:
    def run_command(body: dict[str, Any], command: grammar.Command, respond: Respond) -> None:
        try:
            message = world.handle(services, command, body)
        except Exception:  # one bad command must not leave the person without an answer
            log.exception("/pmtip %s failed", type(command).__name__)
            message = blocks.notice(
                "Sorry, something went wrong on my side. Please try again in a minute."
            )
        try:
            respond(response_type="ephemeral", replace_original=False, **message.as_kwargs())
        except Exception:  # the pool drops exceptions: log it, or nobody ever knows
            log.exception("could not answer /pmtip %s through response_url", type(command).__name__)

    return run_command
