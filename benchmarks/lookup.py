"""Lookup time per query: what `/pmtip <words>` costs in the core, by kind of query.

benchmarks/catalogue.py times validating and loading a 10,000-tip file; this
times answering from it (and from the real content/tips.yaml): the reply as
the listener builds it, `replies.answer` on a parsed command, Block Kit
included. The 10,000-tip file is catalogue.py's generator, whose texts come
from a vocabulary of 33 words, so that nearly every tip holds every word: the
worst case for a free-words search, which scores every tip sharing a word.

    .venv/bin/python benchmarks/lookup.py [--tips 10000] [--repeat 200] [--smoke]
"""

from __future__ import annotations

import argparse
import random
import time

import common
from catalogue import generate_tips_yaml

from bot.catalogue.source import read_catalogue
from bot.core import grammar, replies
from bot.core.catalogue import Catalogue
from bot.core.tips_file import parse_catalogue

TARGET_MS = 1.0


def queries_for(catalogue: Catalogue) -> dict[str, str]:
    """One query of each kind, drawn from the catalogue itself."""
    topic = catalogue.topics[len(catalogue.topics) // 2]
    tip = catalogue.tips[len(catalogue.tips) // 2]
    words = [w for w in tip.title.split() if len(w) > 4][:2] or tip.title.split()[:2]
    return {
        "topic": topic.slug,
        "alias": topic.aliases[0] if topic.aliases else topic.slug,
        "free words": " ".join(words).lower(),
        "search": f"search {words[0].lower()}",
        "mistyped topic": topic.slug[:-1],
        "no match": "quantum blockchain synergy",
        "topics list": "topics",
    }


def first_sight_queries(catalogue: Catalogue, count: int) -> dict[str, list[str]]:
    """Distinct queries of each search kind, so each is answered for the first time
    (answers are remembered per catalogue): free words from different tips' titles,
    the same words with a letter dropped (typos), and words nothing holds."""
    step = max(1, len(catalogue.tips) // count)
    titles = [tip.title.lower().split() for tip in catalogue.tips[::step][:count]]
    free = [" ".join(w for w in words if len(w) > 4)[:60] or " ".join(words) for words in titles]
    longest = [max(words, key=len) for words in titles]
    return {
        "free words": free,
        "typo": [w[:2] + w[3:] for w in longest],
        "no match": [f"zq{n}xv blorpt{n}" for n in range(count)],
    }


def time_first_sight(catalogue: Catalogue, *, count: int) -> dict[str, dict]:
    rng = random.Random(7)
    results = {}
    for kind, queries in first_sight_queries(catalogue, count).items():
        samples = []
        for text in dict.fromkeys(queries):
            command = grammar.parse(text)
            started = time.perf_counter()
            replies.answer(catalogue, command, last_tip_id=None, rng=rng)
            samples.append(time.perf_counter() - started)
        summary = common.latency_summary(samples)
        results[f"{kind}, first sight"] = {
            "query": f"{len(samples)} distinct, e.g. {queries[0]!r}",
            **summary,
            "target_met": summary["median_ms"] < TARGET_MS,
        }
    return results


def time_queries(catalogue: Catalogue, *, repeat: int) -> dict[str, dict]:
    rng = random.Random(7)
    results = {}
    for kind, text in queries_for(catalogue).items():
        command = grammar.parse(text)
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            replies.answer(catalogue, command, last_tip_id=None, rng=rng)
            samples.append(time.perf_counter() - started)
        summary = common.latency_summary(samples)
        results[kind] = {
            "query": text,
            **summary,
            "target_met": summary["median_ms"] < TARGET_MS,
        }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tips", type=int, default=10_000, help="size of the generated file")
    parser.add_argument("--repeat", type=int, default=200, help="answers timed per query")
    common.add_common_arguments(parser, smoke="500 generated tips, 20 answers a query")
    args = parser.parse_args(argv)
    tips, repeat = (500, 20) if args.smoke else (args.tips, args.repeat)

    real, problems = read_catalogue(common.TIPS_PATH)
    if real is None:
        raise SystemExit(f"content/tips.yaml does not load: {problems}")
    generated = parse_catalogue(generate_tips_yaml(tips)).catalogue
    if generated is None:
        raise SystemExit("the generated catalogue does not load")
    catalogues = {
        f"content/tips.yaml ({len(real.tips)} tips)": real,
        f"generated ({tips} tips)": generated,
    }

    results = {
        name: {
            **time_queries(cat, repeat=repeat),
            **time_first_sight(cat, count=min(repeat, len(cat.tips))),
        }
        for name, cat in catalogues.items()
    }
    print(f"Lookup time per query, replies.answer, {repeat} answers each (ms)")
    rows = [
        [name, kind, r["query"], r["median_ms"], r["p99_ms"], common.verdict(r["target_met"])]
        for name, kinds in results.items()
        for kind, r in kinds.items()
    ]
    common.print_table(["catalogue", "kind", "query", "median", "p99", "target < 1 ms"], rows)
    path = common.write_results(
        "lookup",
        {
            "mode": "smoke" if args.smoke else "full",
            "repeat": repeat,
            "targets": {"median_ms_max": TARGET_MS},
            "catalogues": results,
            "all_targets_met": all(
                r["target_met"] for kinds in results.values() for r in kinds.values()
            ),
        },
        directory=args.results_dir,
    )
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
