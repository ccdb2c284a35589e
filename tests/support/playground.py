"""The playground, started in this process on 127.0.0.1 for a test, and helpers to
read its World: the messages each person sees, the buttons on them, waiting for the
replies pmtip sends after its acknowledgement."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.playground.config import CHANNEL_ID, Person, playground_environment
from bot.playground.server import PlaygroundServer, start, stop
from bot.playground.slack_requests import Clicked
from bot.playground.world import Posted, World
from bot.settings import load_settings
from tests.support.network import loopback_only

REPO_ROOT = Path(__file__).resolve().parents[2]
TIPS = REPO_ROOT / "content" / "tips.yaml"
WAIT_SECONDS = 15.0


def copy_tips(folder: Path) -> Path:
    """A copy of content/tips.yaml that a test may break."""
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(TIPS, folder / "tips.yaml"))


@contextmanager
def running_playground(
    folder: Path, *, env: Mapping[str, str] | None = None, tips: Path | None = None
) -> Iterator[PlaygroundServer]:
    """The playground on a free port, its data under `folder`, reaching only loopback.
    The tips file is polled every 0.2 s unless `env` says otherwise."""
    environ = {"RELOAD_SECONDS": "0.2"} | dict(env or {})
    base = load_settings(playground_environment(environ), mode="playground")
    with loopback_only():
        server, _ = start(base, port=0, data_dir=folder / "data", tips_path=tips)
        try:
            yield server
        finally:
            stop(server)


def wait_for(world: World, predicate: Callable[[World], bool], what: str) -> None:
    assert world.wait_until(predicate, timeout=WAIT_SECONDS), f"timed out waiting for {what}"


def seen_by(world: World, user_id: str, conversation: str = CHANNEL_ID) -> list[Posted]:
    """The messages of a conversation that `user_id` sees, oldest first."""
    return [
        m
        for m in world.snapshot().messages
        if m.conversation == conversation and m.visible_to in (None, user_id)
    ]


def buttons(message: Posted | Mapping[str, Any]) -> dict[str, Clicked]:
    """The buttons of a message (or a view), by action id, as the page would click them."""
    body = message.body if isinstance(message, Posted) else message
    found = {}
    for index, block in enumerate(body.get("blocks") or []):
        elements = block.get("elements") if block.get("type") == "actions" else None
        if block.get("accessory"):
            elements = [block["accessory"]]
        for element in elements or []:
            if element.get("type") == "button":
                block_id = block.get("block_id") or f"block-{index}"
                label = element["text"]["text"]
                found[element["action_id"]] = Clicked(
                    element["action_id"], element.get("value", ""), block_id, label
                )
    return found


def text_of(message: Posted) -> str:
    """Every text a message carries, joined: its fallback and each block's."""
    parts = [str(message.body.get("text") or "")]
    for block in message.body.get("blocks") or []:
        for key in ("text",):
            if isinstance(block.get(key), dict):
                parts.append(block[key]["text"])
        for element in block.get("elements") or []:
            if isinstance(element, dict) and isinstance(element.get("text"), str):
                parts.append(element["text"])
    return "\n".join(parts)


def offer_new_button(
    server: PlaygroundServer, *, to: Person, action_id: str, value: str
) -> list[dict[str, Any]]:
    """A button no listener of pmtip's knows yet, in a DM the bot posts to `to` through
    its own Web API client, and a listener added to the live app that answers it by
    replacing the message: what the app receives for each click, in a list."""
    received: list[dict[str, Any]] = []

    def answer(ack: Any, body: dict[str, Any], respond: Any) -> None:
        ack()
        received.append(body)
        respond({"text": f"clicked {body['actions'][0]['value']}", "replace_original": True})

    process = server.playground.session.process
    assert process is not None
    process.app.action(action_id)(answer)
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": "A new button"},
        "action_id": action_id,
        "value": value,
    }
    offer = [{"type": "actions", "block_id": "offer", "elements": [button]}]
    process.parts.client.chat_postMessage(channel=to.id, text="A new button", blocks=offer)
    return received
