"""The bot's page sizes stay within the limits Slack documents (which the stand-in Web
API also enforces, so a call that breaks one fails the end-to-end tests)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.slack import limits as slack_limits
from tests.support.slack_arguments import PAGE_LIMIT_MAX

# The shell: bot/core makes no Web API calls (its `limit=` are result counts).
SOURCES = {
    p: p.read_text(encoding="utf-8") for p in Path("bot").rglob("*.py") if "core" not in p.parts
}


def test_every_page_size_is_within_slacks_documented_limit():
    assert 1 <= slack_limits.USERS_CONVERSATIONS_PAGE <= PAGE_LIMIT_MAX["users.conversations"]
    assert 1 <= slack_limits.USERS_LIST_PAGE <= PAGE_LIMIT_MAX["users.list"]
    assert 1 <= slack_limits.CONVERSATIONS_HISTORY_PAGE <= PAGE_LIMIT_MAX["conversations.history"]
    assert PAGE_LIMIT_MAX["users.conversations"] == slack_limits.USERS_CONVERSATIONS_LIMIT_MAX
    assert PAGE_LIMIT_MAX["users.list"] == slack_limits.USERS_LIST_LIMIT_MAX
    assert PAGE_LIMIT_MAX["conversations.history"] == slack_limits.CONVERSATIONS_HISTORY_LIMIT_MAX


def test_no_web_api_call_passes_a_bare_number_as_its_limit():
    bare = {
        str(path): found
        for path, text in SOURCES.items()
        if (found := re.findall(r"\blimit=\d+", text))
    }
    assert bare == {}, "name the page size in bot/slack/limits.py, citing Slack's docs"
