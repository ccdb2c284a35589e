"""Delivery runs against the stand-in Slack API and a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.store import open_store
from bot.store.sql import SqlStore
from tests.support.databases import database_url, fresh_postgres
from tests.support.slack_api import FakeSlackApi

__all__ = ["client", "database_url", "fresh_postgres", "store"]

BOT_TOKEN = "xoxb-delivery-test-token"


@pytest.fixture
def store(database_url: str) -> Iterator[SqlStore]:
    opened = open_store(database_url)
    yield opened
    opened.close()


@pytest.fixture
def client(slack_api: FakeSlackApi) -> WebClient:
    """Built the way bot.wiring's delivery client builds it: no retry handlers."""
    return WebClient(token=BOT_TOKEN, base_url=slack_api.base_url, timeout=2, retry_handlers=[])
