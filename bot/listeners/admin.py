"""`/pmtip reload` and `/pmtip preview <tip-id>`: commands for the admins who
curate the tips file. Handlers for bot.listeners.world; each takes (services,
command, body) and returns the message for the person who typed the command.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.core import grammar
from bot.core.render.admin import close_tip_ids, refusal, reload_reply, unknown_tip
from bot.core.render.blocks import Message
from bot.core.render.tips import preview as preview_message

if TYPE_CHECKING:
    from bot.slack_app import Services

log = logging.getLogger(__name__)


def _user_id(body: dict[str, Any]) -> str:
    return str(body.get("user_id") or "")


def refuse(services: Services, user_id: str, action: str) -> Message:
    """A polite no that names who can help; logged with who asked."""
    log.warning("refused %s for %s: not an admin", action, user_id)
    return refusal(action=action, who_can_help=services.users.who_can_help())


def reload(services: Services, command: grammar.Reload, body: dict[str, Any]) -> Message:
    user_id = _user_id(body)
    if not services.users.is_admin(user_id):
        return refuse(services, user_id, "reload the tips file")
    log.info("/pmtip reload by %s", user_id)
    outcome = services.catalogue.reload()
    return reload_reply(
        ok=outcome.ok,
        summary=outcome.summary,
        problems=outcome.problems,
        left_out=outcome.problems_left_out,
    )


def preview(services: Services, command: grammar.Preview, body: dict[str, Any]) -> Message:
    user_id = _user_id(body)
    if not services.users.is_admin(user_id):
        return refuse(services, user_id, "preview the weekly insight")
    catalogue = services.catalogue.current()
    wanted = command.tip_id.strip("`'\"").casefold()
    tip = catalogue.tip(wanted)
    if tip is None:
        return unknown_tip(command.tip_id, close_tip_ids(catalogue, wanted))
    return preview_message(tip)


HANDLERS: dict[type, Callable[..., Message]] = {
    grammar.Reload: reload,
    grammar.Preview: preview,
}
