"""One way to route a `/pmtip` command: every command type of bot.core.grammar is
answered by exactly one route, chosen by an exhaustive `match` (mypy and
tests/slack/test_commands.py fail on a type without one).

A route says when it is answered: inside the acknowledgement (a lookup: the
catalogue only, no Slack or database call, so the reply travels in the HTTP
response), or after it, on the worker pool, through `response_url` (anything that
calls Slack or the database). Adding a command is its type and parse rule in the
grammar, its line in `/pmtip help`, one case here and its handler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import assert_never

from bot.core import grammar
from bot.core.render.blocks import Message
from bot.slack.handlers.admin import Admin
from bot.slack.handlers.lookups import Lookups
from bot.slack.handlers.subscriptions import Subscriptions
from bot.slack.payloads import SlashCommand

Answer = Callable[[SlashCommand], Message]


@dataclass(frozen=True, slots=True)
class InAck:
    """Answered inside the acknowledgement."""

    answer: Answer


@dataclass(frozen=True, slots=True)
class AfterAck:
    """Acknowledged at once; answered from the worker pool through response_url."""

    answer: Answer


Route = InAck | AfterAck


@dataclass(frozen=True, slots=True)
class Handlers:
    """Every command handler, built by bot.wiring."""

    lookups: Lookups
    subscriptions: Subscriptions
    admin: Admin


def route(command: grammar.Command, *, handlers: Handlers) -> Route:
    match command:
        case (
            grammar.RandomTip()
            | grammar.Lookup()
            | grammar.Search()
            | grammar.ListTopics()
            | grammar.Help()
            | grammar.Invalid()
        ):
            return InAck(partial(handlers.lookups.answer, command))
        case grammar.Subscribe():
            return AfterAck(partial(handlers.subscriptions.subscribe, command))
        case grammar.Unsubscribe():
            return AfterAck(partial(handlers.subscriptions.unsubscribe, command))
        case grammar.ShowSchedule():
            return AfterAck(partial(handlers.subscriptions.show_schedule, command))
        case grammar.PostNow():
            return AfterAck(partial(handlers.admin.post_now, command))
        case grammar.Stats():
            return AfterAck(partial(handlers.admin.stats, command))
        case grammar.Reload():
            return AfterAck(partial(handlers.admin.reload, command))
        case grammar.Preview():
            return AfterAck(partial(handlers.admin.preview, command))
        case _:
            assert_never(command)
