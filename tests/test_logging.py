"""No log line shows a Slack token, whoever logs it."""

from __future__ import annotations

import io
import logging

from bot.logging_setup import RedactTokens, setup_logging


def test_tokens_in_messages_and_arguments_are_masked():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactTokens())
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("token xoxb-123-456-abcdef in a message")
        logger.info("headers: %s", {"Authorization": "Bearer xapp-1-A0-secret"})
        logger.info("user token %s", "xoxp-9-9-zzz")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "abcdef" not in output and "secret" not in output and "zzz" not in output
    assert output.count("********") == 3


def test_response_urls_are_masked_even_inside_logged_json():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactTokens())
    logger = logging.getLogger("test.redaction.hooks")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info(
            "envelope %s", {"response_url": "https://hooks.slack.com/commands/T1/22/abcSECRET"}
        )
        logger.info(
            '{"response_url": "https:\\/\\/hooks.slack.com\\/actions\\/T1\\/9\\/xyzSECRET"}'
        )
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "SECRET" not in output
    assert output.count("hooks.slack.com/********") == 2


# -- control characters ------------------------------------------------------------


def log_through_setup(emit) -> str:
    """What the handler `setup_logging` installs writes for the records `emit` logs."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    try:
        setup_logging("INFO")
        root.handlers[0].setStream(stream)
        emit(logging.getLogger("test.controls"))
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    return stream.getvalue()


def test_control_characters_in_any_log_line_are_escaped():
    key = "\x1b[2K\rtitle\n2024-01-01 00:00:00 INFO bot: all good"
    output = log_through_setup(
        lambda log: (
            log.error("tips file problem: %s", key),
            log.warning("a message with its own \x07 bell and \u202e override"),
        )
    )
    lines = output.splitlines()
    assert len(lines) == 2  # nothing forged a line of its own
    assert "\x1b" not in output and "\r" not in output and "\x07" not in output
    assert "\u202e" not in output
    assert lines[0].endswith(
        "tips file problem: \\x1b[2K\\rtitle\\n2024-01-01 00:00:00 INFO bot: all good"
    )
    assert "own \\x07 bell and \\u202e override" in lines[1]


def test_a_traceback_keeps_its_lines_but_cannot_start_a_forged_one():
    def emit(log: logging.Logger) -> None:
        try:
            raise ValueError("bad key \x1b[2K\r\n2024-01-01 00:00:00 INFO bot: forged")
        except ValueError:
            log.exception("reloading failed")

    output = log_through_setup(emit)
    lines = output.splitlines()
    assert "reloading failed" in lines[0]
    assert "\x1b" not in output and "\r" not in output
    assert any("Traceback (most recent call last):" in line for line in lines)
    # every line after the record's first is indented: only a record starts at column 0
    assert all(line.startswith(" ") for line in lines[1:]), lines
    assert not any(line.startswith("2024-01-01") for line in lines)


def test_tokens_are_still_masked_by_the_installed_handler():
    output = log_through_setup(lambda log: log.info("token %s\x1b", "xoxb-1-2-secret"))
    assert "secret" not in output and "xoxb-********\\x1b" in output


def test_a_traceback_text_cached_by_another_handler_is_not_written_raw():
    def emit(log: logging.Logger) -> None:
        raw = logging.Handler()
        raw.setFormatter(logging.Formatter())
        raw.emit = lambda record: raw.format(record)  # caches the raw traceback on the record
        log.addHandler(raw)
        try:
            raise ValueError("\x1b[2K forged")
        except ValueError:
            log.exception("failed")
        finally:
            log.removeHandler(raw)

    output = log_through_setup(emit)
    assert "\x1b" not in output and "\\x1b[2K forged" in output
