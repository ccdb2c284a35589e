"""The real pmtip app behind the page, and what each thing a person does sends it.

`Playground` builds the app exactly as `python -m bot http` does (settings →
`bot.wiring.playground_process`: parts, app, ASGI front), with settings that aim its Web
API client and every `response_url` at this process (`config.playground_settings`).
A typed command, a click and opening the Home tab each become the signed request
Slack would send (`slack_requests`), POSTed to the ASGI app in-process
(`asgi_bridge`); what pmtip answers in the acknowledgement, and everything it sends
later through the Web API or a `response_url` (`standin`), lands in the `World` the
page shows. Nothing here writes a reply of its own.

A session (`session.py`) is one World and one app over one fresh SQLite file;
`reset` replaces it.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from bot.core.render.blocks import escape
from bot.playground import clock as clocks
from bot.playground import config, slack_requests
from bot.playground.asgi_bridge import AsgiReply
from bot.playground.config import CHANNEL_ID, MEMBER, Person
from bot.playground.session import Session, close_session, new_session, open_session
from bot.playground.slack_requests import Clicked
from bot.playground.standin import history_item
from bot.playground.world import World
from bot.settings import Settings
from bot.wiring import Parts

SLACKBOT = "USLACKBOT"
HOME = "home"  # the page's name for a button on the Home tab


class Playground:
    def __init__(
        self, *, base: Settings, base_url: str, data_dir: Path, tips_path: Path | None = None
    ) -> None:
        self.base = base
        self.base_url = base_url.rstrip("/")  # http://127.0.0.1:PORT, this process
        self.data_dir = data_dir
        self.tips_path = tips_path
        self.viewer: Person = MEMBER
        # Held by every action and every rendering of the page; never by the stand-in,
        # which pmtip's threads call while an action waits for its acknowledgement.
        self.lock = threading.RLock()
        self._generations = 0
        self.session = self._new_session()

    # -- lifecycle -------------------------------------------------------------------

    @property
    def world(self) -> World:
        return self.session.world

    @property
    def parts(self) -> Parts:
        assert self.session.process is not None, "start() first"
        return self.session.process.parts

    @property
    def database_path(self) -> Path:
        return self.data_dir / config.DATABASE_FILE

    def version_token(self) -> str:
        """Changes whenever the page should: a new session, or any change in the World."""
        return f"{self.session.generation}.{self.session.world.version}"

    def wait_for_change(self, token: str, *, timeout: float) -> None:
        """Return once `version_token()` differs from `token`, or after `timeout` s."""
        session = self.session
        generation, _, version = token.partition(".")
        if generation == str(session.generation) and version.isdigit():
            session.world.wait_for_change(int(version), timeout=timeout)

    def _new_session(self) -> Session:
        self._generations += 1
        return new_session(
            self.base,
            generation=self._generations,
            api_base_url=f"{self.base_url}/api/",
            database_path=self.database_path,
            tips_path=self.tips_path,
        )

    def start(self) -> None:
        """Build the app. The stand-in must be served already (see session.py)."""
        with self.lock:
            open_session(self.session, database_path=self.database_path)

    def reset(self) -> None:
        """Start over: a new World, a new database file, a new app."""
        with self.lock:
            old = self.session
            close_session(old)
            self.session = self._new_session()
            self.start()
        old.world.touch()  # wakes the page's long poll, which then finds the new session

    def close(self) -> None:
        with self.lock:
            close_session(self.session)

    # -- what a person does ----------------------------------------------------------

    def switch(self, role: str) -> None:
        self.viewer = config.person(role)
        self.world.touch()

    def type(self, text: str, *, conversation: str = CHANNEL_ID) -> None:
        """What the message box sends: a slash command to pmtip, or a plain message."""
        text = text.strip()
        if not text:
            return
        who, world = self.viewer, self.world
        if not text.startswith("/"):
            world.post(conversation=conversation, author=who.id, body={"text": escape(text)})
            return
        command, _, rest = text.partition(" ")
        if command != "/pmtip":
            notice = f"`{escape(command)}` is not a valid command. In this playground, try /pmtip."
            world.post(
                conversation=conversation, author=SLACKBOT, body={"text": notice}, visible_to=who.id
            )
            return
        key = world.new_response_url(
            conversation=conversation, user=who.id, original=None, command=text
        )
        body = slack_requests.slash_command(
            command=command,
            text=rest.strip(),
            who=who,
            conversation=conversation,
            response_url=self._response_url(key),
        )
        reply = self._send(body, slack_requests.FORM)
        self._show_command_ack(reply, text=text, key=key, conversation=conversation)

    def click(self, message_id: str, clicked: Clicked) -> None:
        """A button on a message (or on the Home tab when `message_id` is HOME)."""
        if message_id == HOME:
            self._click_home(clicked)
            return
        world, who = self.world, self.viewer
        message = world.message(message_id)
        if message is None or message.visible_to not in (None, who.id):
            return  # gone, or not this person's to click
        ephemeral = message.visible_to is not None
        key = world.new_response_url(
            conversation=message.conversation, user=who.id, original=message.id
        )
        body = slack_requests.block_actions(
            clicked,
            who=who,
            container={
                "type": "message",
                "message_ts": message.ts,
                "channel_id": message.conversation,
                "is_ephemeral": ephemeral,
            },
            response_url=self._response_url(key),
            conversation=message.conversation,
            message=None if ephemeral else history_item(message),
        )
        self._check_ack(self._send(body, slack_requests.FORM), conversation=message.conversation)

    def open_home(self) -> None:
        who = self.viewer
        body = slack_requests.app_home_opened(who=who, view=self.world.snapshot().views.get(who.id))
        self._check_ack(self._send(body, slack_requests.JSON), conversation=who.dm_channel)

    def advance_clock(self, *, week: bool) -> list[str]:
        with self.lock:
            lines = clocks.advance(self.parts, self.session.clock, week=week)
        self.world.report_clock(lines)
        return lines

    # -- the hop to the app ------------------------------------------------------------

    def _response_url(self, key: str) -> str:
        return f"{self.base_url}/response/{key}"

    def _send(self, body: bytes, content_type: str) -> AsgiReply:
        session = self.session
        assert session.asgi is not None, "start() first"
        signed = slack_requests.sign(
            body, secret=session.settings.signing_secret.reveal(), content_type=content_type
        )
        return session.asgi.post_event(body=signed.body, headers=signed.headers)

    def _show_command_ack(
        self, reply: AsgiReply, *, text: str, key: str, conversation: str
    ) -> None:
        """Slack shows a command's acknowledgement body as the reply; an empty one, nothing."""
        who, world = self.viewer, self.world
        if reply.status != 200:
            _slack_failure(
                world,
                who,
                conversation,
                f"{text.split()[0]} failed with the error "
                f"“dispatch_failed” (pmtip answered HTTP {reply.status})",
            )
            return
        message = _ack_message(reply)
        if message is None:
            return
        in_channel = message.get("response_type") == "in_channel"
        posted = world.post(
            conversation=conversation,
            author=config.BOT_USER_ID,
            body=message,
            visible_to=None if in_channel else who.id,
            command=text,
        )
        world.set_response_original(key, posted.id)

    def _check_ack(self, reply: AsgiReply, *, conversation: str) -> None:
        if reply.status != 200:
            text = f"pmtip did not accept that (HTTP {reply.status}); Slack would show a warning."
            _slack_failure(self.world, self.viewer, conversation, text)

    def _click_home(self, clicked: Clicked) -> None:
        who = self.viewer
        view = self.world.snapshot().views.get(who.id)
        if view is None:
            return
        view_id = f"V{who.id}"
        body = slack_requests.block_actions(
            clicked,
            who=who,
            container={"type": "view", "view_id": view_id},
            response_url=None,
            conversation=None,
            view={"id": view_id, "callback_id": "", "hash": "", **view},
        )
        self._check_ack(self._send(body, slack_requests.FORM), conversation=who.dm_channel)


def _ack_message(reply: AsgiReply) -> dict[str, Any] | None:
    if not reply.body:
        return None
    if reply.content_type.startswith("application/json"):
        try:
            message = json.loads(reply.body)
        except ValueError:
            return None
        if not isinstance(message, dict) or not (message.get("text") or message.get("blocks")):
            return None
        return message
    return {"text": escape(reply.body.decode("utf-8", errors="replace"))}


def _slack_failure(world: World, who: Person, conversation: str, text: str) -> None:
    world.post(conversation=conversation, author=SLACKBOT, body={"text": text}, visible_to=who.id)
