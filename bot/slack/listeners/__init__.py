"""Bolt listeners: parse the payload (bot.slack.payloads), call a handler or the core,
reply. Each is built with only what it uses; bot.slack.routes registers them all."""
