"""The architecture, checked from the source (AST): a pure core, layers that only point
down, no import cycles (type-only imports and imports inside functions count), and
modules of a size a reader can hold."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[1] / "bot"

# The layers, lowest first: a module may import from its own layer and those below.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("bot.core",),  # pure: model, grammar, rules, rendering
    ("bot.store",),  # what pmtip keeps
    ("bot.catalogue",),  # the live tips file
    ("bot.slack",),  # the Bolt app, its handlers, the Web API as pmtip uses it
    ("bot.weekly",),  # post what is due (takes the Slack Web API helpers from bot.slack)
    ("bot.settings", "bot.logging_setup"),  # read once at start, by the two below
    ("bot.wiring",),  # the one place objects are built
    ("bot.playground",),  # may build on the wiring
    ("bot.__main__",),  # the command line
)

# What the functional core never imports: the shell, Slack, the database, the network,
# threads and the clock.
CORE_FORBIDDEN = (
    "slack_bolt",
    "slack_sdk",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "socket",
    "urllib",
    "http",
    "threading",
    "concurrent",
    "multiprocessing",
    "asyncio",
    "subprocess",
    "time",
)
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("time", "time")}

MODULE_LINES_MAX = 400
MODULE_LINES_TARGET = 300
# Every module over the target, and why. A module over the maximum must say so too.
LONG_MODULES = {
    # One parser of Slack's mrkdwn, as Slack reads it: its rules read best together.
    "bot/core/mrkdwn.py": 340,
    # The object graph of every kind of process (the playground's too), in one place
    # by design, for one workspace and for many (OAuth: bot.slack.oauth builds its parts).
    "bot/wiring.py": 400,
    # Every setting's check with where to get its value, and the two ways to run (one
    # workspace or many) with the one message for a mixture of them.
    "bot/settings.py": 360,
    # The command line: a parser and a runner for each of its ten subcommands, each a
    # few lines of arguments, settings, wiring and exit codes (`run` picks the bot or
    # the playground).
    "bot/__main__.py": 360,
    # slack_sdk's two OAuth stores with what many workspaces add to them (one row per
    # workspace, one-DELETE states that expire away, the cache) and the clock's tokens.
    "bot/slack/installations.py": 320,
}

FUNCTION_LINES_MAX = 50
LONG_FUNCTIONS = {
    # Checks one tip's every field in file order.
    "bot/core/tips_file.py:tip": 80,
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(BOT.rglob("*.py")) if "migrations" not in p.parts}


@cache
def _tree(name: str) -> ast.Module:
    return ast.parse(MODULES[name].read_text(encoding="utf-8"))


def _imports(name: str) -> set[str]:
    return _imports_in(_tree(name))


def _imports_in(tree: ast.Module) -> set[str]:
    """Every module the code imports, anywhere in it (also under TYPE_CHECKING and in
    functions). `from package import name` counts as the submodule when there is one."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in MODULES else node.module)
    return found


def _layer(module: str) -> int | None:
    for rank, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    return None


def _is(module: str, root: str) -> bool:
    return module == root or module.startswith(root + ".")


def test_every_module_has_a_layer():
    unplaced = [m for m in MODULES if m != "bot" and _layer(m) is None]
    assert unplaced == [], "add these to LAYERS"


@pytest.mark.parametrize("module", [m for m in MODULES if _is(m, "bot.core")])
def test_the_core_imports_no_shell_slack_database_network_thread_or_clock(module):
    imported = _imports(module)
    shell = sorted(m for m in imported if _is(m, "bot") and not _is(m, "bot.core"))
    outside = sorted(m for m in imported for root in CORE_FORBIDDEN if _is(m, root))
    assert shell == [] and outside == []


@pytest.mark.parametrize("module", [m for m in MODULES if _is(m, "bot.core")])
def test_the_core_never_reads_the_clock(module):
    calls = [
        (node.func.value.id, node.func.attr, node.lineno)
        for node in ast.walk(_tree(module))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and (node.func.value.id, node.func.attr) in CLOCK_CALLS
    ]
    assert calls == [], "pass the time in"


@pytest.mark.parametrize("module", [m for m in MODULES if m != "bot"])
def test_the_layers_only_point_down(module):
    rank = _layer(module)
    assert rank is not None
    upward = sorted(m for m in _imports(module) if m in MODULES and (_layer(m) or 0) > rank)
    assert upward == [], f"{module} (layer {LAYERS[rank]}) imports from above"


def test_no_import_cycles():
    graph = {m: {i for i in _imports(m) if i in MODULES and i != m} for m in MODULES}
    assert _cycles(graph) == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return cycles


def test_no_module_is_longer_than_a_reader_can_hold():
    lines = {
        str(path.relative_to(BOT.parent)): len(path.read_text(encoding="utf-8").splitlines())
        for path in MODULES.values()
    }
    too_long = {
        path: n for path, n in lines.items() if n > LONG_MODULES.get(path, MODULE_LINES_TARGET)
    }
    assert too_long == {}, "split it, or add it to LONG_MODULES with the reason"
    assert all(cap <= 500 for cap in LONG_MODULES.values())
    over_the_maximum = {p for p, cap in LONG_MODULES.items() if cap > MODULE_LINES_MAX}
    assert not over_the_maximum  # see LONG_MODULES


def test_no_function_is_longer_than_a_reader_can_hold():
    too_long = {}
    for path in MODULES.values():
        shown = str(path.relative_to(BOT.parent))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > LONG_FUNCTIONS.get(f"{shown}:{node.name}", FUNCTION_LINES_MAX):
                    too_long[f"{shown}:{node.name}"] = lines
    assert too_long == {}, "split it, or add it to LONG_FUNCTIONS with the reason"


def test_the_allow_list_lists_only_long_modules():
    short = [
        path
        for path in LONG_MODULES
        if len((BOT.parent / path).read_text(encoding="utf-8").splitlines()) <= MODULE_LINES_TARGET
    ]
    assert short == [], "no reason needed any more: remove them from LONG_MODULES"


def test_the_checks_above_can_fail():
    """Type-only and function-level imports are seen, and a cycle is found."""
    source = """
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from bot.wiring import Parts
def later():
    import threading
    from bot.slack import commands
"""
    assert _imports_in(ast.parse(source)) >= {"bot.wiring", "threading", "bot.slack.commands"}
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c", "a"]]
