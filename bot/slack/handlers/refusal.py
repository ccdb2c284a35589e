"""The answer to someone who is not an admin, for every command that needs one."""

from __future__ import annotations

import logging

from bot.core.render.admin import refusal
from bot.core.render.blocks import Message
from bot.slack.users import Users

log = logging.getLogger(__name__)


def refuse(users: Users, *, user_id: str, action: str) -> Message:
    """A polite no that names who can help; logged with who asked."""
    log.warning("refused %s for %s: not an admin", action, user_id)
    return refusal(action=action, who_can_help=users.who_can_help())
