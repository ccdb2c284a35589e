"""A YAML syntax error, reported where the mistake is and in an admin's words.

The parser reports where it gave up, which can be far from the mistake: an
unclosed quote swallows every line up to the next quote mark, and the error
comes there. Where the parser's context (or the scanner's tokens, re-read up to
the error) points at an earlier start, the problem is reported there first,
with what is probably missing; the parser's own finding follows in brackets.
Anything not recognised keeps the parser's words, at the parser's place.

Only the scanner's tokens are trusted to say what is quoted: an apostrophe in
plain text (`don't`) or a quote mark inside a block text (`>-`) is not a quote.
"""

from __future__ import annotations

import re

import yaml

from bot.core.problems import Problem, shown

try:  # the same scanner the loader uses, so tokens and error agree
    _Scanner: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Scanner = yaml.SafeLoader

# A line that starts a mapping entry: `key:` or `- key:`, then a space or the end.
_KEY_LINE = re.compile(r"^[ \t]*(?:-[ \t]+)?[^\s#'\"\[\]{},&*!|>%@`-][^#]*?:(?:[ \t]|$)")
_CONTINUES = " (or, if this line continues the text above it, indent it like that text)"
_MISALIGNED = ("did not find expected key", "did not find expected '-' indicator")
_FLOWS = {
    "while parsing a flow sequence": ("list", "[", "]"),
    "while parsing a flow mapping": ("mapping", "{", "}"),
}

Place = tuple[int, int]  # 0-based line and column, as marks count


def syntax_problem(text: str, error: yaml.MarkedYAMLError) -> Problem:
    """The problem to report for a syntax error in `text`."""
    lines = text.splitlines()
    explanations = (
        _quote_open_at_end,
        _unknown_escape,
        _flow_never_closed,
        _quote_swallowed_lines,
        _key_without_colon,
        _text_runs_on,
        _misaligned,
        _more_after_the_value,
    )
    for explain in explanations:
        found = explain(text, lines, error)
        if found is not None:
            return found
    return _in_parser_words(lines, error)


def _place(mark: yaml.Mark | None) -> Place | None:
    return (mark.line, mark.column) if mark is not None else None


def _token_place(mark: yaml.Mark) -> Place:
    """Where a token starts or ends (the scanner marks every token)."""
    return (mark.line, mark.column)


def _at(place: Place, message: str) -> Problem:
    return Problem(place[0] + 1, place[1] + 1, message)


def _parser_said(error: yaml.MarkedYAMLError) -> str:
    mark = error.problem_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f" (YAML stopped at {where}{error.problem})"


def _line(lines: list[str], index: int) -> str:
    return lines[index] if 0 <= index < len(lines) else ""


def _quote_open_at_end(text: str, lines: list[str], error: yaml.MarkedYAMLError) -> Problem | None:
    """A quoted text that runs to the end of the file (or to a `---` line, which
    ends a YAML document): the parser names its start."""
    start, stop = _place(error.context_mark), _place(error.problem_mark)
    problem = str(error.problem)
    if error.context != "while scanning a quoted scalar" or start is None or stop is None:
        return None
    if "end of stream" in problem:
        reached, ending = "the end of the file", " (or, if the file was cut short, restore its end)"
    elif "document indicator" in problem:
        reached, ending = f"line {stop[0] + 1}, where `---` or `...` ends a YAML document", ""
    else:
        return None
    quote = _line(lines, start[0])[start[1] : start[1] + 1] or '"'
    return _at(
        start,
        f"this text opens a quote ({quote}) that is never closed, so YAML read on to "
        f"{reached}; add the closing quote ({quote}) where the text ends{ending}",
    )


def _unknown_escape(text: str, lines: list[str], error: yaml.MarkedYAMLError) -> Problem | None:
    """A backslash in double quotes that starts no escape YAML knows (`"C:\\tips"`)."""
    stop = _place(error.problem_mark)
    if stop is None or "unknown escape character" not in str(error.problem):
        return None
    return _at(
        stop,
        "inside double quotes a backslash starts an escape (such as `\\n` for a new line), "
        "and YAML knows none that starts like this; write `\\\\` for a backslash, or put the "
        "text in single quotes" + _parser_said(error),
    )


def _flow_never_closed(text: str, lines: list[str], error: yaml.MarkedYAMLError) -> Problem | None:
    """A `[` or `{` list still open when the next key (or the end) comes."""
    start, stop = _place(error.context_mark), _place(error.problem_mark)
    if error.context not in _FLOWS or start is None or stop is None or stop[0] <= start[0]:
        return None
    if stop[0] < len(lines) and not _KEY_LINE.match(lines[stop[0]]):
        return None  # a mistake inside a list that goes on: the parser's place is right
    kind, opening, closing = _FLOWS[error.context]
    return _at(
        start,
        f"this {kind} opens with `{opening}` but is never closed; add `{closing}` after its "
        f"last item, on this line or where the {kind} ends" + _parser_said(error),
    )


def _tokens_up_to(text: str, place: Place) -> list[yaml.Token]:
    """The scanner's tokens that end at or before `place` (a syntax error after
    them, or the scanner's own, ends the list)."""
    found: list[yaml.Token] = []
    scanner = _Scanner(text)
    try:
        while scanner.check_token():
            token = scanner.get_token()
            if _token_place(token.end_mark) > place:
                break
            found.append(token)
    except yaml.YAMLError:
        pass
    finally:
        scanner.dispose()
    return found


