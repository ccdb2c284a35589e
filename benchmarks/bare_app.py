"""The baseline: a bare Bolt app with one `ack("echo")` command listener.

It gets what pmtip's app gets (the same Web API client, signing secret and
`process_before_response=True`) and, run as a script, the same server: gunicorn
with ASGI workers, through `bot.web.serve`, with the worker count from the same
settings. Only Bolt's own ASGI adapter sits in front of it; that adapter runs
Bolt in the event loop itself, with no thread hand-off (pmtip's front hands
each request to a thread, so that nothing Bolt does can stall the loop).

    SLACK_BOT_TOKEN=... SLACK_SIGNING_SECRET=... PORT=... python benchmarks/bare_app.py
"""

from __future__ import annotations

import logging
import os

from slack_bolt import Ack, App
from slack_bolt.adapter.asgi import SlackRequestHandler

from bot.settings import Settings, load_settings
from bot.slack.web import EVENTS_PATH, serve
from bot.wiring import listener_client


def build_bare_app(settings: Settings, *, process_before_response: bool = True) -> App:
    """A Bolt app with pmtip's Bolt settings and a single `ack("echo")` listener."""
    app = App(
        client=listener_client(settings),
        signing_secret=settings.signing_secret.reveal(),
        process_before_response=process_before_response,
        logger=logging.getLogger("bench.bare"),
    )

    @app.command("/pmtip")
    def echo(ack: Ack) -> None:
        ack("echo")

    return app


def create_asgi_app(settings: Settings) -> SlackRequestHandler:
    return SlackRequestHandler(build_bare_app(settings), path=EVENTS_PATH)


def main() -> int:
    settings = load_settings(os.environ, mode="http")
    logging.basicConfig(level=settings.log_level)
    serve(
        create_asgi_app(settings),
        port=settings.port,
        workers=settings.web_concurrency,
        log_level=settings.log_level,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
