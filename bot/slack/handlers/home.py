"""The App Home tab: the facts it shows (topics, the person's subscribed channels
and their next posts; for admins, the catalogue's state and the feedback), looked
up and published. bot.core.render.home draws it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.catalogue.source import CatalogueSource
from bot.core.feedback import TipStats
from bot.core.render.home import CatalogueStatus, ChannelPost, home_view
from bot.core.render.weekly import describe_schedule
from bot.slack.handlers.subscriptions import next_post_of
from bot.slack.limits import USERS_CONVERSATIONS_PAGE
from bot.slack.paging import pages
from bot.slack.users import Users
from bot.store.base import Store, Workspace

log = logging.getLogger(__name__)

MEMBERSHIP_PAGES_MAX = 5  # users.conversations pages read per Home view, at most


@dataclass(frozen=True, slots=True, kw_only=True)
class HomeTab:
    store: Store
    catalogue: CatalogueSource
    users: Users
    client: WebClient
    now: Callable[[], datetime]
    catchup_hours: float

    def publish(self, user_id: str, *, workspace: Workspace) -> None:
        is_admin = self.users.is_admin(user_id)
        view = home_view(
            catalogue=self.catalogue.current(),
            channels=self._channels_of(user_id, workspace, now=self.now()),
            status=self._catalogue_status() if is_admin else None,
            tallies=self._tallies(workspace) if is_admin else None,
        )
        try:
            self.client.views_publish(user_id=user_id, view=view)
        except SlackApiError as error:
            log.warning("views.publish for %s failed: %s", user_id, error.response.get("error"))

    def _catalogue_status(self) -> CatalogueStatus:
        source = self.catalogue
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

    def _tallies(self, workspace: Workspace) -> list[TipStats] | None:
        try:
            return self.store.workspace(workspace).tip_stats()
        except Exception:  # the Home tab shows what it can; the store's trouble is logged
            log.exception("reading the stats for the Home tab failed")
            return None

    def _channels_of(
        self, user_id: str, workspace: Workspace, *, now: datetime
    ) -> list[ChannelPost] | None:
        """The workspace's subscribed channels the person is in, with their next post;
        None if unknown."""
        store = self.store.workspace(workspace)
        try:
            subscriptions = {s.channel_id: s for s in store.subscriptions()}
            if not subscriptions:
                return []
            posts = []
            for channel_id in sorted(self._member_channels(user_id, wanted=set(subscriptions))):
                sub = subscriptions[channel_id]
                if sub.schedule is None:  # pragma: no cover - subscriptions() gives receiving ones
                    continue
                slot = next_post_of(store, sub, now=now, catchup_hours=self.catchup_hours)
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
            code = error.response.get("error")
            log.warning("users.conversations for %s failed: %s", user_id, code)
        except Exception:
            log.exception("looking up the channels of %s for the Home tab failed", user_id)
        return None

    def _member_channels(self, user_id: str, *, wanted: set[str]) -> set[str]:
        """Which of `wanted` the person is a member of, reading a bounded number of pages."""
        found: set[str] = set()
        for page in pages(
            self.client.users_conversations,
            max_pages=MEMBERSHIP_PAGES_MAX,
            user=user_id,
            types="public_channel,private_channel",
            exclude_archived=True,
            limit=USERS_CONVERSATIONS_PAGE,
        ):
            found |= {str(c.get("id")) for c in page.get("channels") or []} & wanted
            if found == wanted:
                break
        return found
