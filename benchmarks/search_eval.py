"""How well `/pmtip <words>` answers what PMs type: content/search-eval.yaml, measured.

A query lands when the tip `/pmtip <query>` shows first belongs to one of the
entry's `good` topics. Prints the accuracy, by kind, and every miss with the topic
it landed on. `--baseline` measures the search engine as it was before the search
work (bot/core/catalogue.py at BASELINE_COMMIT, read from git) on today's catalogue,
so the two figures are comparable.

    .venv/bin/python benchmarks/search_eval.py [--baseline] [--smoke]
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import common
import yaml

from bot.core import grammar, replies
from bot.core.catalogue import Catalogue
from bot.core.tips_file import parse_catalogue

EVAL_PATH = common.REPO_ROOT / "content" / "search-eval.yaml"
# main before the search work (issue #10): its catalogue.py held the old engine.
BASELINE_COMMIT = "d0750e9"
FLOOR = 0.9


def landed_today(catalogue: Catalogue) -> Callable[[str], str | None]:
    """The topic of the tip `/pmtip <query>` shows, as the listener answers it."""

    def land(query: str) -> str | None:
        command = grammar.parse(query)
        assert isinstance(command, grammar.Lookup), query
        reply = replies.answer(catalogue, command, last_tip_id=None, rng=random.Random(0))
        return reply.tip.topic if reply.tip else None

    return land


def _old_engine() -> ModuleType:
    source = subprocess.run(
        ["git", "show", f"{BASELINE_COMMIT}:bot/core/catalogue.py"],
        cwd=common.REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "old_catalogue.py")
        path.write_text(source, encoding="utf-8")
        spec = importlib.util.spec_from_file_location("old_catalogue", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules["old_catalogue"] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
    return module


def landed_baseline(catalogue: Catalogue) -> Callable[[str], str | None]:
    """The same, answered by the old engine: a topic name, else the best tip."""
    old = _old_engine()
    topics = tuple(
        old.Topic(slug=t.slug, title=t.title, description=t.description, aliases=t.aliases)
        for t in catalogue.topics
    )
    fields = ("id", "topic", "title", "body", "try_this", "quote", "section", "audience", "tags")
    tips = tuple(old.Tip(**{f: getattr(t, f) for f in fields}) for t in catalogue.tips)
    engine = old.Catalogue(topics=topics, tips=tips)

    def land(query: str) -> str | None:
        topic = engine.resolve_topic(query)
        if topic is not None:
            return str(topic.slug)
        found = engine.search(query, limit=1)
        return str(found[0].topic) if found else None

    return land


def evaluate(entries: list[dict], land: Callable[[str], str | None]) -> dict:
    misses, by_kind, hits_by_kind = [], Counter(), Counter()
    for entry in entries:
        got = land(entry["query"])
        by_kind[entry["kind"]] += 1
        if got in entry["good"]:
            hits_by_kind[entry["kind"]] += 1
        else:
            misses.append({**entry, "landed": got})
    hits = len(entries) - len(misses)
    return {
        "queries": len(entries),
        "landed": hits,
        "accuracy": round(hits / len(entries), 4),
        "by_kind": {k: {"landed": hits_by_kind[k], "queries": n} for k, n in by_kind.items()},
        "misses": misses,
    }


def report(name: str, result: dict) -> None:
    print(
        f"\n{name}: {result['landed']}/{result['queries']} landed on a good topic "
        f"({result['accuracy']:.0%}; floor {FLOOR:.0%})"
    )
    for kind, counts in sorted(result["by_kind"].items()):
        print(f"  {kind:<11} {counts['landed']:>3}/{counts['queries']}")
    if result["misses"]:
        print("  misses (query, kind -> landed on; good):")
    for miss in result["misses"]:
        good = ", ".join(miss["good"])
        print(f"    {miss['query']!r:<34} {miss['kind']:<10} -> {miss['landed']}; {good}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--baseline", action="store_true", help=f"also measure the engine of {BASELINE_COMMIT}"
    )
    common.add_common_arguments(parser, smoke="the same (it takes well under a second)")
    args = parser.parse_args(argv)

    catalogue = parse_catalogue(common.TIPS_PATH.read_text(encoding="utf-8")).catalogue
    if catalogue is None:
        raise SystemExit("content/tips.yaml does not load; run `python -m bot validate`")
    entries = yaml.safe_load(EVAL_PATH.read_text(encoding="utf-8"))
    results = {"today": evaluate(entries, landed_today(catalogue))}
    if args.baseline:
        results["baseline"] = evaluate(entries, landed_baseline(catalogue))
        report(f"Before the search work ({BASELINE_COMMIT})", results["baseline"])
    report("Today", results["today"])
    path = common.write_results(
        "search_eval",
        {
            "mode": "smoke" if args.smoke else "full",
            **results,
            "targets": {"accuracy_at_least": FLOOR},
            "all_targets_met": results["today"]["accuracy"] >= FLOOR,
        },
        directory=args.results_dir,
    )
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
