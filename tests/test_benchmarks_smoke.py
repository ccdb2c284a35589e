"""Every benchmark runs, in its short smoke mode, and writes the JSON it promises.

No timing is asserted here: CI machines vary too much. The figures that matter
come from full runs, recorded in the README's Performance section.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.databases import SKIP_REASON, server_url

REPO_ROOT = Path(__file__).resolve().parents[1]

# script -> keys its JSON must have at the top level
EXPECTED: dict[str, set[str]] = {
    "dispatch": {"cases", "process_before_response_false", "targets", "all_targets_met"},
    "http_load": {"results", "throughput_ratio", "targets", "server", "all_targets_met"},
    "startup": {"startup_seconds", "memory_mb", "total_rss_mb", "total_pss_mb", "targets"},
    "fanout": {"results", "stand_in", "delivery_workers", "targets", "all_targets_met"},
    "lookup": {"catalogues", "repeat", "targets", "all_targets_met"},
    "search_eval": {"today", "targets", "all_targets_met"},
    "workspaces": {"runs", "stand_in", "policy", "targets", "all_targets_met"},
    "installs": {"latency", "first_request_per_workspace", "ratio_many_to_one", "all_targets_met"},
}
COMMON_KEYS = {"benchmark", "command", "machine", "mode"}


NEEDS_POSTGRES = {"workspaces"}  # several clock processes need a real database server


def run_smoke(name: str, results_dir: Path) -> dict:
    if name in NEEDS_POSTGRES and server_url() is None:
        pytest.skip(SKIP_REASON)
    completed = subprocess.run(
        [sys.executable, f"benchmarks/{name}.py", "--smoke", "--results-dir", str(results_dir)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert f"wrote {results_dir / name}.json" in completed.stdout
    return json.loads((results_dir / f"{name}.json").read_text())


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory):
    """`smoke(name)`: the benchmark's smoke-run JSON, run once per module."""
    runs: dict[str, dict] = {}
    results_dir = tmp_path_factory.mktemp("benchmark-results")

    def get(name: str) -> dict:
        if name not in runs:
            runs[name] = run_smoke(name, results_dir)
        return runs[name]

    return get


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_benchmark_smoke_run_writes_its_results(name: str, smoke) -> None:
    data = smoke(name)
    assert data["benchmark"] == name
    assert data["mode"] == "smoke"
    missing = (EXPECTED[name] | COMMON_KEYS) - data.keys()
    assert not missing, f"{name}.json lacks {sorted(missing)}"
    assert {"cores", "cpu", "python"} <= data["machine"].keys()
    assert all(isinstance(ok, bool) for ok in _target_verdicts(data))


def test_dispatch_reports_both_apps_for_every_case(smoke) -> None:
    data = smoke("dispatch")
    assert set(data["cases"]) == {"topic", "free words", "unknown topic"}
    for case in data["cases"].values():
        for app in ("pmtip", "bare"):
            assert case[app]["n"] > 0
            assert 0 < case[app]["median_ms"] <= case[app]["p99_ms"]
        assert case["median_ratio"] > 0


def test_http_load_sent_requests_to_both_servers(smoke) -> None:
    data = smoke("http_load")
    for server in ("pmtip", "bare"):
        result = data["results"][server]
        assert result["requests"] > 0
        assert result["statuses"].get("200", 0) > 0


def test_startup_reads_memory_of_the_master_and_its_workers(smoke) -> None:
    data = smoke("startup")
    assert data["startup_seconds"]["starts"]
    names = list(data["memory_mb"])
    assert names[0].startswith("master ")
    assert any(name.startswith("worker ") for name in names)
    assert data["total_rss_mb"] > 0
    assert data["statuses"].get("200") == data["requests"]


def test_fanout_posted_to_every_channel_once(smoke) -> None:
    results = smoke("fanout")["results"]
    assert results["posts"] == results["channels"] == results["posted_in_ledger"]
    assert results["duplicates"] == 0 and results["misses"] == 0


def test_workspaces_posts_every_channel_of_every_workspace_once_with_one_and_two_clocks(
    smoke,
) -> None:
    runs = smoke("workspaces")["runs"]
    assert [r["clocks"] for r in runs] == [1, 2]
    for r in runs:
        assert r["posts"] == r["channels"] > 0
        assert r["duplicates"] == 0 and r["misses"] == 0


def test_installs_times_each_app_and_every_workspace_once_cold(smoke) -> None:
    data = smoke("installs")
    assert set(data["latency"]) == {"bare Bolt", "1 install", "many"}
    assert all(row["n"] > 0 and row["median_ms"] > 0 for row in data["latency"].values())
    assert data["first_request_per_workspace"]["n"] == data["workspaces"]


def test_lookup_times_every_kind_of_query_on_both_catalogues(smoke) -> None:
    catalogues = smoke("lookup")["catalogues"]
    assert len(catalogues) == 2
    for kinds in catalogues.values():
        assert {"topic", "free words", "no match"} <= kinds.keys()
        assert all(r["n"] > 0 and r["median_ms"] > 0 for r in kinds.values())


def _target_verdicts(data: dict) -> list[object]:
    targets = data.get("targets")
    if isinstance(targets, dict) and all(isinstance(v, bool) for v in targets.values()):
        return list(targets.values())
    return [data["all_targets_met"]]


def test_search_eval_counts_every_query_and_lists_each_miss(smoke) -> None:
    today = smoke("search_eval")["today"]
    assert today["queries"] >= 100
    assert today["landed"] + len(today["misses"]) == today["queries"]
    assert sum(k["queries"] for k in today["by_kind"].values()) == today["queries"]
    assert all({"query", "good", "kind", "landed"} <= miss.keys() for miss in today["misses"])
