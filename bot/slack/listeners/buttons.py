"""Buttons on tip messages: Share, Another tip, Show. Each is acknowledged at once
(a lazy listener); the reply goes through the message's `response_url`, which works
in private channels and DMs too."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext, Respond

from bot.catalogue.source import CatalogueSource
from bot.core import replies
from bot.core.render import blocks
from bot.core.render.tips import shared_tip, tip_reply
from bot.slack.payloads import BlockAction, workspace_of
from bot.slack.recent import RecentTips

RETIRED = "That tip has been retired from the catalogue."


def share_listener(*, catalogue: CatalogueSource) -> Callable[..., None]:
    def share(body: dict[str, Any], respond: Respond) -> None:
        click = BlockAction.parse(body)
        tip = catalogue.current().tip(click.value)
        if tip is None:
            message = blocks.notice(RETIRED)
            respond(replace_original=False, response_type="ephemeral", **message.as_kwargs())
            return
        shared = shared_tip(tip, shared_by=click.user_id)
        respond(response_type="in_channel", replace_original=False, **shared.as_kwargs())
        # Replace the ephemeral copy so its Share button cannot post the tip twice.
        done = blocks.notice(
            f":white_check_mark: You shared “{blocks.escape(tip.title)}” with the channel."
        )
        respond(replace_original=True, response_type="ephemeral", **done.as_kwargs())

    return share


def another_listener(
    *, catalogue: CatalogueSource, recent: RecentTips, rng: random.Random
) -> Callable[..., None]:
    def another(body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
        click = BlockAction.parse(body)
        reply = replies.another_tip(catalogue.current(), click.value, rng=rng)
        if reply.tip is not None:
            recent.remember(workspace_of(context), click.user_id, reply.tip.topic, reply.tip.id)
        # On an ephemeral reply, swap the tip in place; under a channel post (the
        # weekly insight), answer the person who clicked, privately.
        respond(
            replace_original=click.is_ephemeral,
            response_type="ephemeral",
            **reply.message.as_kwargs(),
        )

    return another


def show_listener(*, catalogue: CatalogueSource) -> Callable[..., None]:
    def show(body: dict[str, Any], respond: Respond) -> None:
        click = BlockAction.parse(body)
        tip = catalogue.current().tip(click.value)
        message = tip_reply(tip) if tip else blocks.notice(RETIRED)
        respond(
            replace_original=click.is_ephemeral, response_type="ephemeral", **message.as_kwargs()
        )

    return show
