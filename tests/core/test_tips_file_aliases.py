"""YAML anchors and aliases are refused before any node graph is built, so a
small file cannot grow into a huge one; and however many problems a file has,
only the first PROBLEMS_KEPT are kept, with a count of the rest."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.problems import PROBLEMS_KEPT
from bot.core.tips_file import parse_catalogue, parse_tips
from bot.core.yaml_anchors import anchor_problems, may_hold_anchors
from tests.core.test_tips_file import FIXTURES, REPO, run_validate

MEMORY_BOUND = 2_000_000  # bytes; refusing a few-KB file must not come near it


def generate_alias_tips_yaml(count: int) -> str:
    """A valid catalogue whose tips all say `tags: *common`, from benchmarks/catalogue.py."""
    import sys

    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from catalogue import generate_alias_tips_yaml as generate
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    return generate(count)


@pytest.fixture
def node_graphs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Records every node graph composed (libyaml's loader and the pure one)."""
    composed: list[str] = []
    for loader in (yaml.CSafeLoader, yaml.SafeLoader):
        real: Callable[..., Any] = loader.get_single_node

        def recording(self: Any, _real: Callable[..., Any] = real) -> Any:
            composed.append(type(self).__name__)
            return _real(self)

        monkeypatch.setattr(loader, "get_single_node", recording)
    yield composed


