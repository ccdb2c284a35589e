"""The Slack side: the Bolt app, its listeners and command handlers, the HTTP front,
and the Web API as pmtip uses it (one client factory, users and admins, paging,
the bot's own identity, the limits Slack documents)."""
