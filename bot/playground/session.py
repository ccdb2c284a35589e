"""One playground session: a World, its stand-in, its clock, and the real app built
over a fresh SQLite file by `bot.wiring.playground_process`, exactly as `python -m bot
http` builds it (`build_parts` with the session's clock as `now`, `build_app`, the
ASGI front of `bot.slack.web`).

This module is the playground's one seam with pmtip's wiring: when the wiring moves,
only `open_session` and `close_session` follow it.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from bot.playground import config
from bot.playground.asgi_bridge import InProcessAsgi
from bot.playground.clock import VirtualClock
from bot.playground.standin import WebApiStandIn
from bot.playground.world import World
from bot.settings import Settings
from bot.wiring import Parts, PlaygroundProcess, playground_process

log = logging.getLogger(__name__)

CATALOGUE_WATCH_SECONDS = 0.25
OAUTH_VARIABLES = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")  # Bolt reads them from os.environ


@dataclass
class Session:
    generation: int
    world: World
    standin: WebApiStandIn
    clock: VirtualClock
    settings: Settings
    process: PlaygroundProcess | None = None
    asgi: InProcessAsgi | None = None
    stop: threading.Event = field(default_factory=threading.Event)


def new_session(
    base: Settings,
    *,
    generation: int,
    api_base_url: str,
    database_path: Path,
    tips_path: Path | None,
) -> Session:
    """A session whose stand-in can answer at once; `open_session` builds its app.
    Each has its own bot token: a late call from a closed session's threads is
    refused (`invalid_auth`) rather than shown in the next one."""
    token = config.TOKEN_PREFIX + secrets.token_hex(12)
    clock = VirtualClock()
    world = World(now=clock.now)
    settings = config.playground_settings(
        base,
        api_base_url=api_base_url,
        database_path=database_path,
        bot_token=token,
        signing_secret=secrets.token_hex(32),  # never shown: only this process signs
        tips_path=tips_path,
    )
    standin = WebApiStandIn(world, token=token, timezone=settings.default_timezone)
    return Session(generation, world, standin, clock, settings)


def open_session(session: Session, *, database_path: Path) -> None:
    """Build the app on a fresh database. The stand-in must already be served: Bolt
    asks it `auth.test` while the app is built."""
    database_path.parent.mkdir(parents=True, exist_ok=True)
    _remove_database(database_path)
    _drop_oauth_variables()
    session.process = playground_process(session.settings, now=session.clock.now)
    session.asgi = InProcessAsgi(session.process.asgi_app)
    session.asgi.start()
    session.process.parts.reloader.ensure_started()  # the real reloader, as in production
    threading.Thread(
        target=_watch_catalogue, args=(session,), name="playground-watch", daemon=True
    ).start()


def close_session(session: Session) -> None:
    """Stop everything the session started: no thread of it outlives it."""
    session.stop.set()
    if session.asgi is not None:
        session.asgi.close()  # the ASGI lifespan's shutdown: the web front's threads go
    if session.process is not None:
        session.process.close()  # the reloader, Bolt's lazy listeners, the pool, the store


def _drop_oauth_variables() -> None:
    """Both set, Bolt would switch itself into OAuth mode and ignore the stand-in's token
    (as `python -m bot` does, they are dropped with a warning)."""
    if all(os.environ.get(name) for name in OAUTH_VARIABLES):
        log.warning("SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are ignored in the playground")
        for name in OAUTH_VARIABLES:
            os.environ.pop(name)


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def _catalogue_signature(parts: Parts) -> tuple[str | None, str | None]:
    rejected = parts.catalogue.rejected
    return parts.catalogue.loaded_version, rejected.version if rejected else None


def _watch_catalogue(session: Session) -> None:
    """Wake the page when the reloader swaps a catalogue in or refuses an edit."""
    assert session.process is not None
    parts = session.process.parts
    seen = _catalogue_signature(parts)
    while not session.stop.wait(CATALOGUE_WATCH_SECONDS):
        now = _catalogue_signature(parts)
        if now != seen:
            seen = now
            session.world.touch()
