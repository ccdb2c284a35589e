"""Many workspaces in tests: the app in OAuth mode, and a browser that installs it.

`oauth_env(api)` is the environment of a deployment that serves many workspaces
(no bot token; the stand-in's client id and secret). `Browser` walks "Add to Slack"
as a person's browser does: it opens the install page (keeping the state cookie),
follows the link to Slack (here: takes the stand-in's one-time code for the
workspace) and comes back to the redirect URL with the code and the state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.support.html_tree import Element, parse_html
from tests.support.slack_api import FakeSlackApi

STATE_COOKIE = "slack-app-oauth-state"
DOCTYPE = "<!DOCTYPE html>\n"


class Reply(Protocol):
    status: int
    headers: dict[str, str]
    body: bytes


class Server(Protocol):
    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply: ...


def oauth_env(api: FakeSlackApi) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": "",
        "SLACK_CLIENT_ID": api.client_id,
        "SLACK_CLIENT_SECRET": api.client_secret,
    }


def page(reply: Reply) -> Element:
    """The page's tree: an HTML5 document, every tag balanced."""
    text = reply.body.decode("utf-8")
    assert text.startswith(DOCTYPE), text[:80]
    assert reply.headers["content-type"].startswith("text/html")
    return parse_html(text.removeprefix(DOCTYPE))


@dataclass
class InstallLink:
    url: str
    state: str  # in the link and in the cookie
    cookie: str  # the Set-Cookie value's name=value

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.url).query)


class Browser:
    def __init__(self, server: Server, api: FakeSlackApi) -> None:
        self.server = server
        self.api = api

    def open_install_page(self) -> InstallLink:
        reply = self.server.get("/slack/install")
        assert reply.status == 200, reply.body
        links = [a.attrs.get("href") or "" for a in page(reply).find_all("a")]
        url = next(link for link in links if "oauth/v2/authorize" in link)
        cookie = reply.headers["set-cookie"].split(";")[0]
        state = parse_qs(urlsplit(url).query)["state"][0]
        assert cookie == f"{STATE_COOKIE}={state}"
        return InstallLink(url=url, state=state, cookie=cookie)

    def come_back(
        self, *, state: str, cookie: str | None, code: str | None = None, error: str = ""
    ) -> Reply:
        """The redirect from Slack to pmtip, as the browser makes it."""
        query = {"error": error} if error else {"code": code or "", "state": state}
        headers = {"Cookie": cookie} if cookie else {}
        return self.server.get(f"/slack/oauth_redirect?{urlencode(query)}", headers)

    def install(self, team_id: str, *, installer: str = "UINSTALLER") -> Reply:
        """Add to Slack, all the way, for `team_id`: the outcome page."""
        link = self.open_install_page()
        code = self.api.install_code(team_id, installer=installer)
        return self.come_back(state=link.state, cookie=link.cookie, code=code)


def words(element: Element) -> str:
    return re.sub(r"\s+", " ", element.text()).strip()
