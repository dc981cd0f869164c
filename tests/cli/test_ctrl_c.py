"""Ctrl-C exits 130 with one line and no traceback, at any moment once refsync's entry point
(``refsync.__main__.run``) has begun.

Before that, Python itself is starting (until it installs its SIGINT handler, then ``site`` and
the ``.pth`` files, ``runpy`` or the console script importing the ``refsync`` package, which takes
about 1 ms): a Ctrl-C there ends as Python decides, by the signal or with its own traceback,
before refsync has read or written anything. The random-moment test tells those moments apart
(``support.before_entry_point``).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from support import before_entry_point

#: ``python -m refsync`` and the installed console script take the same way in, through
#: refsync.__main__.run; both are pressed at random moments
ENTRY_POINTS = [[sys.executable, "-m", "refsync"], [str(Path(sys.executable).with_name("refsync"))]]
ROUNDS = 40


def wait_for_sigint_handler(pid: int, within: float = 20.0) -> None:
    """Wait until the process catches SIGINT (its SigCgt mask in /proc, Linux)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        status = Path(f"/proc/{pid}/status").read_text()
        caught = int(next(line.split()[1] for line in status.splitlines()
                          if line.startswith("SigCgt:")), 16)
        if caught & (1 << (signal.SIGINT - 1)):
            return
        time.sleep(0.005)
    raise AssertionError("the process never caught SIGINT")


def interrupt(command: list[str], cwd: Path, after: float | None) -> tuple[int, str]:
    """Run ``resolve --from -`` (it waits on standard input, so it never ends by itself) and
    press Ctrl-C ``after`` seconds from the start, or once the CLI has loaded (None)."""
    env = {**os.environ, "REFSYNC_CACHE_DIR": str(cwd / "cache")}
    process = subprocess.Popen([*command, "resolve", "--from", "-"], cwd=cwd, env=env,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        if after is None:
            wait_for_sigint_handler(process.pid)
            time.sleep(1.5)
        else:
            time.sleep(after)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    finally:
        process.kill()
        process.wait()
    return process.returncode, stderr


def test_ctrl_c_while_waiting_for_input_exits_130(tmp_path: Path) -> None:
    code, stderr = interrupt(ENTRY_POINTS[0], tmp_path, after=None)
    assert "Traceback" not in stderr and stderr.count("\n") <= 1, stderr
    assert code == 130


def test_ctrl_c_at_random_moments_of_start_up_exits_130(tmp_path: Path) -> None:
    rng = random.Random(20261208)
    outcomes = []
    for round_ in range(ROUNDS):
        # start-up (Python, refsync's package, the CLI's dependencies) takes about 0.5 s here;
        # most Ctrl-Cs fall in it
        code, stderr = interrupt(ENTRY_POINTS[round_ % 2], tmp_path, rng.uniform(0.0, 0.6))
        if code != 130:
            assert before_entry_point(code, stderr), (code, stderr)
            outcomes.append("python start-up")
            continue
        assert "Traceback" not in stderr and stderr.count("\n") <= 1, stderr
        outcomes.append("130")
    # most moments land after Python's own start-up, which is what this test is about
    assert outcomes.count("130") >= ROUNDS * 2 // 3, outcomes
