"""Text from outside (the tips file, a request, an exception) shown safely: the
characters a terminal, a log viewer or an editor would act on instead of showing
become visible escapes, the way Python writes them (`\\x1b`, `\\r`, `\\u202e`).

Escaped are the C0 and C1 controls and DEL (ESC starts terminal commands, CR and
LF start a new line that can pass for a log record of its own), the Unicode line
and paragraph separators, and the bidirectional overrides and isolates that make
text read in another order than it is written. Everything else, emoji joiners
and accents included, is left as it is. Backslashes are not doubled: a shown
`\\x1b` is either an escape or those four characters typed, never a live ESC.
"""

from __future__ import annotations

import re

_BIDI_AND_SEPARATORS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029"
_ANY_CONTROL = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI_AND_SEPARATORS}]")
_ALL_BUT_LINES = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI_AND_SEPARATORS}]")  # not \t, \n
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def show_controls(text: str) -> str:
    """`text` on one line, with every control character as a visible escape."""
    return _ANY_CONTROL.sub(_escape, text)


def show_controls_keeping_lines(text: str) -> str:
    """Like `show_controls`, but line feeds and tabs stay: for text that is meant
    to span lines, such as a traceback."""
    return _ALL_BUT_LINES.sub(_escape, text)
