"""Logging: one format, and a filter that masks anything shaped like a Slack token
or a `response_url` (a short-lived credential: whoever has it can post as the bot)."""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"\b(xox[abposr]|xapp)-[A-Za-z0-9-]+")
_HOOK = re.compile(r"(hooks\.slack\.com)(?:\\?/)[^\s\"',}]+")


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _TOKEN.search(message) or _HOOK.search(message):
            message = _TOKEN.sub(r"\1-********", message)
            record.msg = _HOOK.sub(r"\1/********", message)
            record.args = None
        return True


def setup_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # slack_sdk logs request bodies and headers at DEBUG; keep it quieter than ours.
    logging.getLogger("slack_sdk").setLevel(max(logging.INFO, logging.getLevelName(level)))
