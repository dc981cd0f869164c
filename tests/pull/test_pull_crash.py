"""Kill `refsync pull` at every point around each file replace, and at random moments, or press
Ctrl-C at random moments (start-up included); the next pull must converge to exactly what an
uninterrupted pull writes: same files, same keys.

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
from support import EXAMPLES, before_entry_point

RANDOM_KILLS = 50
RANDOM_CTRL_CS = 30
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


@pytest.fixture(scope="module")
def pulled_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A manuscript pulled once, whose library has changed since: each scenario copies it."""
    folder = tmp_path_factory.mktemp("template") / "paper"
    folder.mkdir()
    shutil.copy(EXAMPLES / "neuro-immune" / "library.json", folder / "library.json")
    (folder / "refsync.toml").write_text(TOML, encoding="utf-8")
    assert pull(folder).returncode == 0
    change_library(folder)
    return folder


def manuscript(template: Path, folder: Path) -> Path:
    shutil.copytree(template, folder)
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
def reference(pulled_once: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = manuscript(pulled_once, tmp_path_factory.mktemp("reference") / "paper")
    assert pull(folder).returncode == 0
    return state(folder)


@pytest.fixture(scope="module")
def duration(pulled_once: Path, tmp_path_factory: pytest.TempPathFactory) -> float:
    """How long an uninterrupted pull takes on this machine, start-up included (seconds)."""
    folder = manuscript(pulled_once, tmp_path_factory.mktemp("timed") / "paper")
    start = time.monotonic()
    assert pull(folder).returncode == 0
    return time.monotonic() - start


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("n", range(1, REPLACES + 1))
def test_a_kill_around_any_file_replace_converges(n: int, when: str, tmp_path: Path,
                                                   pulled_once: Path,
                                                   reference: dict[str, str]) -> None:
    folder = manuscript(pulled_once, tmp_path / "paper")
    killed = subprocess.run([sys.executable, "-c", KILLER, str(n), when], cwd=folder,
                            env=env(folder), capture_output=True, text=True, timeout=60)
    assert killed.returncode == 137, killed.stderr
    again = pull(folder)
    assert again.returncode == 0, again.stderr
    assert state(folder) == reference


@pytest.mark.parametrize(("press", "rounds", "start"), [
    (signal.SIGKILL, RANDOM_KILLS, 0.15),
    (signal.SIGINT, RANDOM_CTRL_CS, 0.0),  # from the first instant: start-up included
], ids=["kill", "ctrl-c"])
def test_random_interruptions_converge(press: signal.Signals, rounds: int, start: float,
                                       tmp_path: Path, pulled_once: Path,
                                       reference: dict[str, str], duration: float) -> None:
    rng = random.Random(20261207)
    finished = 0
    for round_ in range(rounds):
        folder = manuscript(pulled_once, tmp_path / f"round{round_}")
        process = subprocess.Popen([sys.executable, "-m", "refsync", "pull"], cwd=folder,
                                   env=env(folder), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        time.sleep(rng.uniform(start, 1.0) * duration)
        process.send_signal(press)
        _, stderr = process.communicate(timeout=60)
        finished += process.returncode == 0
        if press == signal.SIGINT and process.returncode != 0:
            assert process.returncode == 130 or before_entry_point(process.returncode, stderr), (
                process.returncode, stderr)
            assert process.returncode != 130 or "Traceback" not in stderr, stderr
        again = pull(folder)
        assert again.returncode == 0, again.stderr
        assert state(folder) == reference, f"round {round_}"
    assert finished <= rounds // 2  # most presses hit the pull while it ran
