"""Control characters from the tips file (or anywhere else) are shown as visible
escapes: they never reach a terminal, a log or Slack raw."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from bot.core.controls import show_controls, show_controls_keeping_lines
from bot.core.render.admin import rejected_edit_notice
from bot.core.tips_file import parse_tips
from tests.core.test_tips_file import FIXTURES, run_validate
from tests.support.slack_validation import assert_valid_message

HIDDEN = "\x1b[2K\r\n\t\x00\x07\x7f\x9b\u2028\u202e\u2066"


def raw_controls(text: str) -> list[str]:
    """The characters a terminal or a log would act on rather than show."""
    return [
        c
        for c in text
        if unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in "\u202a\u202b\u202c\u202d\u202e"
    ]


def texts_in(value: object) -> list[str]:
    """Every string inside nested blocks, as sent (not as repr shows it)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in texts_in(v)]
    if isinstance(value, list | tuple):
        return [t for v in value for t in texts_in(v)]
    return []


def test_every_control_character_becomes_a_visible_escape() -> None:
    assert show_controls(HIDDEN) == ("\\x1b[2K\\r\\n\\t\\x00\\x07\\x7f\\x9b\\u2028\\u202e\\u2066")
    assert (
        show_controls("Crème brûlée, 👋🏽, 北京 & “quotes”")
        == "Crème brûlée, 👋🏽, 北京 & “quotes”"
    )


def test_line_breaks_and_tabs_can_be_kept_for_multi_line_text() -> None:
    assert show_controls_keeping_lines("a\x1b[1m\n\tb\r\n") == "a\\x1b[1m\n\tb\\r\n"


def test_problems_show_the_files_control_characters_escaped() -> None:
    problems = parse_tips((FIXTURES / "control_chars.yaml").read_text(encoding="utf-8")).problems
    assert [(p.line, p.column) for p in problems] == [(7, 3), (12, 12), (19, 5)]
    for problem in problems:
        assert raw_controls(problem.message) == [], problem.message
    assert "topic `\\x1b[2K\\rmoat\\x07`" in problems[0].message
    assert "`moat\\r\\n2024-01-01 00:00:00 INFO bot: all good`" in problems[1].message
    assert "unknown key `\\x1b[2K\\rtitle\\u202e`" in problems[2].message


def test_validate_prints_them_escaped(tmp_path: Path) -> None:
    path = FIXTURES / "control_chars.yaml"
    finished = run_validate(str(path), cwd=tmp_path)
    assert finished.returncode == 1
    assert raw_controls(finished.stdout.replace("\n", "")) == []
    assert len(finished.stdout.splitlines()) == 3  # one line per problem, none forged
    assert "\\x1b[2K\\r" in finished.stdout


def test_admin_messages_show_problem_lines_from_any_source_escaped() -> None:
    lines = ("tips.yaml:1:1: the tips file cannot be read: \x1b[31mdisk\r\nforged",)
    notice = rejected_edit_notice(summary="tips.yaml\x1b[2K was not loaded", problems=lines)
    assert_valid_message(notice.as_kwargs())
    shown = "".join(texts_in(notice.blocks)) + notice.text
    assert raw_controls(shown.replace("\n", "")) == []
    assert "\\x1b[31mdisk\\r\\nforged" in shown and "tips.yaml\\x1b[2K was not loaded" in shown
