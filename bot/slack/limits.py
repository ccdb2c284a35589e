"""Limits Slack documents on the Web API arguments pmtip sends, and the page sizes
chosen within them. Each is cited from Slack's method reference,
https://docs.slack.dev/reference/methods/<method> ("Pagination"). The stand-in Web
API in tests enforces Slack's limits on its own (tests/support/slack_arguments.py).
"""

from __future__ import annotations

# users.conversations: "specify a limit value with a max of 999". The Home tab asks
# for whole pages: fewer calls while someone waits for the tab (a Tier 3 method).
USERS_CONVERSATIONS_LIMIT_MAX = 999
USERS_CONVERSATIONS_PAGE = USERS_CONVERSATIONS_LIMIT_MAX

# users.list: "specify a limit value under 1000". A Tier 2 method (about 20 calls a
# minute), called only when a tips-file edit is refused: whole pages again.
USERS_LIST_LIMIT_MAX = 999
USERS_LIST_PAGE = USERS_LIST_LIMIT_MAX

# conversations.history: "Maximum of 999"; "We recommend no more than 200 results at
# a time". Reconciliation reads recent messages only, so Slack's recommendation.
CONVERSATIONS_HISTORY_LIMIT_MAX = 999
CONVERSATIONS_HISTORY_PAGE = 200
