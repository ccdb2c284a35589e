"""Looking for a week's post in the channel's history: the evidence reconciliation
and re-posting go by. Only a message this bot wrote counts (anyone can copy the
metadata); when the bot's own ids cannot be learnt, such a message is unreadable
evidence, not proof."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.core.delivery_rules import Found, History, Look, carries_slot, history_error
from bot.core.slot_outcomes import Result
from bot.slack.limits import CONVERSATIONS_HISTORY_PAGE
from bot.slack.paging import pages
from bot.store.base import DeliveryState, Subscription
from bot.weekly.run import Run

log = logging.getLogger(__name__)


def look_for_post(run: Run, sub: Subscription, slot_key: str) -> Look:
    """The week's post if the channel has it, else what the history says.

    A channel Slack says is gone (archived, not found, the bot removed) is closed
    here: its claim as failed, its subscription paused (History.CHANNEL_GONE)."""
    client, identity = run.client_of(sub), run.identity_of(sub)
    if client is None or identity is None:  # no usable token: nothing can be read
        log.warning("%s: no usable token for workspace %s", sub.channel_id, sub.workspace)
        return History.UNREADABLE
    try:
        for page in pages(
            client.conversations_history,
            max_pages=run.policy.history_pages,
            channel=sub.channel_id,
            limit=CONVERSATIONS_HISTORY_PAGE,
            include_all_metadata=True,
        ):
            for message in page.get("messages") or []:
                if not carries_slot(message, subscription_id=sub.id, slot_key=slot_key):
                    continue
                known = identity.get()
                if known is None:
                    log.warning(
                        "%s %s: a message carries this week's metadata, but auth.test cannot "
                        "say whether this bot wrote it",
                        sub.channel_id,
                        slot_key,
                    )
                    return History.UNREADABLE
                if known.wrote(message):
                    return Found(str(message.get("ts")))
    except SlackApiError as error:
        code = str(error.response.get("error") or "")
        look = history_error(code)
        if look is History.CHANNEL_GONE:
            close_for_good(run, sub, slot_key, code)
        else:
            log.warning(
                "%s: conversations.history failed: %s",
                sub.channel_id,
                code or error.response.status_code,
            )
        return look
    except OSError as error:
        log.warning("%s: conversations.history failed: %s", sub.channel_id, error)
        return History.UNREADABLE
    return History.NOT_FOUND


def close_for_good(run: Run, sub: Subscription, slot_key: str, code: str) -> None:
    # An earlier attempt may have landed before the channel went: the row says the
    # outcome is unknown, so subscribing again does not reopen the week (bot.core.owed).
    for delivery in run.store.deliveries(keys=[(sub.id, slot_key)]):
        if delivery.state is DeliveryState.CLAIMED and delivery.claim_token:
            run.store.mark_failed(
                subscription_id=sub.id,
                slot_key=slot_key,
                token=delivery.claim_token,
                reason=f"{code} while checking the history; outcome unknown",
                now=run.now,
            )
    run.store.pause(subscription_id=sub.id, reason=code, now=run.now)
    log.warning("paused the subscription of %s: Slack answered %s", sub.channel_id, code)
    run.add(Result.PAUSED, sub, slot_key, detail=code)
