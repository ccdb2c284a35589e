"""The one registration table: every kind of Slack request pmtip answers, and the
listener that answers it. The listeners are built by bot.wiring, each with only
what it uses.

Buttons and the Home tab are acknowledged at once and answered by a lazy
listener (after the ack, on Bolt's threads); `/pmtip` decides per command
(bot.slack.listeners.pmtip). Anything that raises gets bot.slack.listeners.failures'
answer instead of Bolt's empty 500.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from re import Pattern

from slack_bolt import Ack, App

from bot.core.render.blocks import ANOTHER, SHARE, SHOW, VOTE_NOT_FOR_ME, VOTE_USEFUL
from bot.slack.listeners.buttons import TOPIC_BUTTON
from bot.slack.listeners.failures import answer_failure
from bot.slack.listeners.home import TOPIC_BUTTON as HOME_TOPIC_BUTTON
from bot.slack.listeners.pmtip import COMMAND

Listener = Callable[..., None]


@dataclass(frozen=True, slots=True)
class Listeners:
    pmtip: Listener
    share: Listener
    another: Listener
    show: Listener
    topic: Listener
    vote_useful: Listener
    vote_not_for_me: Listener
    home_opened: Listener
    home_topic: Listener
    # Many workspaces only (bot.slack.listeners.uninstall); None with one workspace.
    app_uninstalled: Listener | None = None
    tokens_revoked: Listener | None = None


def _ack_now(ack: Ack) -> None:
    ack()


def register(app: App, listeners: Listeners) -> None:
    app.command(COMMAND)(listeners.pmtip)
    buttons: list[tuple[str | Pattern[str], Listener]] = [
        (SHARE, listeners.share),
        (ANOTHER, listeners.another),
        (SHOW, listeners.show),
        (TOPIC_BUTTON, listeners.topic),
        (VOTE_USEFUL, listeners.vote_useful),
        (VOTE_NOT_FOR_ME, listeners.vote_not_for_me),
        (HOME_TOPIC_BUTTON, listeners.home_topic),
    ]
    for action_id, listener in buttons:
        app.action(action_id)(ack=_ack_now, lazy=[listener])
    app.event("app_home_opened")(ack=_ack_now, lazy=[listeners.home_opened])
    # Inline, before the answer: the workspace is forgotten within the request.
    if listeners.app_uninstalled is not None:
        app.event("app_uninstalled")(listeners.app_uninstalled)
    if listeners.tokens_revoked is not None:
        app.event("tokens_revoked")(listeners.tokens_revoked)
    app.error(answer_failure)
