"""Requests, wall and CPU time of keeping a Zotero mirror current, against the loopback fake.

Run from the repository root: ``.venv/bin/python bench/pull_bench.py [--sizes 10000 50000]``.
Compares the mirror (cold sync, unchanged sync, k changed items) with the naive way, pyzotero's
``everything(zot.items())`` on every pull. The fake runs in a child process, so CPU is the
client's alone (all its threads). Goals: cold <= ceil(N/100) + 3 requests, unchanged = 1,
k changed <= 1 + ceil(k/100) + 1. Add rows for the .bib rendering half to ``SCENARIOS``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fakes.server import LoopbackServer  # noqa: E402
from fakes.zotero import API_KEY, FakeZotero  # noqa: E402
from pyzotero import zotero as pyzotero  # noqa: E402

from refsync.config import ZoteroSettings  # noqa: E402
from refsync.mirror import Mirror, sync_mirror  # noqa: E402
from refsync.zotero import ZoteroClient  # noqa: E402


class FakeProcess:
    """The fake Zotero in a child process, so this process's CPU time is the client's alone
    (pages are parsed on several client threads, so per-thread CPU would undercount)."""

    def __init__(self, n: int, changed: int, latency: float) -> None:
        self._conn, child = multiprocessing.Pipe()
        self._process = multiprocessing.Process(target=_serve, args=(child, n, changed, latency),
                                                daemon=True)
        self._process.start()
        self.url: str = self._conn.recv()

    def call(self, command: str) -> Any:
        self._conn.send(command)
        return self._conn.recv()

    def close(self) -> None:
        self.call("stop")
        self._process.join()


def _serve(conn: Connection, n: int, changed: int, latency: float) -> None:
    fake = FakeZotero()
    keys = populate(fake, n)
    fake.latency = latency
    server = LoopbackServer(fake)
    conn.send(server.url)
    while (command := conn.recv()) != "stop":
        if command == "edit":
            with fake.lock:
                for key in keys[:changed]:
                    fake.update_item(key, title="Revised title")
        conn.send(len(fake.requests))
    server.close()
    conn.send(None)


@dataclass
class Bench:
    """What every scenario gets: the fake, a client and a mirror of user:123."""

    fake: FakeProcess
    client: ZoteroClient
    mirror: Mirror


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


def measure(label: str, bench: Bench, action: Callable[[Bench], int],
            prepare: str | None) -> Row:
    before = bench.fake.call(prepare or "count")
    wall, cpu = time.perf_counter(), time.process_time()
    objects = action(bench)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return Row(label, bench.fake.call("count") - before, wall, cpu, objects)


def naive(bench: Bench) -> int:
    zot = pyzotero.Zotero(123, "user", API_KEY)
    zot.endpoint = bench.fake.url
    return len(zot.everything(zot.items()))


def mirror_sync(bench: Bench) -> int:
    return sync_mirror(bench.client, bench.mirror).items_updated


def mirror_read(bench: Bench) -> int:
    return len(bench.mirror.items())


#: (label, action measured, command the fake runs first, unmeasured), in order on one library
SCENARIOS: list[tuple[str, Callable[[Bench], int], str | None]] = [
    ("naive everything(items())", naive, None),
    ("mirror cold sync", mirror_sync, None),
    ("mirror unchanged sync", mirror_sync, None),
    ("mirror k changed sync", mirror_sync, "edit"),
    ("mirror items() read", mirror_read, None),
]


def run(n: int, changed: int, latency: float) -> list[Row]:
    fake = FakeProcess(n, changed, latency)
    with tempfile.TemporaryDirectory() as folder:
        settings = ZoteroSettings(url=fake.url, library="user:123")
        with ZoteroClient(settings, API_KEY) as client, Mirror.open(Path(folder),
                                                                  "user:123") as mirror:
            bench = Bench(fake, client, mirror)
            rows = [measure(label.replace("k ", f"k={changed} "), bench, action, prepare)
                    for label, action, prepare in SCENARIOS]
    fake.close()
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
