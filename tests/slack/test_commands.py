"""One way to route a command: every command type of the grammar has exactly one
route (bot.slack.commands.route), lookups inside the acknowledgement and the rest
after it, and every command a person can type is in `/pmtip help`."""

from __future__ import annotations

import dataclasses
import re
import typing

import pytest

from bot.core import grammar
from bot.slack.commands import AfterAck, Handlers, InAck, route
from bot.slack.handlers.admin import Admin
from bot.slack.handlers.lookups import Lookups
from bot.slack.handlers.subscriptions import Subscriptions

COMMAND_TYPES = typing.get_args(grammar.Command)

# The handler method that answers each command type, and when.
EXPECTED = {
    grammar.RandomTip: (InAck, Lookups.answer),
    grammar.Lookup: (InAck, Lookups.answer),
    grammar.Search: (InAck, Lookups.answer),
    grammar.ListTopics: (InAck, Lookups.answer),
    grammar.Help: (InAck, Lookups.answer),
    grammar.Invalid: (InAck, Lookups.answer),
    grammar.Subscribe: (AfterAck, Subscriptions.subscribe),
    grammar.Unsubscribe: (AfterAck, Subscriptions.unsubscribe),
    grammar.ShowSchedule: (AfterAck, Subscriptions.show_schedule),
    grammar.PostNow: (AfterAck, Admin.post_now),
    grammar.Stats: (AfterAck, Admin.stats),
    grammar.Reload: (AfterAck, Admin.reload),
    grammar.Preview: (AfterAck, Admin.preview),
}


def handlers() -> Handlers:
    """Real handler objects; routing only picks a method, so they need no parts."""
    lookups = Lookups.__new__(Lookups)
    subscriptions = Subscriptions.__new__(Subscriptions)
    admin = Admin.__new__(Admin)
    return Handlers(lookups=lookups, subscriptions=subscriptions, admin=admin)


def an_instance(command_type: type) -> grammar.Command:
    """Any value of the type: the router looks at the type only."""
    fields = dataclasses.fields(command_type)
    return command_type(**{f.name: None for f in fields if f.default is dataclasses.MISSING})


def test_every_command_type_is_in_the_table_below():
    assert set(EXPECTED) == set(COMMAND_TYPES)


@pytest.mark.parametrize("command_type", COMMAND_TYPES, ids=lambda t: t.__name__)
def test_every_command_type_has_exactly_its_route(command_type):
    command = an_instance(command_type)
    chosen = route(command, handlers=handlers())
    kind, method = EXPECTED[command_type]
    assert type(chosen) is kind
    assert chosen.answer.func.__func__ is method  # a bound method of the handler object
    assert chosen.answer.args == (command,)


def test_a_type_without_a_route_is_caught():
    @dataclasses.dataclass(frozen=True)
    class Unrouted:
        pass

    with pytest.raises(AssertionError):
        route(Unrouted(), handlers=handlers())  # type: ignore[arg-type]


def _typed(usage: str) -> str:
    """What a person types for a usage line: optional parts left out, placeholders filled."""
    text = re.sub(r"\[[^\]]*\]", "", usage).removeprefix("/pmtip")
    return re.sub(r"<[^>]*>", "some-tip-id", text)


def test_every_command_a_person_can_type_is_in_the_help():
    shown = {type(grammar.parse(_typed(u))) for u, _ in (*grammar.USAGE, *grammar.ADMIN_USAGE)}
    # Invalid is the parser's answer to a keyword used wrongly, not a command of its own.
    assert shown == set(COMMAND_TYPES) - {grammar.Invalid}
