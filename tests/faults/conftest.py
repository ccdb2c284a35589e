"""Fault tests run against real databases (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set) and the stand-in Slack API, through a breakable proxy."""

from __future__ import annotations

from tests.support.databases import database_url, fresh_postgres

__all__ = ["database_url", "fresh_postgres"]
