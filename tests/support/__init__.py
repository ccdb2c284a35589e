"""Test support: a stand-in Slack Web API, signed requests, the app on a port,
and Block Kit checks. End-to-end tests import from here."""
