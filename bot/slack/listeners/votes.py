"""The "Useful" and "Not for me" buttons on the weekly insight: the vote is saved,
and the person (only) is thanked, or told plainly that it was not saved."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt import BoltContext, Respond

from bot.catalogue.source import CatalogueSource
from bot.core.feedback import Vote
from bot.core.render.weekly import vote_not_saved, vote_noted, vote_on_retired_tip
from bot.slack.payloads import BlockAction, workspace_of
from bot.store.base import Store, StoreError

log = logging.getLogger(__name__)


def vote_listener(
    *, vote: Vote, catalogue: CatalogueSource, store: Store, now: Callable[[], datetime]
) -> Callable[..., None]:
    def record_vote(body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
        click = BlockAction.parse(body)
        if not click.user_id or not click.value:
            return
        if catalogue.current().tip(click.value) is None:
            # Only tips pmtip has are counted: a forged or retired id must not reach stats.
            message = vote_on_retired_tip()
        else:
            try:  # the store waits out another writer up to its deadline, then fails aloud
                before = store.workspace(workspace_of(context)).record_vote(
                    user_id=click.user_id,
                    tip_id=click.value,
                    vote=vote,
                    channel_id=click.channel_id,
                    now=now(),
                )
            except StoreError as error:
                log.error(
                    "the vote of %s on %s was not saved: %s", click.user_id, click.value, error
                )
                message = vote_not_saved()
            else:
                message = vote_noted(vote, before=before)
        # Ephemeral and never replacing: the weekly post belongs to the whole channel.
        respond(response_type="ephemeral", replace_original=False, **message.as_kwargs())

    return record_vote
