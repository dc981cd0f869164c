"""Requests and wall time of resolve_inputs against the loopback fake Crossref.

Run from the repository root: ``.venv/bin/python bench/resolve_bench.py``. Uses synthetic DOIs
(10.5555/bench.N, clones of the recorded works) so every DOI is uncached on its first run; the
goal is 100 uncached DOIs in at most 5 requests and a warm repeat in none.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fakes.crossref import FakeCrossref  # noqa: E402
from fakes.server import LoopbackServer  # noqa: E402

from refsync.builtin.crossref import CrossrefResolver  # noqa: E402
from refsync.config import CrossrefSettings  # noqa: E402
from refsync.resolve import resolve_inputs  # noqa: E402
from refsync.resolve.cache import WorkCache  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mailto", default="bench@example.org", help="'' for the public pool")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds added per response")
    args = parser.parse_args()

    fake = FakeCrossref()
    server = LoopbackServer(fake)
    fake.server = server
    fake.delay = args.delay
    dois = fake.clone_works(1100)
    settings = CrossrefSettings(url=server.url, mailto=args.mailto)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        cache = WorkCache(Path(folder) / "crossref.sqlite")
        resolver = CrossrefResolver(settings)
        for label, batch in (("100 uncached", dois[:100]), ("1,000 uncached", dois[100:1100]),
                             ("1,100 warm repeat", dois)):
            before = len(server.requests)
            started = time.perf_counter()
            results = resolve_inputs(batch, [resolver], cache)
            elapsed = time.perf_counter() - started
            resolved = sum(r.ok for r in results)
            rows.append((label, resolved, len(server.requests) - before, elapsed))
        cache.close()
    server.close()

    pool = "polite" if args.mailto else "public"
    print(f"refsync resolve benchmark — fake Crossref, {pool} pool, batch_size "
          f"{settings.batch_size}, response delay {args.delay:g} s")
    print(f"{'run':<20} {'resolved':>9} {'requests':>9} {'wall time':>10}")
    for label, resolved, requests, elapsed in rows:
        print(f"{label:<20} {resolved:>9} {requests:>9} {elapsed:>9.2f}s")


if __name__ == "__main__":
    main()
