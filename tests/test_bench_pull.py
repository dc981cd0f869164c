"""bench/pull_bench.py runs end to end on a tiny library and its request goals hold there."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import pull_bench  # noqa: E402


def test_pull_bench_tiny_library() -> None:
    rows = {row["label"]: row for row in pull_bench.run(150, changed=30, latency=0.0)}

    naive = rows["naive: everything() + BibTexWriter"]
    assert (naive["requests"], naive["entries"], naive["met"]) == (2, 150, None)
    cold = rows["refsync pull, cold"]
    assert (cold["entries"], cold["met"]) == (150, True) and cold["requests"] <= 5
    assert cold["changes"] == "150 added, 0 updated, 0 removed"
    unchanged = rows["refsync pull, nothing changed"]
    assert (unchanged["requests"], unchanged["changes"], unchanged["met"]) == (1, "not rewritten",
                                                                               True)
    changed = rows["refsync pull, 30 changed"]
    assert changed["changes"] == "0 added, 30 updated, 0 removed"
    assert changed["met"] and changed["requests"] <= 3
    for row in rows.values():
        assert row["wall"] > 0 and row["cpu"] > 0 and row["rss"] >= row["rss_growth"] >= 0
