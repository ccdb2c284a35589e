"""Pytest fixtures for end-to-end tests; tests/conftest.py imports them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.app_server import RunningApp
from tests.support.network import loopback_only
from tests.support.slack_api import FakeSlackApi


@pytest.fixture
def slack_api() -> Iterator[FakeSlackApi]:
    """A started stand-in for Slack's Web API; this process may reach only loopback."""
    with loopback_only(), FakeSlackApi() as api:
        yield api


@pytest.fixture
def running_app(slack_api: FakeSlackApi) -> Iterator[Callable[..., RunningApp]]:
    """`running_app(**env)`: the app, started and aimed at `slack_api`; stopped at teardown."""
    started: list[RunningApp] = []

    def start(**env: str) -> RunningApp:
        app = RunningApp(slack_api, env=env).start()
        started.append(app)
        return app

    yield start
    for app in started:
        app.stop()
