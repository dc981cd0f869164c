"""Whole ``refsync pull`` against the loopback fake Zotero, beside the naive way.

Run from the repository root: ``.venv/bin/python bench/pull_bench.py [--sizes 10000 50000]
[--changed 250] [--latency 0]``.

For each size N the fake Zotero (``tests/fakes``, in a child process of its own so CPU figures
are the client's) serves a user library of N items built like ``bench/render_bench.py``'s
synthetic library (mixed types, many creators, TeX specials), filed into 20 collections, plus a
PDF attachment on every 5th item. Each scenario then runs in a fresh Python process that pulls
the whole library into ``references.bib`` of a temporary manuscript folder through the library
API, as ``refsync pull -o references.bib`` does (``Refsync.plan_pull`` + ``Pull.apply``: mirror
sync, citation keys, rendering, merge, atomic write, lock), in this order on one cache:

* **naive**: pyzotero ``everything(zot.items())``, each regular item turned into a bibtexparser
  entry (Zotero key as citation key, common fields copied raw: no escaping, no key formula, no
  lock), written with ``bibtexparser.bwriter.BibTexWriter``; it costs the same on every pull.
* **cold**: empty cache, no ``.bib``, no lock.
* **unchanged**: again, nothing changed on the server.
* **k changed**: k items get a new title on the server, then a pull.

Columns: *requests* is what the fake logged during the scenario; *goal* is the issue's bound
(cold <= ceil(N/100) + 3, unchanged = 1, k changed <= 1 + ceil(k/100) + 1) and *met* says whether
the count keeps to it; *entries* is how many entries the written file holds and *file* what
changed in it (refsync's own summary; an unchanged file is not rewritten); *wall* and *CPU*
(``time.process_time``: the child's CPU, all its threads) cover the scenario alone, not the
interpreter's start or the import of ``refsync.app``; what a pull imports on the way (the Zotero
client, the plugins: about 0.25 s) is counted, as a real pull pays it. *peak RSS* is the child's
``ru_maxrss`` (the whole process, interpreter and imports included) and *+RSS* how far the
scenario raised it above the level after imports.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench")]
API_KEY = "FakeKey0123456789abcdefg"  # fakes.zotero.API_KEY, without importing the fakes here
LIBRARY = "user:123"


# ---------------------------------------------------------------------------------------------
# The fake Zotero, in a child process


class FakeProcess:
    """The fake in a child process; ``call("count")`` is the number of requests it logged,
    ``call("edit")`` retitles the first ``changed`` items first."""

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
    from fakes.server import LoopbackServer
    from fakes.zotero import FakeZotero

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
        conn.send(len(server.requests))
    server.close()
    conn.send(None)


def populate(fake: Any, n: int, seed: int = 2024) -> list[str]:
    from render_bench import make_items

    colls = [fake.add_collection(f"Topic {i}") for i in range(20)]
    keys = []
    for i, data in enumerate(make_items(n, seed)):
        data.pop("version")
        if data["key"] in fake.library().items:  # a rare random-key clash: let the fake pick
            data.pop("key")
        key = fake.add_item(**{**data, "collections": [colls[i % 20]]})
        keys.append(key)
        if i % 5 == 0:
            fake.add_item(itemType="attachment", parentItem=key, title="Full Text PDF",
                          contentType="application/pdf", linkMode="imported_url")
    return keys


# ---------------------------------------------------------------------------------------------
# Scenarios, each run in a fresh process; each returns the entries in the file it wrote and
# what changed in it

NAIVE_TYPES = {"journalArticle": "article", "magazineArticle": "article",
               "newspaperArticle": "article", "book": "book", "bookSection": "incollection",
               "conferencePaper": "inproceedings", "thesis": "phdthesis", "report": "techreport"}
NAIVE_FIELDS = (("journal", "publicationTitle"), ("booktitle", "proceedingsTitle"),
                ("volume", "volume"), ("number", "issue"), ("pages", "pages"),
                ("publisher", "publisher"), ("doi", "DOI"), ("url", "url"))


def prepare_naive() -> Callable[[Path], tuple[int, str]]:
    from bibtexparser.bibdatabase import BibDatabase
    from bibtexparser.bwriter import BibTexWriter
    from pyzotero import zotero as pyzotero

    def naive(folder: Path) -> tuple[int, str]:
        zot = pyzotero.Zotero(LIBRARY.split(":")[1], "user", API_KEY)
        zot.endpoint = os.environ["REFSYNC_ZOTERO_URL"]
        database = BibDatabase()
        for item in zot.everything(zot.items()):
            data = item["data"]
            if data["itemType"] in ("attachment", "note", "annotation"):
                continue
            entry = {"ENTRYTYPE": NAIVE_TYPES.get(data["itemType"], "misc"), "ID": data["key"],
                     "title": data.get("title", ""), "year": data.get("date", "")[:4],
                     "author": " and ".join(f"{c['lastName']}, {c['firstName']}"
                                            if "lastName" in c else c.get("name", "")
                                            for c in data["creators"])}
            entry.update({name: data[field] for name, field in NAIVE_FIELDS if data.get(field)})
            database.entries.append(entry)
        (folder / "references.bib").write_text(BibTexWriter().write(database), "utf-8")
        return len(database.entries), "rewritten"

    return naive


def prepare_pull() -> Callable[[Path], tuple[int, str]]:
    from refsync.app import Refsync
    from refsync.config import Target

    def pull(folder: Path) -> tuple[int, str]:
        app = Refsync.from_config(cwd=folder)
        pulled = app.plan_pull([Target(output="references.bib")])
        pulled.apply()
        [plan] = pulled.plans
        return len(plan.entries), plan.summary() if plan.changed else "not rewritten"

    return pull


#: name → (label, setup returning the measured action, what the fake does first), in run order
SCENARIOS: dict[str, tuple[str, Callable[[], Callable[[Path], tuple[int, str]]], str]] = {
    "naive": ("naive: everything() + BibTexWriter", prepare_naive, "count"),
    "cold": ("refsync pull, cold", prepare_pull, "count"),
    "unchanged": ("refsync pull, nothing changed", prepare_pull, "count"),
    "changed": ("refsync pull, k changed", prepare_pull, "edit"),
}


def goal(scenario: str, n: int, k: int) -> tuple[str, int] | None:
    """The issue's bound on requests: ("<=" or "=", count)."""
    return {"cold": ("<=", math.ceil(n / 100) + 3), "unchanged": ("=", 1),
            "changed": ("<=", 1 + math.ceil(k / 100) + 1)}.get(scenario)


