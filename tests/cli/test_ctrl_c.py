"""Ctrl-C exits 130 with one line and no traceback.

At random moments during start-up one moment in twelve still ended with -2 (the signal's
default action) in CI; that case is open in issue #23 and not asserted here yet.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


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


def test_ctrl_c_while_waiting_for_input_exits_130(tmp_path: Path) -> None:
    env = {**os.environ, "REFSYNC_CACHE_DIR": str(tmp_path / "cache")}
    # reads the list from standard input, which stays open: it never ends by itself
    process = subprocess.Popen([sys.executable, "-m", "refsync", "resolve", "--from", "-"],
                               cwd=tmp_path, env=env, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_sigint_handler(process.pid)
        time.sleep(1.5)  # the CLI has loaded and waits for input
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    finally:
        process.kill()
        process.wait()
    assert "Traceback" not in stderr and stderr.count("\n") <= 1, stderr
    assert process.returncode == 130
