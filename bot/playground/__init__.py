"""The local playground: try pmtip in a browser without Slack."""