def child(scenario: str, folder: Path) -> dict[str, Any]:
    """Run one scenario in this fresh process and report its figures."""
    from refsync.util.gc import cyclic_gc_paused

    action = SCENARIOS[scenario][1]()  # imports, outside the measurement
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    wall, cpu = time.perf_counter(), time.process_time()
    with cyclic_gc_paused():  # as refsync's CLI runs every command
        entries, changes = action(folder)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"entries": entries, "changes": changes, "wall": wall, "cpu": cpu, "rss": rss / 1024,
            "rss_growth": (rss - rss_before) / 1024}


# ---------------------------------------------------------------------------------------------
# The parent: one fake per size, one child per scenario


def run(n: int, changed: int, latency: float) -> list[dict[str, Any]]:
    fake = FakeProcess(n, changed, latency)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("REFSYNC_", "ZOTERO_"))}
        env.update(REFSYNC_ZOTERO_URL=fake.url, ZOTERO_LIBRARY=LIBRARY, ZOTERO_API_KEY=API_KEY,
                   REFSYNC_CACHE_DIR=str(Path(tmp) / "cache"),
                   XDG_CONFIG_HOME=str(Path(tmp) / "config"),
                   PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
        for scenario, (label, _, command) in SCENARIOS.items():
            folder = Path(tmp) / ("naive" if scenario == "naive" else "paper")
            folder.mkdir(exist_ok=True)
            before = fake.call(command)
            out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child",
                                  scenario], cwd=folder,
                                 env=env, check=True, capture_output=True, text=True)
            row = json.loads(out.stdout)
            row["requests"] = fake.call("count") - before
            bound = goal(scenario, n, changed)
            row["goal"] = f"{bound[0]} {bound[1]}" if bound else "—"
            row["met"] = None if bound is None else (
                row["requests"] == bound[1] if bound[0] == "=" else row["requests"] <= bound[1])
            row["label"] = label.replace("k changed", f"{changed} changed")
            rows.append(row)
    fake.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--changed", type=int, default=250, help="k, items changed")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds the fake waits before each response (a round trip)")
    parser.add_argument("--child", choices=list(SCENARIOS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, Path.cwd())))
        return
    print(f"refsync pull benchmark: fake Zotero on loopback, {args.latency:g} s per response; "
          "each scenario in a fresh process\n")
    print("| N | scenario | requests | goal | met | entries | file | wall | CPU | peak RSS "
          "| +RSS |")
    print("| ---: | --- | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: | ---: |")
    for n in args.sizes:
        for r in run(n, args.changed, args.latency):
            met = "—" if r["met"] is None else "yes" if r["met"] else "**no**"
            print(f"| {n:,} | {r['label']} | {r['requests']} | {r['goal']} | {met} | "
                  f"{r['entries']:,} | {r['changes']} | {r['wall']:.2f} s | {r['cpu']:.2f} s | "
                  f"{r['rss']:.0f} MB | {r['rss_growth']:.0f} MB |")


if __name__ == "__main__":
    main()
