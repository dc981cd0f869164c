"""Two `refsync add` processes on one library at once: never a twin, never an interleaved write.

Each round starts two real processes adding the same works (overlapping halves, in different
orders) against the loopback servers, waits for both, then adds one unrelated work; the server
must then hold each work once, and no write may have been refused with 412: the library lock
makes the second process read the library only after the first has written to it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from fakes.crossref import FakeCrossref
from fakes.server import LoopbackServer
from fakes.zotero import FakeZotero

ROUNDS = 5
PER_ROUND = 6


def dois_in(zotero: FakeZotero) -> Counter[str]:
    return Counter(d["DOI"].lower() for d in zotero.items.values() if d.get("DOI"))


def test_two_adds_at_once_never_make_a_twin(crossref: FakeCrossref, zotero: FakeZotero,
                                            zotero_server: LoopbackServer,
                                            services_env: dict[str, str],
                                            tmp_path: Path) -> None:
    dois = crossref.clone_works(ROUNDS * PER_ROUND + 1, prefix="10.5555/twice.")
    zotero.latency = 0.15  # time enough for the two processes to overlap
    env = {**os.environ, **services_env}
    command = [sys.executable, "-m", "refsync", "add"]
    for round_ in range(ROUNDS):
        works = dois[round_ * PER_ROUND:(round_ + 1) * PER_ROUND]
        first = subprocess.Popen([*command, *works[:4]], env=env, cwd=tmp_path,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        second = subprocess.Popen([*command, *reversed(works[2:])], env=env, cwd=tmp_path,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        outputs = [process.communicate(timeout=120) for process in (first, second)]
        assert [first.returncode, second.returncode] == [0, 0], "\n".join(e for _, e in outputs)
        assert dois_in(zotero) == Counter({doi: 1 for doi in dois[:(round_ + 1) * PER_ROUND]})
    last = subprocess.run([*command, dois[-1]], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert last.returncode == 0, last.stderr
    assert dois_in(zotero) == Counter({doi: 1 for doi in dois})
    assert [r.status for r in zotero_server.requests if r.method == "POST"].count(412) == 0
