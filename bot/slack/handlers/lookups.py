"""The lookups: a tip, a search, the topics, help. Answered inside the acknowledgement,
so they never call Slack or the database (bot.core.replies decides)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from bot.catalogue.source import CatalogueSource
from bot.core import grammar, replies
from bot.core.render import blocks
from bot.core.render.blocks import Message
from bot.slack.payloads import SlashCommand
from bot.slack.recent import RecentTips
from bot.slack.users import Users

UNAVAILABLE = (
    "The tips are unavailable right now: the tips file has a mistake and the admins have "
    "been told. Please try again later."
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Lookups:
    catalogue: CatalogueSource
    recent: RecentTips
    rng: random.Random
    users: Users

    def answer(self, command: replies.LookupCommand, request: SlashCommand) -> Message:
        catalogue = self.catalogue.current()  # one catalogue for the whole request
        if not self.catalogue.has_catalogue and not isinstance(command, grammar.Help):
            # The tips file was bad at start: say so plainly (the admins got a DM).
            return blocks.notice(UNAVAILABLE)
        scope = "*"
        if isinstance(command, grammar.Lookup) and (
            topic := catalogue.resolve_topic(command.query)
        ):
            scope = topic.slug
        user_id, workspace = request.user_id, request.workspace
        reply = replies.answer(
            catalogue,
            command,
            last_tip_id=self.recent.last(workspace, user_id, scope),
            rng=self.rng,
            is_admin=self.users.known_admin(user_id),  # shows the admin commands in help
        )
        if reply.tip is not None:
            self.recent.remember(workspace, user_id, scope, reply.tip.id)
        return reply.message
