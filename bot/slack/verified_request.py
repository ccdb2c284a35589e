"""From the bytes of an HTTP request to a BoltRequest: signature first, then the body.

Two things are done here rather than left to Bolt:

- The signature is checked on the raw bytes before anything is parsed, so that
  unsigned junk (broken JSON, JSON nested a thousand deep) costs one HMAC and a
  401, never a parser's exception and its traceback in the log.
- The body is parsed here, by the rule Slack follows: a form body is an
  interaction exactly when it has a `payload` field. slack-bolt 1.30's
  `parse_body` (`slack_bolt/request/internals.py`) instead takes any form body
  that merely *contains* the text "payload" for an interaction, finds no such
  field in a slash command from `#payload-team` or for `/pmtip search payload`,
  and returns `{}`: no listener matches and Slack shows "dispatch_failed".
  Bolt gets the parsed dict, and still the raw text for its own signature check.

Socket Mode never comes through here: its requests arrive as JSON already.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import BoltRequest
from slack_sdk.signature import SignatureVerifier

INTERACTION_FIELD = "payload"


@dataclass(frozen=True)
class Refusal:
    """A request that never reaches Bolt: the status to answer and why, in a few words."""

    status: int
    reason: str


class MalformedBody(ValueError):
    """A body that is not what Slack sends: not UTF-8, broken JSON, JSON that is no object."""


def parse_body(text: str, content_type: str | None) -> dict[str, Any]:
    """The fields of a Slack request body, as Bolt's listeners expect them.

    JSON (Events API) when it says so or looks so, as Bolt decides; otherwise a
    form, which is an interaction (its `payload` field, JSON-decoded) exactly
    when it has that field, and a slash command's fields otherwise. A field
    sent twice keeps its last value, as in Bolt.
    """
    if not text:
        return {}
    if content_type == "application/json" or text.startswith("{"):
        return _json_object(text)
    fields = dict(parse_qsl(text, keep_blank_values=True))
    if INTERACTION_FIELD in fields:
        return _json_object(fields[INTERACTION_FIELD])
    return fields


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except RecursionError:  # nested deeper than the decoder goes
        raise MalformedBody("JSON nested too deeply") from None
    except ValueError:
        raise MalformedBody("not valid JSON") from None
    if not isinstance(value, dict):
        raise MalformedBody(f"JSON {type(value).__name__}, not an object")
    return value


def media_type(headers: Mapping[str, str]) -> str | None:
    value = headers.get("content-type")
    return value.split(";")[0].strip().lower() if value else None


class ParsedRequest(BoltRequest):
    """A BoltRequest carrying pmtip's parse of the body beside the raw text.

    Bolt only accepts a ready dict body in Socket Mode; it is built that way and
    then switched to HTTP mode, so that Bolt's own RequestVerification checks
    `raw_body` again. `to_copyable` (the copy a lazy listener gets) keeps the
    parsed body instead of letting Bolt parse the raw text its own way.
    """

    def __init__(
        self,
        *,
        raw_body: str,
        body: dict[str, Any],
        query: str | dict[str, str] | dict[str, Sequence[str]] | None,
        headers: Mapping[str, str | Sequence[str]],
        context: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            body=body, query=query, headers=dict(headers), context=context, mode="socket_mode"
        )
        self.raw_body = raw_body
        self.mode = "http"

    def to_copyable(self) -> ParsedRequest:
        return ParsedRequest(
            raw_body=self.raw_body,
            body=self.body,
            query=self.query,
            headers=self.headers,
            context=self.context.to_copyable(),
        )


def verified_request(
    *,
    raw: bytes,
    headers: Mapping[str, str],
    query: str,
    verifier: SignatureVerifier,
) -> ParsedRequest | Refusal:
    """The request for Bolt, or why it gets none. `headers` have lower-case names."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12 and signature):
        return Refusal(401, "no valid signature headers")
    try:
        text = raw.decode("utf-8")  # as Slack sends it; slack_sdk's check needs it too
    except UnicodeDecodeError:
        return Refusal(400, "body is not UTF-8")
    if not verifier.is_valid(text, timestamp, signature):
        return Refusal(401, "invalid or expired signature")
    try:
        body = parse_body(text, media_type(headers))
    except MalformedBody as error:
        return Refusal(400, f"malformed body: {error}")
    return ParsedRequest(raw_body=text, body=body, query=query, headers=headers)