def parse_measured(text: str) -> tuple[Any, int]:
    """The parse result and the peak memory it took, in bytes."""
    tracemalloc.start()
    try:
        result = parse_catalogue(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def test_nested_aliases_are_refused_at_their_lines_before_any_node_graph(
    node_graphs: list[str],
) -> None:
    text = (FIXTURES / "billion_laughs.yaml").read_text(encoding="utf-8")
    result, peak = parse_measured(text)
    assert result.catalogue is None
    assert node_graphs == []  # refused from the token stream: nothing was composed
    assert peak < MEMORY_BOUND
    first, second, third = result.problems[:3]
    assert (first.line, first.column) == (6, 14)
    assert "`&a0`" in first.message and "anchor" in first.message
    assert (second.line, second.column) == (8, 18) and "`&a1`" in second.message
    assert (third.line, third.column) == (8, 23)
    assert "`*a0`" in third.message and "alias" in third.message
    assert "write" in first.message and "in full" in first.message
    # 9 anchors, 8 lines of 9 aliases, 2 aliases in the tip: each at its own place
    assert len(result.problems) + result.problems_left_out == 9 + 72 + 2
    lines = text.splitlines()
    for problem in result.problems:
        marker = lines[problem.line - 1][problem.column - 1]
        assert marker in "&*", problem


def test_a_tip_repeated_by_alias_is_refused_and_only_the_first_problems_kept(
    node_graphs: list[str],
) -> None:
    text = (FIXTURES / "alias_bomb.yaml").read_text(encoding="utf-8")
    result, peak = parse_measured(text)
    assert result.catalogue is None and node_graphs == []
    assert peak < MEMORY_BOUND
    assert len(result.problems) == PROBLEMS_KEPT
    assert result.problems_left_out == 1 + 400 + 1 + 400 - PROBLEMS_KEPT
    assert [(p.line, p.column) for p in result.problems[:3]] == [(5, 18), (7, 5), (16, 12)]
    assert "`&w`" in result.problems[0].message and "`&tip`" in result.problems[1].message


def test_a_valid_file_whose_tips_share_their_tags_by_alias_is_refused(
    node_graphs: list[str],
) -> None:
    text = generate_alias_tips_yaml(220)
    assert len(text) > 200_000
    lines = text.splitlines()
    tag_lines = [n for n, line in enumerate(lines, start=1) if line.startswith("    tags: ")]
    result = parse_tips(text)
    assert not result.ok and node_graphs == []
    assert (result.problems[0].line, result.problems[0].column) == (tag_lines[0], 11)
    assert "`&common`" in result.problems[0].message
    assert (result.problems[1].line, result.problems[1].column) == (tag_lines[1], 11)
    assert "`*common`" in result.problems[1].message
    assert len(result.problems) + result.problems_left_out == 220


ANCHORS_ANYWHERE = {
    "block value": "a: &x 1\nb: *x\n",
    "sequence entry": "- &x 1\n- *x\n",
    "nested entries": "- - &x 1\n  - - *x\n",
    "flow sequence": "a: [1,&x 2,*x]\n",
    "flow mapping": "a: {k: &x 1, j: *x}\n",
    "json-like adjacency": '{"k":&x 1, "j":*x}\n',
    "after a tag": "a: !!str &x 1\nb: *x\n",
    "explicit key": "? &x k\n: *x\n",
    "alias as a key": "a: &x k\n*x : 2\n",
    "multi-line flow": "a: [1,\n  &x 2,\n  *x]\n",
    "carriage returns": "a: &x 1\rb: *x\r",
    "tabs": "a:\t&x 1\nb:\t*x\n",
    "document start": "--- &x\na: 1\n",
    "merge key": "a: &x {k: 1}\nb:\n  <<: *x\n",
    "anchor alone": "a: &lonely 1\n",
}


@pytest.mark.parametrize("text", ANCHORS_ANYWHERE.values(), ids=list(ANCHORS_ANYWHERE))
def test_anchors_and_aliases_are_found_wherever_yaml_allows_them(text: str) -> None:
    tokens = [t for t in yaml.scan(text, Loader=yaml.CSafeLoader)]
    assert any(isinstance(t, yaml.AnchorToken | yaml.AliasToken) for t in tokens)  # the premise
    assert may_hold_anchors(text)
    found = anchor_problems(text)
    assert found is not None and found.total >= 1
    refused = parse_tips(text)
    assert not refused.ok
    assert any("anchor" in p.message or "alias" in p.message for p in refused.problems)


LOOKALIKES = [
    "title: R&D and P&L\n",
    "title: Q & A\n",
    "body: a *bold* word\n",
    "body: >-\n  first line\n  *bold* second line\n",
    'quote: "a &b *c"\n',
    "note: x # &comment *too\n",
]


@pytest.mark.parametrize("text", LOOKALIKES)
def test_ampersands_and_stars_in_text_are_not_anchors(text: str) -> None:
    found = anchor_problems(text)
    assert found is None or found.total == 0


def test_a_valid_file_with_ampersands_and_stars_in_its_texts_loads() -> None:
    result = parse_catalogue((FIXTURES / "quotes_and_apostrophes.yaml").read_text("utf-8"))
    assert result.ok, result.problems


def test_a_file_with_100000_problems_keeps_the_first_ones_and_counts_the_rest() -> None:
    text = "version: 1\ntopics:\n  moat:\n    description: d\ntips:\n" + "  - x\n" * 100_000
    result = parse_tips(text)
    assert len(result.problems) == PROBLEMS_KEPT
    assert result.problems_left_out == 100_000 - PROBLEMS_KEPT
    assert [p.line for p in result.problems] == list(range(6, 6 + PROBLEMS_KEPT))
    assert all("each tip must be a mapping" in p.message for p in result.problems)


def test_validate_lists_the_kept_problems_and_counts_them_all(tmp_path: Path) -> None:
    path = FIXTURES / "alias_bomb.yaml"
    finished = run_validate(str(path), cwd=tmp_path)
    assert finished.returncode == 1
    lines = finished.stdout.splitlines()
    assert len(lines) == PROBLEMS_KEPT
    assert all(line.startswith(f"{path}:") for line in lines)
    assert lines[0].startswith(f"{path}:5:18: `&w` is a YAML anchor")
    summary = finished.stderr.strip()
    assert summary == f"{path}: 802 problem(s); the first {PROBLEMS_KEPT} are listed"
