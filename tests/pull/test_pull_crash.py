"""Kill `refsync pull` at every point around each file replace, and at random moments; the next
pull must converge to exactly what an uninterrupted pull writes: same files, same keys.

Each scenario starts from a pulled manuscript with two targets, then changes the library (a
title edited, new items, one whose key collides with an existing key) and pulls again, killed.
A reference folder gets the same history without the kill.
"""

from __future__ import annotations

import copy
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import EXAMPLES

RANDOM_KILLS = 50
REPLACES = 4  # the intent note, a.bib, b.bib, refsync.lock
TOML = """
[[target]]
output = "a.bib"
snapshot = "library.json"
collection = "neuro-immune"
subcollections = true

[[target]]
output = "b.bib"
snapshot = "library.json"
tags = ["neuro-immune"]
format = "biblatex"
"""
# dies just before or just after the Nth os.replace of the process: a kill at a fixed point
KILLER = """
import os, sys
n, when = int(sys.argv[1]), sys.argv[2]
real, seen = os.replace, [0]
def replace(a, b):
    seen[0] += 1
    if seen[0] == n and when == "before":
        os._exit(137)
    real(a, b)
    if seen[0] == n and when == "after":
        os._exit(137)
os.replace = replace
sys.argv = ["refsync", "pull"]
from refsync.__main__ import run
run()
"""


def manuscript(folder: Path) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(EXAMPLES / "neuro-immune" / "library.json", folder / "library.json")
    (folder / "refsync.toml").write_text(TOML, encoding="utf-8")
    assert pull(folder).returncode == 0
    change_library(folder)
    return folder


def change_library(folder: Path) -> None:
    snapshot = json.loads((folder / "library.json").read_text(encoding="utf-8"))
    first = snapshot["items"][0]
    first["data"]["title"] += ", revisited"
    for n, title in enumerate(["Neuro-immune cross-talk in cancer", "Nerves in tumours"]):
        twin = copy.deepcopy(first)  # the first shares author, year and title: a key suffix
        twin["key"] = twin["data"]["key"] = f"NEWITEM{n}"
        twin["data"]["title"] = title
        twin["data"].pop("DOI", None)
        snapshot["items"].append(twin)
    (folder / "library.json").write_text(json.dumps(snapshot), encoding="utf-8")


def env(folder: Path) -> dict[str, str]:
    return {**os.environ, "REFSYNC_CACHE_DIR": str(folder / ".cache")}


def pull(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "refsync", "pull"], cwd=folder,
                          env=env(folder), capture_output=True, text=True, timeout=60)


def state(folder: Path) -> dict[str, str]:
    return {name: (folder / name).read_text(encoding="utf-8")
            for name in ("a.bib", "b.bib", "refsync.lock")}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = manuscript(tmp_path_factory.mktemp("reference") / "paper")
    assert pull(folder).returncode == 0
    return state(folder)


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("n", range(1, REPLACES + 1))
def test_a_kill_around_any_file_replace_converges(n: int, when: str, tmp_path: Path,
                                                   reference: dict[str, str]) -> None:
    folder = manuscript(tmp_path / "paper")
    killed = subprocess.run([sys.executable, "-c", KILLER, str(n), when], cwd=folder,
                            env=env(folder), capture_output=True, text=True, timeout=60)
    assert killed.returncode == 137, killed.stderr
    again = pull(folder)
    assert again.returncode == 0, again.stderr
    assert state(folder) == reference


def test_random_kills_converge(tmp_path: Path, reference: dict[str, str]) -> None:
    rng = random.Random(20261207)
    landed = 0
    for round_ in range(RANDOM_KILLS):
        folder = manuscript(tmp_path / f"round{round_}")
        process = subprocess.Popen([sys.executable, "-m", "refsync", "pull"], cwd=folder,
                                   env=env(folder), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 0.9))
        process.send_signal(signal.SIGKILL)
        landed += process.wait() == 0
        again = pull(folder)
        assert again.returncode == 0, again.stderr
        assert state(folder) == reference, f"round {round_}"
    assert landed < RANDOM_KILLS  # most kills hit the pull while it ran
