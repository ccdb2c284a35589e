"""The command line: `python -m bot [socket|http|clock|tip|validate|post-due|migrate|...]`.

This is the imperative shell's front door: it reads the settings once, sets up
logging, builds what the chosen mode needs and turns every expected failure
into one clear message and an exit status (2 for configuration).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import signal
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from dotenv import load_dotenv
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError

from bot.logging_setup import setup_logging
from bot.settings import (
    OAUTH,
    WHERE,
    Settings,
    SettingsError,
    Workspaces,
    credentials_configured,
    load_settings,
)
from bot.store.base import StoreUnavailable

log = logging.getLogger("bot")

EXIT_CONFIG = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode")
    socket = sub.add_parser("socket", help="connect over Socket Mode (the default)")
    socket.add_argument(
        "--no-scheduler", action="store_true", help="do not post weekly insights from this process"
    )
    sub.add_parser("http", help="serve /slack/events on $PORT (gunicorn, asyncio workers)")
    sub.add_parser(
        "run", help="Socket Mode if Slack credentials are set, else the playground (make run)"
    )
    playground = sub.add_parser(
        "playground", help="try pmtip in a browser on 127.0.0.1:$PORT, without Slack"
    )
    playground.add_argument("--tips", help="the tips file to serve (default: TIPS_PATH)")
    playground.add_argument(
        "--data", help="the folder for the playground's own SQLite file (default: data/playground)"
    )
    sub.add_parser("clock", help="run the weekly-insight scheduler alone")
    sub.add_parser("migrate", help="bring the database schema up to date and exit")
    tip = sub.add_parser("tip", help="print the tip /pmtip would give, without Slack")
    tip.add_argument("words", nargs="*", help="a topic, an alias or any words")
    validate = sub.add_parser("validate", help="check a tips file and report every problem")
    validate.add_argument("path", nargs="?", help="the file (default: TIPS_PATH)")
    post_due = sub.add_parser("post-due", help="post every weekly insight due now, once")
    post_due.add_argument(
        "--at", type=_instant, help="the instant to post for, ISO-8601 (default: now)"
    )
    return parser


def _instant(text: str) -> datetime:  # bot.core.schedule is imported late
    from bot.core.schedule import parse_instant

    try:
        return parse_instant(text)
    except ValueError as error:  # argparse prints it as one line and exits 2
        raise argparse.ArgumentTypeError(str(error)) from None


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (args_list[0].startswith("-") and args_list[0] not in ("-h", "--help")):
        args_list.insert(0, "socket")  # `python -m bot` alone means Socket Mode
    try:
        args = build_parser().parse_args(args_list)
    except SystemExit as stop:  # --help, or a bad argument (argparse has said which)
        return stop.code if isinstance(stop.code, int) else EXIT_CONFIG
    load_dotenv(Path.cwd() / ".env", override=False)
    if args.mode == "run":
        _choose_run_mode(args)
    offline = args.mode in ("tip", "validate")
    environ: Mapping[str, str] = os.environ
    if args.mode == "playground":  # never a credential or the real database
        from bot.playground.config import playground_environment

        environ = playground_environment(os.environ)
    try:
        settings = load_settings(environ, mode="offline" if offline else args.mode)
    except SettingsError as error:
        print(
            "pmtip cannot start; fix these settings (in the environment or .env):", file=sys.stderr
        )
        for problem in error.problems:
            print(f"  - {problem}", file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(settings.log_level)
    if args.mode in LONG_RUNNING:  # a one-shot command's only output is its result
        log.info("pmtip %s serves %s", args.mode, settings.describe(args.mode))
    try:
        return RUNNERS[args.mode](settings, args)
    except StoreUnavailable as error:
        print(f"pmtip cannot start: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except BrokenPipeError:  # `python -m bot tip | head` (an OSError: catch it first)
        return 0
    except (BoltError, SlackApiError, OSError) as error:
        print(f"pmtip cannot start: {_slack_start_problem(error)}", file=sys.stderr)
        return EXIT_CONFIG


def _choose_run_mode(args: argparse.Namespace) -> None:
    """`make run`: the bot when any Slack credential is configured, else the playground.
    Half a configuration runs the bot, which then names what is missing. Many
    workspaces (the OAuth variables) run over HTTP, the only way Slack allows."""
    if any(os.environ.get(name, "").strip() for name in OAUTH):
        args.mode = "http"
        return
    if credentials_configured(os.environ):
        args.mode, args.no_scheduler = "socket", False
        return
    print(
        "No Slack credentials found (SLACK_BOT_TOKEN and SLACK_APP_TOKEN, in the environment "
        "or .env): starting the playground, pmtip in your browser without Slack. To connect "
        "a real workspace, see README.md, 'Create the Slack app'.",
        file=sys.stderr,
        flush=True,
    )
    args.mode, args.tips, args.data = "playground", None, None


def _slack_start_problem(error: Exception) -> str:
    """What went wrong talking to Slack at start, without any secret in it."""
    if isinstance(error, SlackApiError):
        code = error.response.get("error", "unknown_error")
        return (
            f"Slack refused a token ({code}). Check SLACK_APP_TOKEN (from "
            f"{WHERE['SLACK_APP_TOKEN']}) and SLACK_BOT_TOKEN (from {WHERE['SLACK_BOT_TOKEN']})."
        )
    if isinstance(error, BoltError):
        code = re.search(r"'error': '([a-z_]+)'", str(error))
        return (
            f"Slack refused SLACK_BOT_TOKEN ({code.group(1) if code else 'auth.test failed'}). "
            f"Get a valid one from {WHERE['SLACK_BOT_TOKEN']}."
        )
    return (
        f"Slack's Web API could not be reached ({type(error).__name__}). Check the network"
        " and SLACK_API_BASE_URL if it is set."
    )


def run_tip(settings: Settings, args: argparse.Namespace) -> int:
    from bot.catalogue.source import read_catalogue
    from bot.core import grammar, replies
    from bot.core.render import plain_text

    catalogue, problems = read_catalogue(settings.tips_path)
    if catalogue is None:
        for problem in problems:
            print(problem.format(str(settings.tips_path)), file=sys.stderr)
        return 1
    command = grammar.parse(" ".join(args.words))
    if not isinstance(command, replies.LookupCommand):
        command = grammar.Help()
    reply = replies.answer(catalogue, command, last_tip_id=None, rng=random.Random())
    print(plain_text.render(reply.message))
    return 0


def run_validate(settings: Settings, args: argparse.Namespace) -> int:
    from bot.catalogue.source import read_tips_file
    from bot.core.controls import show_controls

    path = Path(args.path) if args.path else settings.tips_path
    checked = read_tips_file(path)  # no search index: a pre-commit hook must be quick
    shown_path = show_controls(str(path))
    if not checked.ok:
        for problem in checked.problems:
            print(problem.format(str(path)))
        total = len(checked.problems) + checked.problems_left_out
        listed = (
            f"; the first {len(checked.problems)} are listed" if checked.problems_left_out else ""
        )
        print(f"{shown_path}: {total} problem(s){listed}", file=sys.stderr)
        return 1
    print(f"{shown_path}: OK, {len(checked.tips)} tips in {len(checked.topics)} topics")
    return 0


def run_socket(settings: Settings, args: argparse.Namespace) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.weekly.ticker import start_background, stop
    from bot.wiring import socket_process

    process = socket_process(settings)
    ticker = process.ticker
    background = (
        None if args.no_scheduler else start_background(ticker, tick_seconds=settings.tick_seconds)
    )
    _exit_on_sigterm()
    process.parts.reloader.ensure_started()  # poll the tips file from now, not the first event
    log.info("connecting to Slack over Socket Mode")
    handler = SocketModeHandler(process.app, settings.app_token.reveal())
    try:
        handler.start()  # type: ignore[no-untyped-call]
    except (KeyboardInterrupt, SystemExit):
        log.info("stopping")
    finally:
        if background is not None:
            stop(background, ticker)
        handler.close()  # type: ignore[no-untyped-call]  # say goodbye on the WebSocket
        process.parts.store.close()
    return 0


def run_http(settings: Settings, args: argparse.Namespace) -> int:
    from bot.slack.web import serve
    from bot.wiring import http_process

    process = http_process(settings)
    paths = "/slack/events, /slack/install and /slack/oauth_redirect"
    if settings.workspaces is Workspaces.ONE:
        paths = "/slack/events"
    log.info("serving %s on port %s", paths, settings.port)
    serve(
        process.asgi_app,
        port=settings.port,
        workers=settings.web_concurrency,
        log_level=settings.log_level,
        on_worker_start=process.on_worker_start,
    )
    return 0


def run_clock(settings: Settings, args: argparse.Namespace) -> int:
    from bot.weekly.ticker import build_blocking, stop
    from bot.wiring import clock_process

    process = clock_process(settings)
    clock = build_blocking(process.ticker, tick_seconds=settings.tick_seconds)
    _exit_on_sigterm()
    log.info("weekly insight clock: a tick every %ss", settings.tick_seconds)
    try:
        clock.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("stopping")
    finally:
        stop(clock, process.ticker)
        process.store.close()
    return 0


def run_migrate(settings: Settings, args: argparse.Namespace) -> int:
    """Heroku's release phase: the schema is upgraded once, before the new code serves.

    Every process also upgrades at start (under the same lock), so this is a no-op
    elsewhere; here a migration that fails stops the release instead of its dynos.
    """
    from bot.store import open_store
    from bot.store.migrate import head_revision

    if not settings.database_url:
        log.warning("DATABASE_URL is not set: migrating the SQLite file under data/")
    open_store(settings.database_url.reveal() or None).close()
    print(f"database schema is at {head_revision()}")
    return 0


def run_post_due(settings: Settings, args: argparse.Namespace) -> int:
    from bot.catalogue.source import read_catalogue
    from bot.store import StoreError
    from bot.wiring import post_due_process, utc_now

    at = args.at or utc_now()  # --at was checked by the parser
    catalogue, problems = read_catalogue(settings.tips_path)
    if catalogue is None or problems:
        for problem in problems:
            print(problem.format(str(settings.tips_path)), file=sys.stderr)
        return 1
    process = post_due_process(settings)
    try:
        report = process.post_due(catalogue, at=at)
    except StoreError as error:
        print(f"post-due at {at.isoformat()}: {error}; nothing was posted", file=sys.stderr)
        return 1
    finally:
        process.store.close()
    for line in report.lines():
        print(line)
    print(f"post-due at {at.isoformat()}: {report.summary()}")
    return 1 if report.failed else 0  # 1: something due was left for the next run


def run_playground(settings: Settings, args: argparse.Namespace) -> int:
    from bot.playground.config import DEFAULT_DATA_DIR
    from bot.playground.server import PortInUse, serve

    _ignore_oauth_variables()
    _exit_on_sigterm()
    try:
        return serve(
            settings,
            data_dir=Path(args.data) if args.data else DEFAULT_DATA_DIR,
            tips_path=Path(args.tips) if args.tips else None,
        )
    except PortInUse as error:
        print(
            f"pmtip cannot start the playground: {error}. Stop what uses the port, or "
            f"choose another: PORT={settings.port + 1} make run",
            file=sys.stderr,
        )
        return EXIT_CONFIG


def _exit_on_sigterm() -> None:
    # Turn SIGTERM (Heroku's stop, `kill`) into SystemExit in the main thread, so
    # the scheduler stops cleanly: no new posts, unposted claims released.
    def handler(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, handler)


def _ignore_oauth_variables() -> None:
    # Bolt switches itself into OAuth mode when both of these are in the environment;
    # the playground is one made-up workspace with a bot token of its own.
    if os.environ.get("SLACK_CLIENT_ID") and os.environ.get("SLACK_CLIENT_SECRET"):
        log.warning("SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are ignored by the playground")
        os.environ.pop("SLACK_CLIENT_ID")
        os.environ.pop("SLACK_CLIENT_SECRET")


LONG_RUNNING = frozenset({"socket", "http", "clock"})
RUNNERS = {
    "socket": run_socket,
    "http": run_http,
    "clock": run_clock,
    "tip": run_tip,
    "validate": run_validate,
    "post-due": run_post_due,
    "migrate": run_migrate,
    "playground": run_playground,
}

if __name__ == "__main__":
    sys.exit(main())
