"""A YAML syntax error is reported at the line of the mistake, not where the
parser gave up, and says in plain words what is probably missing."""

from __future__ import annotations

import pytest

from bot.core.tips_file import parse_catalogue, parse_tips
from tests.core.test_tips_file import FIXTURES, REPO

# (fixture, line and column of the real mistake, words the message must contain)
MISTAKES = [
    (
        "unclosed_double_quote.yaml",
        (19, 12),
        ['opens a quote (")', "never closed", "add the closing quote", "line 29"],
    ),
    (
        "unclosed_single_quote.yaml",
        (19, 12),
        ["opens a quote (')", "never closed", "add the closing quote", "line 26"],
    ),
    ("syntax_error.yaml", (21, 15), ["list", "`[`", "never closed", "add `]`"]),
    ("unclosed_flow_mapping.yaml", (8, 14), ["`{`", "never closed", "add `}`"]),
    (
        "text_runs_on.yaml",
        (18, 10),
        ["text", "runs on to line 19", "`in a quarter:`", "quotes"],
    ),
    ("misindented_key.yaml", (18, 6), ["indented by 5 spaces", "by 4", "line 12"]),
    ("truncated.yaml", (29, 12), ['opens a quote (")', "never closed", "cut short"]),
]


@pytest.mark.parametrize(("name", "where", "words"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_a_syntax_error_is_reported_at_the_mistake_in_plain_words(
    name: str, where: tuple[int, int], words: list[str]
) -> None:
    result = parse_catalogue((FIXTURES / name).read_text(encoding="utf-8"))
    [problem] = result.problems
    assert (problem.line, problem.column) == where, problem
    for word in words:
        assert word in problem.message, f"{word!r} not in {problem.message!r}"
    # plain words first; the parser's own finding may follow in parentheses
    assert not problem.message.startswith("YAML syntax error")
    assert "did not find expected" not in problem.message.split("(YAML")[0]


def test_an_unclosed_quote_in_the_shipped_file_is_reported_at_its_line() -> None:
    lines = (REPO / "content" / "tips.yaml").read_text(encoding="utf-8").split("\n")
    index = next(i for i, line in enumerate(lines) if line == '    section: "Introduction"')
    lines[index] = '    section: "Introduction'
    [problem] = parse_tips("\n".join(lines)).problems
    assert (problem.line, problem.column) == (index + 1, 14)
    assert 'opens a quote (")' in problem.message


def broken(replace: str, by: str) -> str:
    text = (FIXTURES / "quotes_and_apostrophes.yaml").read_text(encoding="utf-8")
    assert replace in text
    return text.replace(replace, by)


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.split("\n"), start=1) if fragment in line)


def test_apostrophes_and_quotes_in_block_texts_are_not_taken_for_the_mistake() -> None:
    text = broken("    audience: business", "     audience: business")
    [problem] = parse_tips(text).problems
    assert problem.line == line_of(text, "     audience: business")
    assert "quote" not in problem.message and "indented by 5 spaces" in problem.message


def test_a_closed_quote_spanning_lines_followed_by_stray_text_is_not_called_unclosed() -> None:
    text = broken(
        "    try: Book two customer visits this month.",
        '    try: "Book two customer\n      visits this month." soon',
    )
    [problem] = parse_tips(text).problems
    assert problem.line == line_of(text, 'visits this month." soon')
    assert "never closed" not in problem.message


def test_a_colon_inside_a_one_line_text_is_explained_at_its_place() -> None:
    text = broken(
        "    try: Book two customer visits this month.", "    try: Book two: customer visits"
    )
    [problem] = parse_tips(text).problems
    assert (problem.line, problem.column) == (line_of(text, "Book two: customer"), 18)
    assert "quotes" in problem.message and "`: `" in problem.message


def valid_with(replace: str, by: str) -> str:
    text = (FIXTURES / "valid.yaml").read_text(encoding="utf-8")
    assert replace in text
    return text.replace(replace, by)


def test_a_key_without_its_colon_and_space_is_reported_at_its_line() -> None:
    text = valid_with("    audience: [business, platform]", "    audience:[business, platform]")
    [problem] = parse_tips(text).problems
    assert (problem.line, problem.column) == (21, 5)  # YAML stopped on line 22
    assert "no `: `" in problem.message and "`key: value`" in problem.message


def test_more_text_after_a_closed_quote_is_reported_where_it_starts() -> None:
    text = valid_with(
        '    quote: "Any team can build a feature"', '    quote: "Any team" can build a feature'
    )
    [problem] = parse_tips(text).problems
    assert (problem.line, problem.column) == (19, 23)  # at `can`
    assert "has ended" in problem.message and "put the whole value in quotes" in problem.message


def test_an_unknown_escape_in_double_quotes_is_explained() -> None:
    text = valid_with('    section: "Designing the moat"', '    section: "Designing C:\\pmtip"')
    [problem] = parse_tips(text).problems
    assert (problem.line, problem.column) == (20, 27)  # at the backslash
    assert "backslash" in problem.message and "single quotes" in problem.message
    assert "never closed" not in problem.message


def test_an_unclosed_quote_stopped_by_a_document_marker_is_reported_where_it_opens() -> None:
    text = valid_with('    section: "Discovery"', '    section: "Discovery')
    [problem] = parse_tips(text + "---\n").problems
    assert (problem.line, problem.column) == (30, 14)
    assert 'opens a quote (")' in problem.message and "line 32" in problem.message
