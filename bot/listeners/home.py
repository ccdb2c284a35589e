"""The App Home tab: published when someone opens it, and its topic buttons.

A Home-tab button has no response_url, so the tip a topic button asks for goes
to the person as a direct message (chat.postMessage to their user id).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError

from bot.core import grammar, replies
from bot.core.feedback import TipStats
from bot.core.render import blocks
from bot.core.render.home import CatalogueStatus, ChannelPost, home_view
from bot.core.render.tips import topic_tip
from bot.core.render.weekly import describe_schedule
from bot.listeners.subscriptions import next_post_of
from bot.slack.limits import USERS_CONVERSATIONS_PAGE

if TYPE_CHECKING:
    from bot.slack_app import Services

log = logging.getLogger(__name__)

TOPIC_BUTTON = re.compile(rf"^{re.escape(blocks.HOME_TOPIC)}(\.\d+)?$")
MEMBERSHIP_PAGES_MAX = 5  # users.conversations pages read per Home view, at most


def register(app: App, services: Services) -> None:
    app.event("app_home_opened")(ack=_ack_now, lazy=[home_opened_listener(services)])
    app.action(TOPIC_BUTTON)(ack=_ack_now, lazy=[topic_button_listener(services)])


def _ack_now(ack: Ack) -> None:
    ack()


def home_opened_listener(services: Services) -> Callable[..., None]:
    def home_opened(event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return  # the Messages tab fires the same event
        user_id = str(event.get("user") or "")
        if user_id:
            publish_home(services, user_id=user_id, now=datetime.now(UTC))

    return home_opened


def publish_home(services: Services, *, user_id: str, now: datetime) -> None:
    catalogue = services.catalogue.current()
    is_admin = services.users.is_admin(user_id)
    view = home_view(
        catalogue=catalogue,
        channels=_channels_of(services, user_id, now=now),
        status=_catalogue_status(services) if is_admin else None,
        tallies=_tallies(services) if is_admin else None,
    )
    try:
        services.client.views_publish(user_id=user_id, view=view)
    except SlackApiError as error:
        log.warning("views.publish for %s failed: %s", user_id, error.response.get("error"))


def _catalogue_status(services: Services) -> CatalogueStatus:
    source = services.catalogue
    catalogue = source.current()
    rejected = source.rejected
    return CatalogueStatus(
        path=str(source.path),
        tips=len(catalogue.tips),
        topics=len(catalogue.topics),
        loaded_at=source.loaded_at,
        rejected_at=rejected.at if rejected else None,
        rejected_summary=rejected.summary if rejected else None,
        rejected_problems=rejected.problems if rejected else (),
        rejected_problems_left_out=rejected.problems_left_out if rejected else 0,
    )


def _tallies(services: Services) -> list[TipStats] | None:
    try:
        stats = services.store.tip_stats()
    except Exception:  # the Home tab shows what it can; the store's trouble is logged
        log.exception("reading the stats for the Home tab failed")
        return None
    return stats


def _channels_of(services: Services, user_id: str, *, now: datetime) -> list[ChannelPost] | None:
    """The subscribed channels the person is in, with their next post; None if unknown."""
    try:
        subscriptions = {s.channel_id: s for s in services.store.subscriptions()}
        if not subscriptions:
            return []
        member_of = _member_channels(services, user_id, wanted=set(subscriptions))
        posts = []
        for channel_id in sorted(member_of):
            sub = subscriptions[channel_id]
            slot = next_post_of(services, sub, now)
            posts.append(
                ChannelPost(
                    channel_id=channel_id,
                    schedule_text=describe_schedule(sub.schedule),
                    next_post=slot.instant,
                    timezone=sub.schedule.timezone,
                )
            )
        return posts
    except SlackApiError as error:
        log.warning("users.conversations for %s failed: %s", user_id, error.response.get("error"))
    except Exception:
        log.exception("looking up the channels of %s for the Home tab failed", user_id)
    return None


def _member_channels(services: Services, user_id: str, *, wanted: set[str]) -> set[str]:
    """Which of `wanted` the person is a member of, reading a bounded number of pages."""
    found: set[str] = set()
    cursor: str | None = None
    for _ in range(MEMBERSHIP_PAGES_MAX):
        response = services.client.users_conversations(
            user=user_id,
            types="public_channel,private_channel",
            exclude_archived=True,
            limit=USERS_CONVERSATIONS_PAGE,
            cursor=cursor,
        )
        found |= {str(c.get("id")) for c in response.get("channels") or []} & wanted
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if found == wanted or not cursor:
            break
    return found


def topic_button_listener(services: Services) -> Callable[..., None]:
    def send_topic_tip(body: dict[str, Any]) -> None:
        user_id = str((body.get("user") or {}).get("id") or "")
        slug = str(((body.get("actions") or [{}])[0]).get("value") or "")
        if not user_id:
            return
        reply = replies.answer(
            services.catalogue.current(),
            grammar.Lookup(slug),
            last_tip_id=services.recent.last(user_id, slug),
            rng=services.rng,
        )
        message = reply.message
        if reply.tip is not None:
            services.recent.remember(user_id, slug, reply.tip.id)
            message = topic_tip(reply.tip)
        try:
            services.client.chat_postMessage(channel=user_id, **message.as_kwargs())
        except (SlackApiError, OSError) as error:  # a timeout too: log it, never raise
            reason = error.response.get("error") if isinstance(error, SlackApiError) else error
            log.warning("sending a Home-tab tip to %s failed: %s", user_id, reason)

    return send_topic_tip
