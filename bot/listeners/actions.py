"""Buttons on tip messages. Each is acknowledged at once; the reply goes through
the message's `response_url`, which works in private channels and DMs too."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond

from bot.core import replies
from bot.core.render import blocks
from bot.core.render.tips import shared_tip, tip_reply
from bot.listeners import subscriptions

if TYPE_CHECKING:
    from bot.slack_app import Services

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    app.action(blocks.SHARE)(ack=_ack_now, lazy=[share_listener(services)])
    app.action(blocks.ANOTHER)(ack=_ack_now, lazy=[another_listener(services)])
    app.action(blocks.SHOW)(ack=_ack_now, lazy=[show_listener(services)])
    for action_id, vote in subscriptions.VOTES.items():  # feedback on the weekly insight
        app.action(action_id)(ack=_ack_now, lazy=[subscriptions.vote_listener(services, vote)])


def _ack_now(ack: Ack) -> None:
    ack()


def _action(body: dict[str, Any]) -> tuple[str, str]:
    """(user id, button value) of a block_actions payload."""
    action = (body.get("actions") or [{}])[0]
    return str((body.get("user") or {}).get("id") or ""), str(action.get("value") or "")


def _is_ephemeral(body: dict[str, Any]) -> bool:
    return bool((body.get("container") or {}).get("is_ephemeral"))


def share_listener(services: Services) -> Callable[..., None]:
    def share(body: dict[str, Any], respond: Respond) -> None:
        user_id, tip_id = _action(body)
        tip = services.catalogue.current().tip(tip_id)
        if tip is None:
            respond(
                replace_original=False,
                response_type="ephemeral",
                **blocks.notice("That tip has been retired from the catalogue.").as_kwargs(),
            )
            return
        respond(
            response_type="in_channel",
            replace_original=False,
            **shared_tip(tip, shared_by=user_id).as_kwargs(),
        )
        # Replace the ephemeral copy so its Share button cannot post the tip twice.
        respond(
            replace_original=True,
            response_type="ephemeral",
            **blocks.notice(
                f":white_check_mark: You shared “{blocks.escape(tip.title)}” with the channel."
            ).as_kwargs(),
        )

    return share


def another_listener(services: Services) -> Callable[..., None]:
    def another(body: dict[str, Any], respond: Respond) -> None:
        user_id, tip_id = _action(body)
        reply = replies.another_tip(services.catalogue.current(), tip_id, rng=services.rng)
        if reply.tip is not None:
            services.recent.remember(user_id, reply.tip.topic, reply.tip.id)
        # On an ephemeral reply, swap the tip in place; under a channel post (the
        # weekly insight), answer the person who clicked, privately.
        respond(
            replace_original=_is_ephemeral(body),
            response_type="ephemeral",
            **reply.message.as_kwargs(),
        )

    return another


def show_listener(services: Services) -> Callable[..., None]:
    def show(body: dict[str, Any], respond: Respond) -> None:
        _, tip_id = _action(body)
        tip = services.catalogue.current().tip(tip_id)
        message = (
            tip_reply(tip)
            if tip
            else blocks.notice("That tip has been retired from the catalogue.")
        )
        respond(
            replace_original=_is_ephemeral(body), response_type="ephemeral", **message.as_kwargs()
        )

    return show
