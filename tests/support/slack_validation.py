"""Is a message (or a view) one Slack would accept? slack_sdk's Block Kit models,
plus the limits they do not check (block count, text sizes, unique block ids)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT = 40_000
HEADER_MAX = 150
SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
SECTION_FIELD_MAX = 2000
CONTEXT_ELEMENTS_MAX = 10
ACTIONS_ELEMENTS_MAX = 25
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
BUTTON_URL_MAX = 3000
ID_MAX = 255
MODAL_TITLE_MAX = 24
# Mentions that notify people; echoed user text must never contain them raw.
BROADCASTS = ("<!channel", "<!here", "<!everyone", "<@", "<#", "<!subteam")


def message_problems(message: Mapping[str, Any]) -> list[str]:
    """Every reason Slack would refuse `message` (a chat or response_url payload)."""
    problems: list[str] = []
    text = message.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append("the message has no `text` fallback")
    elif len(text) > MAX_TEXT:
        problems.append(f"`text` is {len(text)} characters; Slack allows {MAX_TEXT}")
    if message.get("response_type") not in (None, "ephemeral", "in_channel"):
        problems.append(f"`response_type` {message['response_type']!r} is not one Slack knows")
    problems += blocks_problems(message.get("blocks", []), max_blocks=MAX_MESSAGE_BLOCKS)
    return problems


def view_problems(view: Mapping[str, Any]) -> list[str]:
    """Every reason Slack would refuse `view` (a Home tab or a modal)."""
    problems: list[str] = []
    if view.get("type") not in ("home", "modal"):
        problems.append(f"view type {view.get('type')!r} must be home or modal")
    if view.get("type") == "modal":
        title = (view.get("title") or {}).get("text", "")
        if not 1 <= len(title) <= MODAL_TITLE_MAX:
            problems.append(f"a modal title must be 1 to {MODAL_TITLE_MAX} characters")
    try:
        View(**dict(view)).validate_json()
    except (SlackObjectFormationError, TypeError) as error:
        problems.append(f"slack_sdk refuses the view: {error}")
    problems += blocks_problems(view.get("blocks", []), max_blocks=MAX_VIEW_BLOCKS)
    return problems


def blocks_problems(blocks: Any, *, max_blocks: int) -> list[str]:
    if not isinstance(blocks, list):
        return ["`blocks` must be a list"]
    problems: list[str] = []
    if len(blocks) > max_blocks:
        problems.append(f"{len(blocks)} blocks; Slack allows {max_blocks}")
    seen_ids: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"block {index} ({block.get('type') if isinstance(block, dict) else block!r})"
        problems += [f"{where}: {p}" for p in block_problems(block)]
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if block_id is not None:
            if block_id in seen_ids:
                problems.append(f"{where}: block_id {block_id!r} is used twice")
            seen_ids.add(block_id)
    return problems


def block_problems(block: Any) -> list[str]:
    if not isinstance(block, dict):
        return ["a block must be an object"]
    problems: list[str] = []
    parsed = Block.parse(block)
    if parsed is None:
        return [f"slack_sdk does not know the block type {block.get('type')!r}"]
    try:
        parsed.validate_json()
    except SlackObjectFormationError as error:
        problems.append(f"slack_sdk refuses it: {error}")
    if len(str(block.get("block_id", ""))) > ID_MAX:
        problems.append(f"block_id is longer than {ID_MAX}")
    kind = block.get("type")
    if kind == "header":
        text = (block.get("text") or {}).get("text", "")
        if block.get("text", {}).get("type") != "plain_text":
            problems.append("header text must be plain_text")
        if not 1 <= len(text) <= HEADER_MAX:
            problems.append(
                f"header text is {len(text)} characters; Slack allows 1 to {HEADER_MAX}"
            )
    elif kind == "section":
        problems += _section_problems(block)
    elif kind == "context":
        elements = block.get("elements") or []
        if not 1 <= len(elements) <= CONTEXT_ELEMENTS_MAX:
            problems.append(f"{len(elements)} context elements; Slack allows 1 to 10")
        problems += [
            "an empty context text" for e in elements if "text" in e and not e["text"].strip()
        ]
    elif kind == "actions":
        elements = block.get("elements") or []
        if not 1 <= len(elements) <= ACTIONS_ELEMENTS_MAX:
            problems.append(f"{len(elements)} actions elements; Slack allows 1 to 25")
        action_ids = [e.get("action_id") for e in elements if e.get("action_id")]
        if len(action_ids) != len(set(action_ids)):
            problems.append("two elements of one actions block share an action_id")
    for element in _interactive_elements(block):
        problems += _element_problems(element)
    return problems


def _section_problems(block: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    text = block.get("text")
    fields = block.get("fields")
    if text is None and not fields:
        problems.append("a section needs text or fields")
    if text is not None and not 1 <= len(text.get("text", "")) <= SECTION_TEXT_MAX:
        problems.append(
            f"section text is {len(text.get('text', ''))} characters; "
            f"Slack allows 1 to {SECTION_TEXT_MAX}"
        )
    if fields is not None:
        if len(fields) > SECTION_FIELDS_MAX:
            problems.append(f"{len(fields)} section fields; Slack allows {SECTION_FIELDS_MAX}")
        problems += [
            f"a section field is over {SECTION_FIELD_MAX} characters"
            for f in fields
            if len(f.get("text", "")) > SECTION_FIELD_MAX
        ]
    return problems


def _interactive_elements(block: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if isinstance(block.get("accessory"), dict):
        yield block["accessory"]
    if block.get("type") == "actions":
        yield from (e for e in block.get("elements") or [] if isinstance(e, dict))


def _element_problems(element: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if len(str(element.get("action_id", ""))) > ID_MAX:
        problems.append(f"action_id is longer than {ID_MAX}")
    if element.get("type") == "button":
        text = (element.get("text") or {}).get("text", "")
        if not 1 <= len(text) <= BUTTON_TEXT_MAX:
            problems.append(f"button text is {len(text)} characters; Slack allows 1 to 75")
        if len(str(element.get("value", ""))) > BUTTON_VALUE_MAX:
            problems.append(f"button value is longer than {BUTTON_VALUE_MAX}")
        if len(str(element.get("url", ""))) > BUTTON_URL_MAX:
            problems.append(f"button url is longer than {BUTTON_URL_MAX}")
    return problems


def assert_valid_message(message: Any) -> None:
    """Fail with every problem listed unless Slack would accept `message`.

    Takes a payload dict or anything with `as_kwargs()` (bot.core.render.blocks.Message).
    """
    payload = message.as_kwargs() if hasattr(message, "as_kwargs") else message
    problems = message_problems(payload)
    if problems:
        raise AssertionError("invalid Slack message:\n  " + "\n  ".join(problems))


def assert_valid_view(view: Mapping[str, Any]) -> None:
    problems = view_problems(view)
    if problems:
        raise AssertionError("invalid Slack view:\n  " + "\n  ".join(problems))


def all_text(message: Any) -> str:
    """Every string in a message, fallback and blocks alike, as one JSON string."""
    payload = message.as_kwargs() if hasattr(message, "as_kwargs") else message
    return json.dumps(payload, ensure_ascii=False)


def assert_no_broadcast(message: Any) -> None:
    """Fail if the message could mention or notify anyone: `<!channel>`, `<@U…>` and kin."""
    text = all_text(message)
    found = [token for token in BROADCASTS if token in text]
    if found:
        raise AssertionError(f"the message carries raw mentions {found}: {text[:500]}")
