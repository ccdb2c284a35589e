"""Many workspaces: the Web API calls made for a request use that request's token.

Bolt resolves the token of the request's workspace (bot.slack.oauth) and hands it to
listeners as their `client`. pmtip's handlers, though, are built once per process with
a client of their own (bot.wiring), and some of their work runs after the ack on other
threads. So the token travels with the request instead: `RequestToken` (a middleware,
after Bolt's authorization) puts it in a context variable, `ContextExecutor` carries
the variable into the threads that finish the request (Bolt's lazy listeners, the
/pmtip worker pool), and `RequestTokenClient` calls Slack with it. Outside a request
(or with one workspace) the client uses the token it was built with.

Bolt's middleware `next()` only says "go on" (the listener runs after every middleware
has returned), so the variable cannot be reset there: bot.slack.web runs each
dispatch in a fresh copy of the context (`in_own_context`) instead, which is
dropped with everything set in it when the request is answered.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient

_token: contextvars.ContextVar[str | None] = contextvars.ContextVar("pmtip_token", default=None)
# Who installed pmtip in the request's workspace: an admin of pmtip there (bot.slack.users).
_installer: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "pmtip_installer", default=None
)

P = ParamSpec("P")
T = TypeVar("T")


class RequestTokenClient(WebClient):
    """A WebClient whose token is the current request's, when a request set one."""

    _own_token: str | None = None

    @property
    def token(self) -> str | None:
        return _token.get() or self._own_token

    @token.setter
    def token(self, value: str | None) -> None:
        self._own_token = value


_workspace: contextvars.ContextVar[str] = contextvars.ContextVar("pmtip_workspace", default="")


def request_workspace_key() -> str:
    """The current request's workspace (enterprise/team), "" outside one or with one
    workspace: what a process remembers of a workspace is kept under it."""
    return _workspace.get()


def request_installer() -> str | None:
    """The user who installed pmtip in the current request's workspace, if known."""
    return _installer.get()


class RequestToken(Middleware):
    """Makes the token Bolt resolved for this request the one pmtip's clients use, and
    its workspace's installer known (`installer_of(enterprise_id, team_id)`)."""

    def __init__(self, installer_of: Callable[[str | None, str | None], str | None]) -> None:
        self._installer_of = installer_of

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        # Set in the request's own context (in_own_context), which goes with it.
        _token.set(req.context.bot_token)
        _workspace.set(f"{req.context.enterprise_id or ''}/{req.context.team_id or ''}")
        _installer.set(self._installer_of(req.context.enterprise_id, req.context.team_id))
        return next()


class ContextExecutor(ThreadPoolExecutor):
    """A thread pool that runs each task in a copy of the submitter's context, so the
    request's token follows the work it hands off."""

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        context = contextvars.copy_context()
        run: Callable[..., Any] = context.run
        return super().submit(run, fn, *args, **kwargs)


def in_own_context(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """fn(*args, **kwargs) in a copy of this context: what it sets stays with it."""
    return contextvars.copy_context().run(fn, *args, **kwargs)
