"""No log line shows a Slack token, whoever logs it."""

from __future__ import annotations

import io
import logging

from bot.logging_setup import RedactTokens


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
