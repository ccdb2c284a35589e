"""How long validating and loading a large tips file takes.

    python benchmarks/catalogue.py [--tips 10000] [--runs 5]

Generates a catalogue of N tips shaped like content/tips.yaml (folded texts of
realistic length, tags, audiences, 100 topics), then times, best of R runs:
libyaml's compose (with the cyclic garbage collector on, and paused as the
loader runs it), compose plus the checks, building the Catalogue's search index,
`read_tips_file` (what `validate` does), `read_catalogue` (what a reload does),
and `python -m bot validate` as a pre-commit hook runs it, interpreter start-up
included. The issue asks for under a second at 10,000 tips.

Then the same catalogue with every tip's tags shared by a YAML alias
(`tags: *common`), which the loader refuses: how long refusing it takes, its
peak memory (tracemalloc), and what looking for anchors costs in a valid file
(the quick look at each `&` and `*`, and the full token scan that follows when
one could start a node).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"

_WORDS = (
    "strategy customer moat discovery platform value principle model data risk team "
    "roadmap feature outcome market signal trust engineer scope decision failure metric "
    "experiment insight leverage system architecture feedback quality launch adoption"
).split()


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(_WORDS) for _ in range(words))
    return text.capitalize() + "."


def _folded(text: str, indent: str) -> str:
    """Text as a folded block scalar, wrapped near 76 columns like the real file."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > 76:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return ">-\n" + "\n".join(indent + part for part in lines)


def generate_tips_yaml(tip_count: int, *, topic_count: int = 100, seed: int = 4) -> str:
    """A valid tips file with `tip_count` tips spread over `topic_count` topics."""
    rng = random.Random(seed)
    out = ["# yaml-language-server: $schema=./tips.schema.json", "version: 1", "topics:"]
    slugs = [f"topic-{n:03d}" for n in range(topic_count)]
    for slug in slugs:
        out += [
            f"  {slug}:",
            f"    title: Generated topic {slug[-3:]}",
            f"    description: {_sentence(rng, 12)}",
            f"    aliases: [{slug}-alias, {slug}-other]",
        ]
    out += ["", "tips:"]
    for n in range(tip_count):
        out += [
            f"  - id: generated-tip-{n:05d}",
            f"    topic: {slugs[n % topic_count]}",
            f"    title: {_sentence(rng, 7)[:-1]}",
            "    body: " + _folded(" ".join(_sentence(rng, 14) for _ in range(4)), "      "),
            "    try: " + _folded(_sentence(rng, 25), "      "),
            f'    quote: "{_sentence(rng, 12)}"',
            '    section: "Generated section"',
            f"    audience: [{rng.choice(('business', 'platform', 'infrastructure'))}]",
            f"    tags: [{rng.choice(_WORDS)}, {rng.choice(_WORDS)}-{n % 7}]",
            "",
        ]
    return "\n".join(out) + "\n"


def generate_alias_tips_yaml(tip_count: int, *, common_tags: int = 1000) -> str:
    """The generated catalogue with every tip's tags replaced by one shared list:
    the first tip anchors it (`tags: &common [...]`), every other tip repeats it
    (`tags: *common`). Valid YAML, small on disk, huge once expanded."""
    common = ", ".join(f"word-{n}" for n in range(common_tags))
    lines = generate_tips_yaml(tip_count).split("\n")
    tag_lines = [i for i, line in enumerate(lines) if line.startswith("    tags: ")]
    lines[tag_lines[0]] = f"    tags: &common [{common}]"
    for index in tag_lines[1:]:
        lines[index] = "    tags: *common"
    return "\n".join(lines)


def _alias_figures(tip_count: int, runs: int, folder: Path, valid_text: str) -> dict[str, object]:
    """Refusing the aliased catalogue, and the cost of looking for anchors."""
    from bot.catalogue.source import read_tips_file
    from bot.core.tips_file import parse_tips
    from bot.core.yaml_anchors import anchor_problems, may_hold_anchors

    text = generate_alias_tips_yaml(tip_count)
    path = folder / "aliased.yaml"
    path.write_text(text, encoding="utf-8")
    refused = parse_tips(text)
    tracemalloc.start()
    parse_tips(text)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "alias_file_bytes": len(text.encode()),
        "alias_problems": len(refused.problems) + refused.problems_left_out,
        "alias_refused_s": _best(runs, lambda: read_tips_file(path)),
        "alias_peak_kb": round(peak / 1024),
        "cli_validate_alias_s": _best(runs, lambda: _run_validate(path, expect=1)),
        "anchor_look_s": _best(runs, lambda: may_hold_anchors(valid_text)),
        "anchor_scan_s": _best(runs, lambda: anchor_problems(valid_text)),
    }


def _run_validate(path: Path, *, expect: int) -> None:
    """`python -m bot validate PATH` as a pre-commit hook runs it."""
    finished = subprocess.run(
        [sys.executable, "-m", "bot", "validate", str(path)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        check=False,
    )
    if finished.returncode != expect:
        raise SystemExit(f"validate answered {finished.returncode}: {finished.stderr!r}")


def _best(runs: int, action: Callable[[], object]) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return min(timings)


def main() -> int:
    sys.path.insert(0, str(REPO_ROOT))
    import yaml

    from bot.catalogue.source import collector_paused, read_catalogue, read_tips_file
    from bot.core.catalogue import Catalogue
    from bot.core.tips_file import _Loader, parse_tips

    def _paused(action: Callable[[], object]) -> object:
        with collector_paused():
            return action()

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tips", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    text = generate_tips_yaml(args.tips)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tips.yaml"
        path.write_text(text, encoding="utf-8")
        parsed = parse_tips(text)
        if not parsed.ok:
            print("the generated catalogue does not validate:", parsed.problems[:5])
            return 1
        figures = {
            "tips": args.tips,
            "file_bytes": len(text.encode()),
            "libyaml": bool(getattr(yaml, "__with_libyaml__", False)),
            "compose_collector_on_s": _best(args.runs, lambda: yaml.compose(text, Loader=_Loader)),
            "compose_s": _best(
                args.runs, lambda: _paused(lambda: yaml.compose(text, Loader=_Loader))
            ),
            "check_s": _best(args.runs, lambda: _paused(lambda: parse_tips(text))),
            "catalogue_index_s": _best(
                args.runs,
                lambda: _paused(lambda: Catalogue(topics=parsed.topics, tips=parsed.tips)),
            ),
            "read_tips_file_s": _best(args.runs, lambda: read_tips_file(path)),
            "read_catalogue_s": _best(args.runs, lambda: read_catalogue(path)),
        }
        figures["cli_validate_s"] = _best(args.runs, lambda: _run_validate(path, expect=0))
        figures |= _alias_figures(args.tips, args.runs, Path(folder), text)

    width = max(len(name) for name in figures)
    for name, value in figures.items():
        shown = f"{value * 1000:8.1f} ms" if name.endswith("_s") else f"{value}"
        print(f"{name:<{width}}  {shown}")
    verdict = "under" if figures["cli_validate_s"] < 1.0 else "OVER"
    print(f"python -m bot validate is {verdict} one second for {args.tips} tips")
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "catalogue.json").write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