def _last_scalar_before(text: str, place: Place) -> yaml.ScalarToken | None:
    tokens = _tokens_up_to(text, place)
    if tokens and isinstance(tokens[-1], yaml.ScalarToken):
        return tokens[-1]
    return None


def _quote_swallowed_lines(
    text: str, lines: list[str], error: yaml.MarkedYAMLError
) -> Problem | None:
    """A quote left open closes at the next quote mark, lines later, and the
    parser stumbles right after it. A key line among the lines taken in is the
    sign that they were never meant to be part of the text."""
    stop = _place(error.problem_mark)
    if stop is None:
        return None
    token = _last_scalar_before(text, stop)
    if token is None or token.style not in ("'", '"'):
        return None
    first, last = token.start_mark.line, token.end_mark.line
    if last == first or not any(
        _KEY_LINE.match(_line(lines, n)) for n in range(first + 1, last + 1)
    ):
        return None
    quote = token.style
    return _at(
        _token_place(token.start_mark),
        f"this text opens a quote ({quote}) that is never closed, so YAML read on to the next "
        f"quote mark, on line {last + 1}, and took the lines between as part of the text; add "
        f"the closing quote ({quote}) where the text ends" + _parser_said(error),
    )


def _text_runs_on(text: str, lines: list[str], error: yaml.MarkedYAMLError) -> Problem | None:
    """`: ` inside unquoted text reads as a new key; on a later line of the
    text, the text itself started earlier."""
    stop = _place(error.problem_mark)
    if stop is None or not str(error.problem).startswith("mapping values are not allowed"):
        return None
    token = _last_scalar_before(text, stop)
    if token is None or token.style or _token_place(token.end_mark) != stop:
        return None
    start = _token_place(token.start_mark)
    if start[0] == stop[0]:
        return _at(
            stop,
            "a colon followed by a space (`: `) inside a text makes YAML read a new key; "
            "put the whole text in quotes",
        )
    key = shown(_line(lines, stop[0])[: stop[1] + 1].strip())
    return _at(
        start,
        f"this text runs on to line {stop[0] + 1}, where `{key}` reads as a new key (a colon "
        "followed by a space starts one); put the whole text in quotes, or if that line is "
        "a new key, line it up with the keys above",
    )


def _key_without_colon(text: str, lines: list[str], error: yaml.MarkedYAMLError) -> Problem | None:
    """A line read as a key, with no `: ` to end the key: the parser names it."""
    start, stop = _place(error.context_mark), _place(error.problem_mark)
    if error.context != "while scanning a simple key" or start is None or stop is None:
        return None
    return _at(
        start,
        "this line should be a key and its value, but it has no `: ` (a colon, then a space) "
        f"to end the key; write `key: value`{_CONTINUES}" + _parser_said(error),
    )


def _misaligned(text: str, lines: list[str], error: yaml.MarkedYAMLError) -> Problem | None:
    """A key indented differently from the keys beside it."""
    stop, block = _place(error.problem_mark), _place(error.context_mark)
    if stop is None or block is None or error.problem not in _MISALIGNED:
        return None
    line = _line(lines, stop[0])
    indent = len(line) - len(line.lstrip(" "))
    if stop[1] != indent or indent == block[1]:
        return None
    if error.context == "while parsing a block mapping":
        beside = (
            f"but the keys of the mapping that starts on line {block[0] + 1} are indented "
            f"by {block[1]}; line it up with them"
        )
    else:
        beside = (
            f"which lines up with nothing above it (the `-` entries of the list that starts "
            f"on line {block[0] + 1} are at {block[1]}); line it up with the keys beside it"
        )
    return _at(
        stop,
        f"this line is indented by {indent} spaces, {beside}{_CONTINUES}" + _parser_said(error),
    )


def _more_after_the_value(
    text: str, lines: list[str], error: yaml.MarkedYAMLError
) -> Problem | None:
    """A value that ends (a closing quote or bracket) before its line does."""
    stop = _place(error.problem_mark)
    if stop is None or error.problem not in _MISALIGNED:
        return None
    line = _line(lines, stop[0])
    if stop[1] <= len(line) - len(line.lstrip(" ")):
        return None  # at the start of the line: not after a value
    return _at(
        stop,
        "the value before this point has ended (at its closing quote or bracket), yet the "
        "line goes on; if the rest is another key, put it on a line of its own, and if it "
        "belongs to the value, put the whole value in quotes" + _parser_said(error),
    )


def _in_parser_words(lines: list[str], error: yaml.MarkedYAMLError) -> Problem:
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    message = f"YAML syntax error: {error.problem or error}"
    start = error.context_mark
    if error.context and start is not None and (start.line, start.column) != (line - 1, column - 1):
        message += (
            f" ({error.context} that starts on line {start.line + 1}, column {start.column + 1})"
        )
    elif error.context:
        message += f" ({error.context})"
    if "\t" in _line(lines, line - 1)[:column] and "tab" not in message:
        message += "; YAML does not allow tabs for indentation, use spaces"
    if "end of stream" in message:
        message += "; the file may be cut short"
    return Problem(line, column, message)
