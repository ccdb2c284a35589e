"""Wiring: the Bolt app, its Web API client and the services its listeners use.

No module-level App: `build_app` is called once by the CLI (or by a test) with
the settings, and everything the listeners need is handed to them here.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient

from bot.catalogue.notices import AdminNotices, NoticeLedger
from bot.catalogue.reloader import Reloader
from bot.catalogue.source import CatalogueSource
from bot.listeners import actions, commands, failures, home
from bot.recent import RecentTips
from bot.settings import Settings
from bot.slack.client import web_client
from bot.slack.identity import BotIdentity
from bot.slack.users import Users
from bot.store import Store, open_store

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything a listener may touch, built once at start."""

    settings: Settings
    client: WebClient
    catalogue: CatalogueSource
    users: Users
    store: Store  # subscriptions, the delivery ledger, votes (bot.store.base)
    delivery_client: WebClient  # no retry handlers: bot.weekly retries by itself
    identity: BotIdentity  # the bot's own ids (auth.test, once): whose posts are ours
    reloader: Reloader  # polls the tips file; started per process by build_app's middleware
    recent: RecentTips = field(default_factory=RecentTips)
    # Finishes the /pmtip commands that call Slack or the database, after the ack.
    # Its threads start on first use, so a gunicorn worker makes its own after the fork.
    background: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=8, thread_name_prefix="pmtip")
    )
    rng: random.Random = field(default_factory=random.Random)


def build_client(settings: Settings, *, retries: bool = True, timeout: int = 10) -> WebClient:
    """A Web API client aimed at Slack, or at the stand-in named by SLACK_API_BASE_URL."""
    return web_client(
        token=settings.bot_token.reveal(),
        base_url=settings.slack_api_base_url,
        retries=retries,
        timeout=timeout,
    )


def build_services(settings: Settings) -> Services:
    client = build_client(settings)
    posting_client = build_client(settings, retries=False)
    source = CatalogueSource(settings.tips_path)
    source.reload()
    users = Users(client, admin_ids=settings.admin_user_ids)
    return Services(
        settings=settings,
        client=client,
        catalogue=source,
        users=users,
        store=open_store(settings.database_url.reveal() or None),  # raises StoreUnavailable
        delivery_client=posting_client,
        identity=BotIdentity(posting_client),
        reloader=Reloader(
            source,
            interval=settings.reload_seconds,
            notify=AdminNotices(client, directory=users),
            ledger=NoticeLedger.for_this_start(),
        ),
    )


class _ReloaderStarter(Middleware):
    """Threads do not survive gunicorn's fork; each worker starts its poller on its
    first request (a cheap check on every later one). A Middleware subclass, not a
    function: Bolt calls it directly instead of building keyword arguments for it
    on every request, which cost more than the check itself."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        self._services.reloader.ensure_started()
        return next()


class _QuietTokenNotice(logging.Filter):
    # Bolt reads SLACK_BOT_TOKEN from the environment even when it is handed a
    # client, then warns that the token is unused: true, and only noise here.
    def filter(self, record: logging.LogRecord) -> bool:
        return "will be unused" not in record.getMessage()


def build_app(services: Services, *, socket_mode: bool = False) -> App:
    """The Bolt app with every listener registered.

    process_before_response=True runs each listener inline, so the reply to a
    lookup travels in the HTTP response itself, without Bolt's 10 ms ack poll
    and without a thread hand-off. Anything that calls Slack or the database
    runs after the ack has gone: on the worker pool for /pmtip commands, as a
    lazy listener for buttons.
    """
    settings = services.settings
    bolt_logger = logging.getLogger("bot.bolt")
    if not any(isinstance(f, _QuietTokenNotice) for f in bolt_logger.filters):
        bolt_logger.addFilter(_QuietTokenNotice())
    app = App(
        client=services.client,
        signing_secret=settings.signing_secret.reveal(),
        process_before_response=True,
        request_verification_enabled=not socket_mode,
        logger=bolt_logger,
    )
    app.use(_ReloaderStarter(services))
    commands.register(app, services)
    actions.register(app, services)
    home.register(app, services)
    failures.register(app)  # a 400 or a polite reply where Bolt would answer 500
    return app
