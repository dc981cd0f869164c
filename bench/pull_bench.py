"""Requests, wall and CPU time of keeping a Zotero mirror current, against the loopback fake.

Run from the repository root: ``.venv/bin/python bench/pull_bench.py [--sizes 10000 50000]``.
Compares the mirror (cold sync, unchanged sync, k changed items) with the naive way, pyzotero's
``everything(zot.items())`` on every pull. CPU is the client thread's only (the fake server runs
in the same process). Goals: cold <= ceil(N/100) + 3 requests, unchanged = 1, k changed <=
1 + ceil(k/100) + 1. Add rows for the .bib rendering half by appending to ``SCENARIOS``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fakes.server import LoopbackServer  # noqa: E402
from fakes.zotero import API_KEY, FakeZotero  # noqa: E402
from pyzotero import zotero as pyzotero  # noqa: E402

from refsync.config import ZoteroSettings  # noqa: E402
from refsync.mirror import Mirror, sync_mirror  # noqa: E402
from refsync.zotero import ZoteroClient  # noqa: E402


@dataclass
class Bench:
    """What every scenario gets: the fake, its server, a client and a mirror of user:123."""

    fake: FakeZotero
    server: LoopbackServer
    client: ZoteroClient
    mirror: Mirror
    keys: list[str]
    changed: int


@dataclass
class Row:
    label: str
    requests: int
    wall: float
    cpu: float
    objects: int


def populate(fake: FakeZotero, n: int) -> list[str]:
    """A thesis-sized library scaled up: collections, tags, DOIs, and a PDF on every 5th item."""
    colls = [fake.add_collection(f"Topic {i}") for i in range(20)]
    keys = []
    for i in range(n):
        key = fake.add_item(
            itemType="journalArticle", title=f"On the behaviour of system {i}",
            creators=[{"creatorType": "author", "firstName": "Ada",
                       "lastName": f"Author{i % 997}"}],
            date=str(1950 + i % 75), DOI=f"10.5555/bench.{i}", publicationTitle="Journal of Tests",
            volume=str(i % 40), pages=f"{i % 300}-{i % 300 + 12}",
            tags=["cite"] if i % 3 == 0 else [], collections=[colls[i % 20]])
        keys.append(key)
        if i % 5 == 0:
            fake.add_item(itemType="attachment", parentItem=key, title="Full Text PDF",
                          contentType="application/pdf", linkMode="imported_url")
    return keys


def measure(label: str, bench: Bench, action: Callable[[], int],
            prepare: Callable[[Bench], None] | None) -> Row:
    if prepare:
        prepare(bench)
    before = len(bench.fake.requests)
    wall, cpu = time.perf_counter(), time.thread_time()
    objects = action()
    return Row(label, len(bench.fake.requests) - before, time.perf_counter() - wall,
               time.thread_time() - cpu, objects)


def naive(bench: Bench) -> int:
    zot = pyzotero.Zotero(123, "user", API_KEY)
    zot.endpoint = bench.server.url
    return len(zot.everything(zot.items()))


def mirror_sync(bench: Bench) -> int:
    stats = sync_mirror(bench.client, bench.mirror)
    return stats.items_updated


def edit_k_items(bench: Bench) -> None:
    for key in bench.keys[: bench.changed]:
        bench.fake.update_item(key, title="Revised title")


def mirror_read(bench: Bench) -> int:
    return len(bench.mirror.items())


#: (label, action measured, preparation not measured), run in order on one library
SCENARIOS: list[tuple[str, Callable[[Bench], int], Callable[[Bench], None] | None]] = [
    ("naive everything(items())", naive, None),
    ("mirror cold sync", mirror_sync, None),
    ("mirror unchanged sync", mirror_sync, None),
    ("mirror k changed sync", mirror_sync, edit_k_items),
    ("mirror items() read", mirror_read, None),
]


def run(n: int, changed: int, latency: float) -> list[Row]:
    fake = FakeZotero()
    keys = populate(fake, n)
    fake.latency = latency
    server = LoopbackServer(fake)
    with tempfile.TemporaryDirectory() as folder:
        client = ZoteroClient(ZoteroSettings(url=server.url, library="user:123"), API_KEY)
        mirror = Mirror.open(Path(folder), "user:123")
        bench = Bench(fake, server, client, mirror, keys, changed)
        rows = [measure(label.replace("k ", f"k={changed} "), bench,
                        lambda a=action: a(bench), prepare)  # type: ignore[misc]
                for label, action, prepare in SCENARIOS]
        mirror.close()
    server.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--changed", type=int, default=250)
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds the fake waits before each response (a round trip)")
    args = parser.parse_args()
    print(f"refsync pull benchmark (mirror half) — fake Zotero on loopback, "
          f"{args.latency:g} s added per response")
    print(f"{'library':>8}  {'run':<28} {'requests':>9} {'objects':>8} {'wall':>8} {'cpu':>8}")
    for n in args.sizes:
        for row in run(n, args.changed, args.latency):
            print(f"{n:>8}  {row.label:<28} {row.requests:>9} {row.objects:>8} "
                  f"{row.wall:>7.2f}s {row.cpu:>7.2f}s")


if __name__ == "__main__":
    main()
