"""Checking YAML nodes of the tips file: the building blocks every check uses.

Each problem carries the line and column of the node it is about; all problems
are collected in one pass (bot.core.problems keeps the first ones and counts the
rest).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

import yaml

from bot.core.problems import Problem, ProblemLog, shown
from bot.core.tips_format import FORMAT_VERSION

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_INT = "tag:yaml.org,2002:int"

Entries = dict[str, tuple[yaml.Node, yaml.Node]]
Entry = tuple[yaml.Node, yaml.Node]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """` (did you mean `x`?)` when a choice is close to `word`, else nothing."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


def line_of(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def is_text(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _STR


def missing(fields: Entries, required: Sequence[str]) -> list[str]:
    """Required keys absent from `fields`, leaving out those a misspelt key
    stands for: the typo is reported already, with the right spelling."""
    absent = [name for name in required if name not in fields]
    if not absent:
        return []
    misspelt = {
        close
        for name in fields
        if name not in required
        for close in difflib.get_close_matches(name, absent, n=1, cutoff=0.6)
    }
    return [name for name in absent if name not in misspelt]


class NodeChecker:
    def __init__(self) -> None:
        self.problems = ProblemLog()

    def report(self, node: yaml.Node, message: str) -> None:
        self.problems.add(Problem(node.start_mark.line + 1, node.start_mark.column + 1, message))

    def would_keep(self, node: yaml.Node) -> bool:
        return self.problems.would_keep(node.start_mark.line + 1, node.start_mark.column + 1)

    def entries(self, node: yaml.MappingNode, where: str, allowed: Sequence[str] | None) -> Entries:
        """The mapping's keys, reporting repeated keys (YAML would keep only the
        last one, silently) and keys that are not among `allowed` (None: any)."""
        found: Entries = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                self.report(key, f"a key {where} must be a plain name")
                continue
            name = str(key.value)
            if name in found:
                first = line_of(found[name][0])
                self.report(
                    key,
                    f"`{shown(name)}` appears twice {where} (also on line {first}); "
                    "YAML would silently keep only the last one",
                )
                continue
            found[name] = (key, value)
            if allowed is not None and name not in allowed:
                expected = ", ".join(f"`{k}`" for k in allowed)
                guess = did_you_mean(name, allowed) if self.would_keep(key) else ""
                hint = guess or f" (expected one of {expected})"
                self.report(key, f"unknown key `{shown(name)}` {where}{hint}")
        return found

    def text(self, node: yaml.Node, what: str, limit: int | None) -> str | None:
        """The node's text, stripped; None (reported) when it is not text or empty,
        and reported when longer than `limit` (None: the caller measures it)."""
        if isinstance(node, yaml.ScalarNode) and node.tag == _NULL:
            self.report(node, f"{what} is empty; write the text after the colon")
            return None
        if not is_text(node):
            kind = "a list or mapping" if not isinstance(node, yaml.ScalarNode) else "not text"
            self.report(node, f"{what} is {kind}; write it as text (in quotes if need be)")
            return None
        value = str(node.value).strip()
        if not value:
            self.report(node, f"{what} must not be empty")
            return None
        if limit is not None and len(value) > limit:
            self.report(node, f"{what} is {len(value)} characters; at most {limit} fit in Slack")
        return value

    def text_list(
        self, node: yaml.Node, what: str, *, limit: int | None
    ) -> list[tuple[yaml.Node, str]]:
        """A list of texts (a single text counts as a list of one), with each one's node."""
        if is_text(node):
            items = [node]
        elif isinstance(node, yaml.SequenceNode):
            items = node.value
            if not items:
                self.report(node, f"{what} is an empty list; give at least one")
        else:
            self.report(node, f"{what} must be a list, like [a, b]")
            return []
        found: list[tuple[yaml.Node, str]] = []
        seen: set[str] = set()
        for item in items:
            value = self.text(item, f"each entry of {what}", limit)
            if value is None:
                continue
            if value in seen:
                self.report(item, f"`{shown(value)}` is listed twice in {what}")
                continue
            seen.add(value)
            found.append((item, value))
        return found

    def version(self, node: yaml.Node) -> None:
        if not (isinstance(node, yaml.ScalarNode) and node.tag == _INT) or node.value.strip() != (
            str(FORMAT_VERSION)
        ):
            self.report(node, f"`version` must be {FORMAT_VERSION}, the only format there is")
