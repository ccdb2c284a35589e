"""Buttons on tip messages: Share, Another tip, Show, and the topics offered when
nothing matched. Each is acknowledged at once
(a lazy listener); the reply goes through the message's `response_url`, which works
in private channels and DMs too."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext, Respond

from bot.catalogue.source import CatalogueSource
from bot.core import grammar, replies
from bot.core.render import blocks
from bot.core.render.tips import shared_tip, tip_reply
from bot.slack.payloads import BlockAction, workspace_of
from bot.slack.recent import RecentTips

RETIRED = "That tip has been retired from the catalogue."
# `pmtip_topic.<n>`: one listener for every topic a no-match reply offers.
TOPIC_BUTTON = re.compile(rf"^{re.escape(blocks.TOPIC)}\.\d+$")


def tip_buttons(
    *, catalogue: CatalogueSource, recent: RecentTips, rng: random.Random
) -> dict[str, Callable[..., None]]:
    """The listeners of these buttons, by their names in bot.slack.routes.Listeners."""
    return {
        "share": share_listener(catalogue=catalogue),
        "another": another_listener(catalogue=catalogue, recent=recent, rng=rng),
        "show": show_listener(catalogue=catalogue),
        "topic": topic_listener(catalogue=catalogue, recent=recent, rng=rng),
    }


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


def topic_listener(
    *, catalogue: CatalogueSource, recent: RecentTips, rng: random.Random
) -> Callable[..., None]:
    def open_topic(body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
        click = BlockAction.parse(body)
        slug, workspace = click.value, workspace_of(context)
        # As `/pmtip <slug>` answers it; a topic gone since says so, with suggestions.
        reply = replies.answer(
            catalogue.current(),
            grammar.Lookup(slug),
            last_tip_id=recent.last(workspace, click.user_id, slug),
            rng=rng,
        )
        if reply.tip is not None:
            recent.remember(workspace, click.user_id, slug, reply.tip.id)
        respond(
            replace_original=click.is_ephemeral,
            response_type="ephemeral",
            **reply.message.as_kwargs(),
        )

    return open_topic
