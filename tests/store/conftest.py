"""Every store test runs on SQLite and on PostgreSQL (see tests/support/databases.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.store import open_store
from bot.store.sql import SqlStore
from tests.support.databases import database_url, fresh_postgres

__all__ = ["database_url", "fresh_postgres", "store"]


@pytest.fixture
def store(database_url: str) -> Iterator[SqlStore]:
    opened = open_store(database_url)
    yield opened
    opened.close()
