"""Logging: one format; a filter that masks anything shaped like a Slack token
or a `response_url` (a short-lived credential: whoever has it can post as the bot);
and a formatter that keeps each record on lines of its own.

Log lines quote outside text (a tips file's keys, request fields, exception
messages). Written raw, an ESC sequence would rewrite the operator's terminal
and a line break would start a line that passes for a record of its own. So the
message is written on one line with control characters as visible escapes, and
the lines of a traceback are indented: only a record's first line starts at the
left edge.
"""

from __future__ import annotations

import logging
import re
from types import TracebackType

from bot.core.controls import show_controls, show_controls_keeping_lines

_TOKEN = re.compile(r"\b(xox[abposr]|xapp)-[A-Za-z0-9-]+")
_HOOK = re.compile(r"(hooks\.slack\.com)(?:\\?/)[^\s\"',}]+")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CONTINUATION = "  "  # the indent of a traceback's lines
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _TOKEN.search(message) or _HOOK.search(message):
            message = _TOKEN.sub(r"\1-********", message)
            record.msg = _HOOK.sub(r"\1/********", message)
            record.args = None
        return True


class VisibleControls(logging.Formatter):
    """Writes every record with its control characters escaped (see the module)."""

    def format(self, record: logging.LogRecord) -> str:
        # logging caches a record's traceback text for every handler; this one's
        # is escaped and indented, and neither takes another's nor leaves its own.
        cached = record.exc_text
        record.exc_text = None
        try:
            return super().format(record)
        finally:
            record.exc_text = cached

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = show_controls(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: ExcInfo) -> str:
        return _indented(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return _indented(super().formatStack(stack_info))


def _indented(text: str) -> str:
    return "\n".join(CONTINUATION + line for line in show_controls_keeping_lines(text).split("\n"))


def setup_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(VisibleControls(FORMAT))
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # slack_sdk logs request bodies and headers at DEBUG; keep it quieter than ours.
    logging.getLogger("slack_sdk").setLevel(max(logging.INFO, logging.getLevelName(level)))
