"""Fixtures shared by every test tier. Keep this small: fixtures live in tests/support."""

from tests.support.fixtures import running_app, slack_api

__all__ = ["running_app", "slack_api"]
