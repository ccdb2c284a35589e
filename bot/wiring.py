"""THE one place pmtip's objects are built, for each kind of process: Socket Mode,
HTTP, the clock, `post-due` and the playground's in-process app. Each kind is one
function built from the same parts; every listener and handler is handed only what
it uses, keyword by keyword.

The clock is a part too: `now` is passed in (the playground moves time forward),
and nothing below this module asks the system for the time of a request.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from slack_bolt import App
from slack_sdk import WebClient

from bot.catalogue.notices import AdminNotices, NoticeLedger, OperatorLog
from bot.catalogue.reloader import Reloader
from bot.catalogue.source import CatalogueSource
from bot.core import grammar
from bot.core.catalogue import Catalogue
from bot.core.feedback import Vote
from bot.core.slot_outcomes import PostNowResult
from bot.settings import Settings, Workspaces
from bot.slack.app import Installs, build_bolt_app
from bot.slack.client import web_client
from bot.slack.commands import Handlers, Route, route
from bot.slack.handlers.admin import Admin
from bot.slack.handlers.home import HomeTab
from bot.slack.handlers.lookups import Lookups
from bot.slack.handlers.subscriptions import Subscriptions, WeeklyDefaults
from bot.slack.identity import BotIdentity, adopt_rows_from_before_workspaces
from bot.slack.listeners import buttons
from bot.slack.listeners.home import home_opened_listener, topic_button_listener
from bot.slack.listeners.pmtip import pmtip_listener
from bot.slack.listeners.uninstall import tokens_revoked_listener, uninstalled_listener
from bot.slack.listeners.votes import vote_listener
from bot.slack.recent import RecentTips
from bot.slack.request_token import ContextExecutor
from bot.slack.routes import Listeners
from bot.slack.users import Users
from bot.slack.web import AsgiApp, create_asgi_app
from bot.store import Store, open_store
from bot.store.base import Subscription
from bot.store.sql.store import SqlStore
from bot.weekly.post_due import post_due, post_now
from bot.weekly.report import DeliveryReport
from bot.weekly.ticker import WeeklyTicker

Clock = Callable[[], datetime]
BACKGROUND_THREADS = 8  # finish the /pmtip commands that call Slack or the database


def utc_now() -> datetime:
    return datetime.now(UTC)


# -- the parts ------------------------------------------------------------------


def listener_client(settings: Settings) -> WebClient:
    """For listeners: the client retries a refused connection, a 429 and a 5xx itself."""
    return _client(settings, retries=True)


def posting_client(settings: Settings) -> WebClient:
    """For the weekly post: no retry handlers; bot.weekly decides (bot.core.delivery_rules)."""
    return _client(settings, retries=False)


def _client(settings: Settings, *, retries: bool) -> WebClient:
    # With many workspaces a client has no token of its own: it uses the request's.
    many = settings.workspaces is Workspaces.MANY
    token, url = settings.bot_token.reveal(), settings.slack_api_base_url
    return web_client(token=token, base_url=url, retries=retries, per_request=many)


def installs_of(settings: Settings, *, store: Store, client: WebClient) -> Installs | None:
    """Many workspaces: Bolt's OAuth on pmtip's database, its calls through `client`."""
    if settings.workspaces is Workspaces.ONE:
        return None
    from bot.slack.oauth import open_installs  # SQLAlchemy's asyncio too: only when used

    if not isinstance(store, SqlStore):  # pragma: no cover - there is one implementation
        raise TypeError("the installation store needs pmtip's SQL store")
    return open_installs(
        engine=store.engine,
        client_id=settings.client_id,
        client_secret=settings.client_secret.reveal(),
        client=client,
        base_url=settings.slack_api_base_url,
    )


def store_of(settings: Settings) -> Store:
    return open_store(settings.database_url.reveal() or None)  # raises StoreUnavailable


def catalogue_source(settings: Settings, *, now: Clock) -> CatalogueSource:
    """The live catalogue, loaded now (a bad file is logged; it is loaded once fixed)."""
    source = CatalogueSource(settings.tips_path, now=now)
    source.reload()
    return source


@dataclass
class Parts:
    """What a process that answers Slack is made of, built once at its start."""

    settings: Settings
    now: Clock
    store: Store  # subscriptions, the delivery ledger, votes
    catalogue: CatalogueSource
    client: WebClient  # listeners'
    posting_client: WebClient  # the weekly post's
    identity: BotIdentity  # the bot's own ids (auth.test, once): whose posts are ours
    users: Users
    recent: RecentTips
    rng: random.Random
    reloader: Reloader  # polls the tips file; started per process (see start_worker)
    # Its threads start on first use, so a gunicorn worker makes its own after the fork.
    background: ThreadPoolExecutor
    installs: Installs | None = None  # many workspaces: installations, OAuth, tokens


def build_parts(
    settings: Settings, *, now: Clock = utc_now, rng: random.Random | None = None
) -> Parts:
    client = listener_client(settings)
    posting = posting_client(settings)
    catalogue = catalogue_source(settings, now=now)
    users = Users(client, admin_ids=settings.admin_user_ids)
    store = store_of(settings)
    identity = BotIdentity(posting)
    if settings.workspaces is Workspaces.ONE:
        adopt_rows_from_before_workspaces(store, identity)
    return Parts(
        settings=settings,
        now=now,
        store=store,
        catalogue=catalogue,
        client=client,
        posting_client=posting,
        identity=identity,
        users=users,
        recent=RecentTips(),
        rng=rng or random.Random(),
        reloader=Reloader(
            catalogue,
            interval=settings.reload_seconds,
            notify=OperatorLog()
            if settings.workspaces is Workspaces.MANY
            else AdminNotices(client, directory=users),
            ledger=NoticeLedger.for_this_start(),
        ),
        # Each task runs in its submitter's context: a request's token goes with it.
        background=ContextExecutor(max_workers=BACKGROUND_THREADS, thread_name_prefix="pmtip"),
        installs=installs_of(settings, store=store, client=client),
    )


def start_worker(parts: Parts) -> None:
    """In each gunicorn worker, right after the fork."""
    parts.rng.seed()  # a forked Random repeats its parent's sequence: reseed per worker
    parts.reloader.ensure_started()


# -- the Bolt app ------------------------------------------------------------------


def command_handlers(parts: Parts) -> Handlers:
    settings = parts.settings

    def post_now_of(subscription: Subscription, at: datetime) -> PostNowResult:
        return post_now(
            store=parts.store,
            client=parts.posting_client,
            catalogue=parts.catalogue.current(),
            subscription=subscription,
            now=at,
            identity=parts.identity,
            workspaces=parts.installs.clients if parts.installs else None,
        )

    defaults = WeeklyDefaults(
        day=settings.weekly_day,
        at=settings.weekly_time,
        timezone=settings.default_timezone,
        catchup_hours=settings.catchup_hours,
        anyone_may_subscribe=not settings.subscribe_requires_admin,
    )
    return Handlers(
        lookups=Lookups(
            catalogue=parts.catalogue, recent=parts.recent, rng=parts.rng, users=parts.users
        ),
        subscriptions=Subscriptions(
            store=parts.store,
            catalogue=parts.catalogue,
            users=parts.users,
            client=parts.client,
            defaults=defaults,
            now=parts.now,
        ),
        admin=Admin(
            store=parts.store,
            catalogue=parts.catalogue,
            users=parts.users,
            post_this_week=post_now_of,
            now=parts.now,
            catchup_hours=settings.catchup_hours,
        ),
    )


def listeners(parts: Parts) -> Listeners:
    handlers = command_handlers(parts)

    def route_command(command: grammar.Command) -> Route:
        return route(command, handlers=handlers)

    catalogue, recent, rng = parts.catalogue, parts.recent, parts.rng
    votes = {
        vote: vote_listener(vote=vote, catalogue=catalogue, store=parts.store, now=parts.now)
        for vote in Vote
    }
    home = HomeTab(
        store=parts.store,
        catalogue=catalogue,
        users=parts.users,
        client=parts.client,
        now=parts.now,
        catchup_hours=parts.settings.catchup_hours,
    )
    uninstalled = revoked = None
    if parts.installs is not None:
        store, forget = parts.installs.store, parts.store.delete_workspace
        uninstalled = uninstalled_listener(installations=store, forget_data=forget)
        revoked = tokens_revoked_listener(installations=store, forget_data=forget)
    return Listeners(
        app_uninstalled=uninstalled,
        tokens_revoked=revoked,
        pmtip=pmtip_listener(route=route_command, background=parts.background),
        **buttons.tip_buttons(catalogue=catalogue, recent=recent, rng=rng),
        vote_useful=votes[Vote.USEFUL],
        vote_not_for_me=votes[Vote.NOT_FOR_ME],
        home_opened=home_opened_listener(home=home),
        home_topic=topic_button_listener(
            catalogue=catalogue, recent=recent, rng=rng, client=parts.client
        ),
    )


def build_app(parts: Parts, *, socket_mode: bool = False) -> App:
    return build_bolt_app(
        client=parts.client,
        signing_secret=parts.settings.signing_secret.reveal(),
        socket_mode=socket_mode,
        listeners=listeners(parts),
        on_every_request=parts.reloader.ensure_started,
        installs=parts.installs,
        own_workspace=parts.identity.workspace,
        # Bolt's lazy listeners, in the request's context (its token) too.
        lazy_executor=ContextExecutor(max_workers=5) if parts.installs else None,
    )


# -- one function per kind of process ------------------------------------------------


@dataclass
class SocketProcess:
    parts: Parts
    app: App
    ticker: WeeklyTicker  # ticks beside Socket Mode unless --no-scheduler


def socket_process(settings: Settings, *, now: Clock = utc_now) -> SocketProcess:
    parts = build_parts(settings, now=now)
    return SocketProcess(
        parts=parts,
        app=build_app(parts, socket_mode=True),
        ticker=WeeklyTicker(
            store=parts.store,
            client=parts.posting_client,
            catalogue=parts.catalogue,
            catchup_hours=settings.catchup_hours,
            now=now,
            identity=parts.identity,
        ),
    )


@dataclass
class HttpProcess:
    parts: Parts
    asgi_app: AsgiApp

    def on_worker_start(self) -> None:
        start_worker(self.parts)


def http_process(
    settings: Settings, *, now: Clock = utc_now, rng: random.Random | None = None
) -> HttpProcess:
    parts = build_parts(settings, now=now, rng=rng)
    asgi_app = create_asgi_app(
        build_app(parts),
        signing_secret=settings.signing_secret.reveal(),
        threads=settings.web_threads,
    )
    return HttpProcess(parts=parts, asgi_app=asgi_app)


@dataclass
class PlaygroundProcess:
    """The app `python -m bot http` serves, for bot.playground to drive in-process on its
    own clock; each playground session opens one and closes it (a reset opens another)."""

    parts: Parts
    app: App
    asgi_app: AsgiApp

    def close(self) -> None:
        """Stop what the parts started, once the ASGI lifespan has shut down."""
        self.parts.reloader.stop()
        self.app.listener_runner.listener_executor.shutdown(wait=False)  # lazy listeners
        self.parts.background.shutdown(wait=True, cancel_futures=True)
        self.parts.store.close()


def playground_process(settings: Settings, *, now: Clock) -> PlaygroundProcess:
    parts = build_parts(settings, now=now)
    app = build_app(parts)
    asgi_app = create_asgi_app(
        app, signing_secret=settings.signing_secret.reveal(), threads=settings.web_threads
    )
    return PlaygroundProcess(parts=parts, app=app, asgi_app=asgi_app)


@dataclass
class ClockProcess:
    store: Store
    ticker: WeeklyTicker


def clock_process(settings: Settings, *, now: Clock = utc_now) -> ClockProcess:
    store, client = store_of(settings), posting_client(settings)
    catalogue = catalogue_source(settings, now=now)
    installs = installs_of(settings, store=store, client=client)  # many: each one's token
    return ClockProcess(
        store=store,
        ticker=WeeklyTicker(
            store=store,
            client=client,
            catalogue=catalogue,
            catchup_hours=settings.catchup_hours,
            now=now,
            workspaces=installs.clients if installs else None,
        ),
    )


@dataclass
class PostDueProcess:
    store: Store
    client: WebClient
    catchup_hours: float
    installs: Installs | None = None  # many workspaces: each one's token

    def post_due(self, catalogue: Catalogue, *, at: datetime) -> DeliveryReport:
        return post_due(
            store=self.store,
            client=self.client,
            catalogue=catalogue,
            now=at,
            catchup_hours=self.catchup_hours,
            workspaces=self.installs.clients if self.installs else None,
        )


def post_due_process(settings: Settings) -> PostDueProcess:
    store, client = store_of(settings), posting_client(settings)
    installs = installs_of(settings, store=store, client=client)
    return PostDueProcess(store, client, settings.catchup_hours, installs)
