"""The App Home tab: published when someone opens it (bot.slack.handlers.home), and
its topic buttons.

A Home-tab button has no response_url, so the tip a topic button asks for goes
to the person as a direct message (chat.postMessage to their user id).
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.catalogue.source import CatalogueSource
from bot.core import grammar, replies
from bot.core.render.blocks import HOME_TOPIC
from bot.core.render.tips import topic_tip
from bot.slack.handlers.home import HomeTab
from bot.slack.payloads import BlockAction, HomeOpened, workspace_of
from bot.slack.recent import RecentTips

log = logging.getLogger(__name__)

TOPIC_BUTTON = re.compile(rf"^{re.escape(HOME_TOPIC)}(\.\d+)?$")


def home_opened_listener(*, home: HomeTab) -> Callable[..., None]:
    def home_opened(event: dict[str, Any], context: BoltContext) -> None:
        opened = HomeOpened.parse(event)
        if opened.tab != "home":
            return  # the Messages tab fires the same event
        if opened.user_id:
            home.publish(opened.user_id, workspace=workspace_of(context))

    return home_opened


def topic_button_listener(
    *, catalogue: CatalogueSource, recent: RecentTips, rng: random.Random, client: WebClient
) -> Callable[..., None]:
    def send_topic_tip(body: dict[str, Any], context: BoltContext) -> None:
        click = BlockAction.parse(body)
        user_id, slug, workspace = click.user_id, click.value, workspace_of(context)
        if not user_id:
            return
        reply = replies.answer(
            catalogue.current(),
            grammar.Lookup(slug),
            last_tip_id=recent.last(workspace, user_id, slug),
            rng=rng,
        )
        message = reply.message
        if reply.tip is not None:
            recent.remember(workspace, user_id, slug, reply.tip.id)
            message = topic_tip(reply.tip)
        try:
            client.chat_postMessage(channel=user_id, **message.as_kwargs())
        except (SlackApiError, OSError) as error:  # a timeout too: log it, never raise
            reason = error.response.get("error") if isinstance(error, SlackApiError) else error
            log.warning("sending a Home-tab tip to %s failed: %s", user_id, reason)

    return send_topic_tip
