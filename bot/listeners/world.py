"""The `/pmtip` commands that need Slack or the database, by command type.

Each handler takes the services, the parsed command and the request body and
returns the message to send back to the person who typed the command.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.core import grammar
from bot.core.render import blocks
from bot.core.render.blocks import Message
from bot.listeners import admin, subscriptions

if TYPE_CHECKING:
    from bot.slack_app import Services

Handler = Callable[["Services", Any, dict[str, Any]], Message]

HANDLERS: dict[type, Handler] = {
    **subscriptions.HANDLERS,  # subscribe, unsubscribe, schedule, post-now, stats
    **admin.HANDLERS,  # reload, preview
}


def handle(services: Services, command: grammar.Command, body: dict[str, Any]) -> Message:
    handler = HANDLERS.get(type(command))
    if handler is None:
        return blocks.notice("That command is not available in this version of pmtip yet.")
    return handler(services, command, body)
