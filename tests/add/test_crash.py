"""Kill refsync at random moments while it writes to Zotero, run it again, and count.

Each round adds a fresh set of works with a real `refsync add` (even rounds) or `refsync import`
(odd rounds) process against the loopback servers, kills it with SIGKILL after a random delay,
then runs the same command to the end. Afterwards the library must hold every work exactly once.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from fakes.crossref import FakeCrossref
from fakes.zotero import FakeZotero

ROUNDS = 50
PER_ROUND = 60  # two write batches (the API takes at most 50 objects per request)


def test_killed_runs_never_leave_duplicates(crossref: FakeCrossref, zotero: FakeZotero,
                                            services_env: dict[str, str],
                                            tmp_path: Path) -> None:
    dois = crossref.clone_works(ROUNDS * PER_ROUND, prefix="10.5555/crash.")
    zotero.latency = 0.01  # a little network time, so kills land inside requests too
    env = {**os.environ, **services_env}
    rng = random.Random(20261123)
    killed_while_writing = 0
    for round_ in range(ROUNDS):
        batch = dois[round_ * PER_ROUND:(round_ + 1) * PER_ROUND]
        if round_ % 2:
            bib = tmp_path / f"round{round_}.bib"
            bib.write_text("".join(
                f"@article{{k{n},\n  title = {{Synthetic study {doi.rsplit('.', 1)[1]}: "
                f"on crashes}},\n  author = {{Tester, T.}},\n  year = {{2020}},\n"
                f"  doi = {{{doi}}}\n}}\n\n" for n, doi in enumerate(batch)))
            command = [sys.executable, "-m", "refsync", "import", str(bib)]
        else:
            command = [sys.executable, "-m", "refsync", "add", *batch]
        posts_before = sum(r.method == "POST" for r in zotero.requests)
        proc = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        if round_ % 3:  # two rounds in three: kill inside the write phase
            deadline = time.monotonic() + 30
            while (sum(r.method == "POST" for r in zotero.requests) == posts_before
                   and proc.poll() is None and time.monotonic() < deadline):
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.2))
        else:  # and anywhere at all in the third
            time.sleep(rng.uniform(0.3, 1.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed_while_writing += sum(r.method == "POST" for r in zotero.requests) > posts_before
        finished = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True,
                                  text=True, timeout=120)
        assert finished.returncode == 0, finished.stderr
        counts = Counter(d.get("DOI", "").lower() for d in zotero.items.values())
        assert all(counts[doi] == 1 for doi in dois[:(round_ + 1) * PER_ROUND]), (
            f"round {round_}: {[(d, counts[d]) for d in batch if counts[d] != 1]}")
    assert len(zotero.items) == ROUNDS * PER_ROUND
    print(f"{ROUNDS} kills, {killed_while_writing} after the first write request was sent")
    assert killed_while_writing >= ROUNDS // 2  # the kills did hit the write phase
