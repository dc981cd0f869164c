"""Ctrl-C at any moment once Python runs refsync's entry point, start-up of the CLI included,
exits 130 with one line and no traceback."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

ROUNDS = 12


def test_ctrl_c_at_random_moments_exits_130(tmp_path: Path) -> None:
    rng = random.Random(20261207)
    env = {**os.environ, "REFSYNC_CACHE_DIR": str(tmp_path / "cache")}
    codes = []
    for _ in range(ROUNDS):
        # reads the list from standard input, which stays open: it never ends by itself
        process = subprocess.Popen([sys.executable, "-m", "refsync", "resolve", "--from", "-"],
                                   cwd=tmp_path, env=env, stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # while the CLI's dependencies load as well as after; not in the first 0.3 s,
            # where Python starts and imports the refsync package, before any handler can run
            time.sleep(rng.uniform(0.3, 1.0))
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=20)
        finally:
            process.kill()
            process.wait()
        assert "Traceback" not in stderr, stderr
        assert stderr.count("\n") <= 1, stderr
        codes.append(process.returncode)
    assert codes == [130] * ROUNDS
