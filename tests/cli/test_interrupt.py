"""Ctrl-C during a server-asked wait ends refsync at once, from whichever thread waits.

Worker threads (Crossref's batches, Zotero's parallel pages) cannot receive the signal; without
a way to end their waits, the process sits out a whole Retry-After after the user pressed
Ctrl-C. Real processes, real SIGINT.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fakes import faults
from fakes.faults import FaultPlan
from fakes.zotero import FakeZotero

PLOS = "10.1371/journal.pone.0033693"


def interrupted(args: list[str], env: dict[str, str], cwd: Path, plan: FaultPlan) -> float:
    """Start refsync, press Ctrl-C once it waits, and return how long it took to end."""
    process = subprocess.Popen([sys.executable, "-m", "refsync", *args], cwd=cwd,
                               env={**os.environ, **env}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not plan.hits and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # it is now sitting in its wait
        process.send_signal(signal.SIGINT)
        pressed = time.monotonic()
        _, stderr = process.communicate(timeout=20)
        took = time.monotonic() - pressed
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "waiting 30 s" in stderr
    return took


@pytest.mark.parametrize("command", ["resolve", "pull"])
def test_ctrl_c_ends_a_long_wait_at_once(command: str, zotero: FakeZotero,
                                         zotero_faults: FaultPlan, crossref_faults: FaultPlan,
                                         services_env: dict[str, str], tmp_path: Path) -> None:
    if command == "resolve":
        plan, args = crossref_faults, ["resolve", PLOS]
    else:  # the first page passes; the pages fetched in parallel are told to wait
        coll = zotero.add_collection("paper")
        for n in range(250):
            zotero.add_item(title=f"Paper {n}", collections=[coll])
        plan, args = zotero_faults, ["pull", "--collection", "paper", "-o", "refs.bib"]
    plan.add(faults.rate_limited("30", method="GET", path="", times=0,
                                 skip=0 if command == "resolve" else 1))
    assert interrupted(args, services_env, tmp_path, plan) < 5
    assert not (tmp_path / "refs.bib").exists()
