"""The three web pages of "Add to Slack": the install page and the outcome of an install.

Plain HTML5 with the text escaped; no secret, token or state is ever shown (the
install link carries the one-time state, which is the point of it). Each outcome
says what to do next.
"""

from __future__ import annotations

from html import escape

FAILURES = {
    # Slack's own reasons (the person pressed Cancel, or the workspace refused).
    "access_denied": "The installation was cancelled in Slack, so nothing was installed.",
    # Bolt's reasons (slack_bolt/oauth/oauth_flow.py).
    "invalid_browser": "This install link was opened in another browser, or it expired.",
    "invalid_state": "This install link has expired or was already used.",
    "missing_code": "Slack did not send the installation back to pmtip.",
    "invalid_code": "Slack did not confirm the installation (the link may have been used already).",
    "storage_error": "pmtip could not save the installation. Nothing is lost: try again in "
    "a minute.",
}
# What someone in a workspace without an installation sees when they use pmtip there.
NOT_INSTALLED = (
    "pmtip is not installed in this workspace (or was removed). Ask whoever runs pmtip "
    "for its install link, the page that ends in /slack/install, then try again."
)
TRY_AGAIN = "Start again from the install page: each link works once, for ten minutes."


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n"
        '<link rel="icon" href="data:,">\n'
        "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;"
        "padding:0 1rem;line-height:1.5}code{background:#f4f4f4;padding:0 .25rem}</style>\n"
        f"</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def install_page(authorize_url: str) -> str:
    link = escape(authorize_url, quote=True)
    return _page(
        "Add pmtip to Slack",
        "<h1>pmtip: strategy nudges for product managers</h1>\n"
        "<p>Short, actionable tips in Slack: <code>/pmtip ai-failure</code> for a tip, and a "
        "weekly insight in any channel that subscribes.</p>\n"
        f'<p><a href="{link}"><img alt="Add to Slack" height="40" width="139" '
        'src="https://platform.slack-edge.com/img/add_to_slack.png"></a></p>\n'
        "<p>You choose the workspace on Slack's page. pmtip asks only for what its "
        "commands use; uninstalling it deletes everything it kept for the workspace.</p>",
    )


def success_page(*, team_name: str, team_id: str, app_id: str) -> str:
    team = escape(team_name or "your workspace")
    open_slack = escape(f"slack://app?team={team_id}&id={app_id}", quote=True)
    return _page(
        "pmtip is installed",
        f"<h1>pmtip is installed in {team}</h1>\n"
        "<p>What to do next:</p>\n<ol>\n"
        "<li>In any channel, type <code>/pmtip help</code> to see what pmtip does.</li>\n"
        "<li>To get a weekly insight in a channel, type <code>/pmtip subscribe</code> there "
        "(for example <code>/pmtip subscribe monday 09:00</code>).</li>\n"
        "<li>Try a tip: <code>/pmtip ai-failure</code>.</li>\n</ol>\n"
        f'<p><a href="{open_slack}">Open Slack</a></p>',
    )


def failure_page(reason: str) -> str:
    why = FAILURES.get(reason, "The installation did not complete.")
    return _page(
        "pmtip was not installed",
        "<h1>pmtip was not installed</h1>\n"
        f"<p>{escape(why)}</p>\n"
        f'<p>{escape(TRY_AGAIN)} <a href="/slack/install">Add pmtip to Slack</a></p>\n'
        "<p>If it keeps failing, tell whoever runs this pmtip, with the time it happened.</p>",
    )
