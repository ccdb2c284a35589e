"""One limit on tip ids, TIP_ID_MAX: the validator, the JSON Schema, Slack's block
limits and the buttons all agree on it (the store's columns: tests/store)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.core.catalogue import TIP_ID_MAX
from bot.core.render import blocks
from bot.core.render.tips import tip_reply, weekly_insight
from bot.core.tips_file import TIP_ID_PATTERN, parse_catalogue
from tests.support.slack_validation import assert_valid_message

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "content" / "tips.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
VALID = REPO / "tests" / "fixtures" / "tips" / "valid.yaml"
SLACK_BLOCK_ID_MAX = 255
WEEKLY_BLOCK_ID_PREFIX = "weekly:"


def with_first_id(tip_id: str) -> tuple[dict[str, Any], str]:
    data = copy.deepcopy(yaml.safe_load(VALID.read_text(encoding="utf-8")))
    data["tips"][0]["id"] = tip_id
    return data, yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def test_the_schema_states_the_same_id_limit_and_pattern_as_the_validator():
    id_rule = SCHEMA["$defs"]["tip"]["properties"]["id"]
    assert id_rule["maxLength"] == TIP_ID_MAX
    assert id_rule["pattern"] == TIP_ID_PATTERN


def test_the_limit_fits_what_slack_allows_where_an_id_travels():
    assert TIP_ID_MAX <= blocks.BUTTON_VALUE_MAX
    assert len(WEEKLY_BLOCK_ID_PREFIX) + TIP_ID_MAX <= SLACK_BLOCK_ID_MAX


@pytest.mark.parametrize(("length", "accepted"), [(TIP_ID_MAX, True), (TIP_ID_MAX + 1, False)])
def test_the_validator_and_the_schema_draw_the_line_at_the_same_length(length, accepted):
    data, text = with_first_id("a" * length)
    assert parse_catalogue(text).ok is accepted
    assert VALIDATOR.is_valid(data) is accepted


def test_a_tip_with_the_longest_id_renders_every_button_with_the_whole_id():
    _, text = with_first_id("l" * TIP_ID_MAX)
    catalogue = parse_catalogue(text).catalogue
    assert catalogue is not None
    tip = catalogue.tip("l" * TIP_ID_MAX)
    for message in (weekly_insight(tip), tip_reply(tip)):
        assert_valid_message(message.as_kwargs())
        values = [
            element["value"]
            for block in message.blocks
            if block["type"] == "actions"
            for element in block["elements"]
        ]
        assert values and set(values) == {tip.id}
        action_blocks = [b["block_id"] for b in message.blocks if b["type"] == "actions"]
        assert all(b.endswith(tip.id) for b in action_blocks)


def test_a_button_value_or_block_id_too_long_for_slack_is_refused_not_cut():
    with pytest.raises(ValueError, match="button value"):
        blocks.button("Useful", blocks.VOTE_USEFUL, "v" * (blocks.BUTTON_VALUE_MAX + 1))
    with pytest.raises(ValueError, match="block_id"):
        blocks.actions("b" * (SLACK_BLOCK_ID_MAX + 1))
