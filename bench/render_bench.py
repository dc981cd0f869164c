"""CPU time and peak memory of the .bib half of ``pull``: citation keys, rendering, merge, write.

Run from the repository root: ``.venv/bin/python bench/render_bench.py [-n 25000] [--repeat 3]``.
Builds N synthetic Zotero items from a fixed seed (mixed item types, 1–12 creators with
diacritics, titles with acronyms, markup and every TeX special, DOIs with ``_`` and ``%``, URLs,
pages, free-form dates) and measures, each stage in a fresh interpreter so caches start cold
and ``ru_maxrss`` is the stage's own:

* ``assign_keys`` with ``bbt-default``; rendering every entry as BibTeX and as BibLaTeX; the
  three together; rendering as BibTeX and writing the file (what the goal names);
* a whole pull as ``refsync pull`` makes it (``plan_pull``, then ``Pull.apply``: file and lock
  written) from a snapshot library view into an empty folder, then a second pull with nothing
  changed (the lock and the file read back from disk);
* the naive way: bibtexparser 1.4's ``BibTexWriter`` over the same entries as bibtexparser
  dicts (raw field values, no escaping; what a quick script would do).

CPU is ``time.process_time`` (best of ``--repeat``); "py peak" is tracemalloc's peak during the
stage, measured in a separate run because tracing slows everything; "rss" is the process's
``ru_maxrss`` after the stage and "+rss" its growth over the setup. Goal (the issue): 25,000
items rendered and written in under 1.5 s of CPU.

``--dump DIR`` writes the bench's rendered output (both dialects, keys, the pulled file and
lock) and that of every Better BibTeX fixture item, for byte-for-byte comparisons.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from bibtexparser.bibdatabase import BibDatabase  # noqa: E402
from bibtexparser.bwriter import BibTexWriter  # noqa: E402
from support.bbt import BBT, bbt_reference, load_items  # noqa: E402

from refsync.__version__ import __version__  # noqa: E402
from refsync.bib.vocabulary import ENTRY_TYPES  # noqa: E402
from refsync.builtin.bbt_keys import BBTDefault  # noqa: E402
from refsync.builtin.bibtex import BibExporter  # noqa: E402
from refsync.config import Target  # noqa: E402
from refsync.model import Reference  # noqa: E402
from refsync.pull import Pull, plan_pull  # noqa: E402
from refsync.pull.keys import assign_keys  # noqa: E402
from refsync.pull.lock import Lock  # noqa: E402
from refsync.util.atomic import write_atomic  # noqa: E402
from refsync.util.gc import cyclic_gc_paused  # noqa: E402
from refsync.zotero.snapshot import SnapshotLibrary  # noqa: E402

# ---------------------------------------------------------------------------------------------
# Synthetic library

_TYPES = [("journalArticle", 40), ("conferencePaper", 18), ("book", 7), ("bookSection", 8),
          ("thesis", 4), ("report", 4), ("preprint", 6), ("webpage", 3), ("magazineArticle", 2),
          ("newspaperArticle", 1), ("computerProgram", 1), ("dataset", 1), ("patent", 1),
          ("encyclopediaArticle", 1), ("presentation", 1), ("document", 1), ("film", 1)]
_FAMILIES = ["Müller", "Łukasiewicz", "Dvořák", "Nguyễn", "García-Márquez", "Smith", "Øster",
             "Šimůnek", "Ólafsdóttir", "O'Brien", "Zhang", "Kowalczyk", "Björk", "Jäger",
             "Fernández", "Ibrahim", "Tanaka", "Petrov", "Çelik", "Günther", "Brown", "Lee",
             "Dubois", "Rossi", "Novák", "Kim", "Wang", "Schröder", "Nuñez", "Ångström",
             "Johnson", "Williams", "Pérez", "Da Silva", "MacLeod", "Weiß", "Krüger", "Ødegaard"]
_GIVEN = ["Anna", "José", "François", "Zoë", "Jürgen", "Søren", "Łucja", "Ana María", "John",
          "Mei", "Hiroshi", "Olga", "Ahmed", "Chloé", "Björn", "Élodie", "Ивaн", "Wei", "Raúl",
          "J.", "A. B.", "Jean de", "Martin Luther, Jr.", "Ludwig van", "Maria"]
_ORGS = ["World Health Organization", "IEEE Computer Society", "R Core Team",
         "European Commission", "ACM SIGPLAN", "Institut für Informatik"]
_WORDS = ("analysis of the for a an in on with using towards learning model models data "
          "efficient robust scalable approach method framework study evaluation networks "
          "neural deep graph distributed systems survey novel fast optimal adaptive sparse "
          "estimation inference stochastic dynamic control theory large scale").split()
_SPECIAL_WORDS = ["DNA", "GPU", "NLP", "COVID-19", "3D", "p53", "Bayesian", "Markov",
                  "Python", "iPhone", "LaTeX", "Monte-Carlo", "Schrödinger", "Poincaré",
                  "<i>in vivo</i>", "H<sub>2</sub>O", "<span class=\"nocase\">mRNA</span>",
                  "<b>bold</b>", "x<sup>2</sup>", "50%", "R&D", "snake_case", "$5", "#1",
                  "{braces}", "~approx", "x^2", "C:\\path", "\"quoted\"", "[bracketed]",
                  "naïve", "café", "Übersicht", "Ελληνικά", "日本語", "—", "…", "±", "α-helix"]
_JOURNALS = [f"Journal of {w.title()} {k}" for k in ("Research", "Letters", "Reviews")
             for w in _WORDS[10:30]] + ["Nature", "Science", "Physical Review B",
                                        "Proceedings of the IEEE", "Zeitschrift für Physik",
                                        "Annales de l'Institut Fourier", "R&D Management"]
_PUBLISHERS = ["Springer", "Elsevier", "O'Reilly & Associates", "MIT Press", "Wiley-VCH",
               "Presses Universitaires de France", "ACM", "IEEE", "Cambridge University Press"]
_PLACES = ["New York, NY", "Berlin", "Zürich", "Paris", "Kraków", "São Paulo", "London"]
_MONTHS = ["January", "March", "June", "September", "Oct.", "Dec"]
_ZOTERO_KEY = "23456789ABCDEFGHIJKLMNPQRSTUVWXYZ"


def _title(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(4, 14))]
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
        words.insert(rng.randrange(len(words) + 1), rng.choice(_SPECIAL_WORDS))
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice(("", "", "", "?", ": a case study"))


_SYLLABLES = ["ka", "ber", "son", "ov", "ić", "sen", "mann", "ez", "el", "ski", "ová", "ton",
              "lund", "ari", "oš", "ø", "ën", "ha"]


def _people(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """(given, family) of n people; family names are a common name, or one made up of
    syllables, so that about as many distinct people as items appear."""
    people = []
    for _ in range(n):
        family = rng.choice(_FAMILIES)
        if rng.random() < 0.8:
            family += "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3)))
        people.append((rng.choice(_GIVEN), family))
    return people


def _creators(rng: random.Random, kind: str, people: list[tuple[str, str]]
              ) -> list[dict[str, str]]:
    """Co-authors are drawn so that some people write many items, most write few."""
    count = min(12, max(1, int(rng.expovariate(0.35)) + 1))
    role = {"patent": "inventor", "computerProgram": "programmer", "film": "director",
            "presentation": "presenter"}.get(kind, "author")
    out: list[dict[str, str]] = []
    for _ in range(count):
        if rng.random() < 0.04:
            out.append({"creatorType": role, "name": rng.choice(_ORGS)})
        else:
            given, family = people[int(len(people) * rng.random() ** 1.3)]
            out.append({"creatorType": role, "firstName": given, "lastName": family})
    if count > 1 and rng.random() < 0.15:
        out[-1]["creatorType"] = "editor"
    return out


def _date(rng: random.Random) -> str:
    year = rng.randint(1950, 2025)
    return rng.choice([str(year), f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                       f"{rng.choice(_MONTHS)} {year}", f"{rng.randint(1, 12)}/{year}",
                       f"June 18–23, {year}", f"{year}-{rng.randint(1, 12):02d}", ""])


def make_item(rng: random.Random, i: int, people: list[tuple[str, str]]) -> dict[str, Any]:
    """One Zotero item ``data`` dict."""
    kind = rng.choices([t for t, _ in _TYPES], [w for _, w in _TYPES])[0]
    key = "".join(rng.choice(_ZOTERO_KEY) for _ in range(8))
    item: dict[str, Any] = {"key": key, "version": rng.randint(1, 5000), "itemType": kind,
                            "title": _title(rng), "creators": _creators(rng, kind, people),
                            "date": _date(rng), "tags": [], "collections": []}
    if rng.random() < 0.7:
        item["DOI"] = f"10.{rng.randint(1000, 9999)}/{rng.choice(('j', 'S0', 'abc_'))}" \
                      f"{i}{rng.choice(('', '_x', '%2F1', '.v2', '(1987)115<1606:G>2.0.CO;2'))}"
    if rng.random() < 0.5:
        item["url"] = rng.choice((f"https://example.org/paper/{i}?id={i}&v=2#sec_1",
                                  f"https://doi.org/10.1000/{i}", f"http://host/~user/{i}.pdf",
                                  f"https://example.org/Ünïcode path/{i}"))
    if kind in ("journalArticle", "magazineArticle", "newspaperArticle", "preprint"):
        item["publicationTitle"] = rng.choice(_JOURNALS)
        item["volume"] = str(rng.randint(1, 120))
        item["issue"] = rng.choice((str(rng.randint(1, 12)), "3-4", "Suppl. 2", ""))
        if kind == "preprint" and rng.random() < 0.6:
            item["number"] = f"arXiv:{rng.randint(1000, 2400)}.{rng.randint(10000, 99999)}"
            item.pop("issue")
    elif kind in ("conferencePaper", "bookSection", "encyclopediaArticle"):
        item["proceedingsTitle" if kind == "conferencePaper" else "bookTitle"] = \
            "Proceedings of the " + _title(rng)
        item["conferenceName"] = f"{rng.choice(('ICML', 'NeurIPS', 'CHI'))} {rng.randint(1, 40)}"
        item["publisher"] = rng.choice(_PUBLISHERS)
        item["place"] = rng.choice(_PLACES)
    elif kind in ("book", "report", "thesis"):
        name = {"book": "publisher", "report": "institution", "thesis": "university"}[kind]
        item[name] = rng.choice(_PUBLISHERS)
        item["place"] = rng.choice(_PLACES)
        item["ISBN"] = f"978-{rng.randint(0, 9)}-{rng.randint(100, 999)}-" \
                       f"{rng.randint(10000, 99999)}-{rng.randint(0, 9)}"
        if kind == "thesis":
            item["thesisType"] = rng.choice(("PhD diss.", "Master's thesis", "Habilitation"))
        if kind == "report":
            item["reportNumber"] = f"TR-{i}"
    if rng.random() < 0.8:
        start = rng.randint(1, 900)
        item["pages"] = rng.choice((f"{start}-{start + rng.randint(1, 30)}",
                                    f"{start}–{start + 9}", f"e{start}", f"S{start}—S{start + 3}"))
    if rng.random() < 0.3:
        item["abstractNote"] = " ".join(_title(rng) for _ in range(rng.randint(2, 6)))
    if rng.random() < 0.3:
        item["language"] = rng.choice(("en", "en-US", "de", "fr", "English", "pt-BR"))
    if rng.random() < 0.2:
        item["accessDate"] = f"20{rng.randint(10, 25)}-0{rng.randint(1, 9)}-" \
                             f"1{rng.randint(0, 9)}T10:00:00Z"
    if rng.random() < 0.2:
        item["shortTitle"] = item["title"].split(" ")[0]
    if rng.random() < 0.03:
        item["extra"] = f"Citation Key: pinned{i}\nPMID: {i}"
    if rng.random() < 0.02:  # a record listed again under another key, for key collisions
        item["title"] = "A concise course in algebraic topology"
        item["creators"] = [{"creatorType": "author", "firstName": "J. P.", "lastName": "May"}]
        item["date"] = "1999"
    return item


def make_items(n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    people = _people(rng, 3 * n)
    return [make_item(rng, i, people) for i in range(n)]


def snapshot(n: int, seed: int) -> SnapshotLibrary:
    return SnapshotLibrary({"library": "user:1", "version": 1, "collections": [],
                            "items": make_items(n, seed)})


# ---------------------------------------------------------------------------------------------
# Stages: each gets the library view and a folder, returns how many entries it handled


@dataclass
class Setup:
    view: SnapshotLibrary
    refs: list[Reference]
    folder: Path
    keyed: dict[str, Reference] = field(default_factory=dict)  # key → record, when asked for
    lock: Lock | None = None  # the lock a pull left


def _keyed(refs: list[Reference]) -> dict[str, Reference]:
    keys = assign_keys(refs, BBTDefault())
    return {keys[ref.identity]: ref for ref in refs}


def stage_keys(setup: Setup) -> int:
    return len(assign_keys(setup.refs, BBTDefault()))


def _render_stage(dialect: str) -> Callable[[Setup], int]:
    def stage(setup: Setup) -> int:
        exporter = BibExporter(dialect)
        return len(exporter.render_entries(setup.keyed))
    return stage


def stage_write(setup: Setup) -> int:
    """What the goal names: every entry rendered, and the file written (atomically)."""
    write_atomic(setup.folder / "rendered.bib", BibExporter("bibtex").export(setup.keyed))
    return len(setup.keyed)


def stage_together(setup: Setup) -> int:
    keyed = _keyed(setup.refs)
    for dialect in ("bibtex", "biblatex"):
        BibExporter(dialect).export(keyed)
    return len(keyed)


def _pull(setup: Setup, lock: Lock) -> bool:
    path = setup.folder / "references.bib"
    plan = plan_pull(Target(output="references.bib"), items=setup.view.items(),
                     collections=[], path=path,
                     current=path.read_text(encoding="utf-8") if path.is_file() else None,
                     lock=lock, exporter=BibExporter("bibtex"), formatter=BBTDefault(),
                     source="snapshot", producer=f"refsync {__version__}")
    setup.lock = lock
    pull = Pull([plan], lock, setup.folder / "refsync.lock")
    changed = bool(pull.stale)
    pull.apply()
    return changed


def stage_pull(setup: Setup) -> int:
    assert _pull(setup, Lock())
    return len(setup.refs)


def stage_pull_again(setup: Setup) -> int:
    assert not _pull(setup, setup.lock or Lock()), "expected no change"
    return len(setup.refs)


def _naive_entry(key: str, ref: Reference) -> dict[str, str]:
    entry = {"ENTRYTYPE": ENTRY_TYPES.get(ref.item_type, ("misc", "misc"))[0], "ID": key,
             "title": ref.title,
             "author": " and ".join(f"{c.last}, {c.first}" if c.last else c.name
                                    for c in ref.creators),
             "year": str(ref.issued.year or "")}
    for name, zotero_name in (("journal", "publicationTitle"), ("volume", "volume"),
                              ("number", "issue"), ("pages", "pages"), ("publisher", "publisher"),
                              ("doi", "DOI"), ("url", "url")):
        if value := ref.get(zotero_name):
            entry[name] = value
    return entry


def stage_naive(setup: Setup) -> int:
    database = BibDatabase()
    database.entries = [_naive_entry(key, ref) for key, ref in setup.keyed.items()]
    BibTexWriter().write(database)
    return len(database.entries)


#: name → (label, stage, whether it needs keys worked out before it starts, unmeasured)
STAGES: dict[str, tuple[str, Callable[[Setup], int], bool]] = {
    "keys": ("assign_keys (bbt-default)", stage_keys, False),
    "bibtex": ("render bibtex", _render_stage("bibtex"), True),
    "biblatex": ("render biblatex", _render_stage("biblatex"), True),
    "write": ("render bibtex + write the file", stage_write, True),
    "together": ("keys + bibtex + biblatex", stage_together, False),
    "pull": ("whole pull, cold (file + lock)", stage_pull, False),
    "pull-again": ("second pull, unchanged", stage_pull_again, False),
    "naive": ("naive: bibtexparser BibTexWriter", stage_naive, True),
}


def child(stage: str, n: int, seed: int, folder: Path, trace: bool) -> dict[str, float]:
    """Run one stage in this (fresh) process and report its figures."""
    started = time.process_time()
    view = snapshot(n, seed)
    setup = Setup(view, view.items(), folder)
    _, action, needs_keys = STAGES[stage]
    if needs_keys:
        setup.keyed = _keyed(setup.refs)
    if stage == "pull-again":  # the lock the cold pull left behind, as the CLI reads it
        setup.lock = Lock.load(folder / "refsync.lock")
    setup_cpu = time.process_time() - started
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if trace:
        tracemalloc.start()
    cpu = time.process_time()
    with cyclic_gc_paused():  # as refsync's CLI runs every command
        count = action(setup)
    cpu = time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"cpu": cpu, "setup": setup_cpu, "count": count, "peak": peak / 2**20,
            "rss": rss / 1024, "rss_growth": (rss - rss_before) / 1024}


def _spawn(stage: str, n: int, seed: int, folder: Path, trace: bool) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", stage, "-n", str(n), "--seed", str(seed),
               "--folder", str(folder)] + (["--trace"] if trace else [])
    out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    result: dict[str, float] = json.loads(out.stdout)
    return result


def run(n: int, seed: int, repeat: int, stages: list[str]) -> None:
    print(f"refsync render benchmark — {n} synthetic items (seed {seed}), "
          f"best CPU of {repeat}, each stage in a fresh process")
    print(f"{'stage':<34} {'entries':>8} {'cpu':>8} {'py peak':>9} {'rss':>8} {'+rss':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        folders = (Path(tmp) / str(i) for i in range(10**6))
        for stage in stages:
            runs = []
            for trace in [False] * repeat + [True]:
                folder = next(folders)
                if stage == "pull-again":  # the state a first pull leaves behind
                    _spawn("pull", n, seed, folder, trace=False)
                runs.append(_spawn(stage, n, seed, folder, trace))
            best = min(runs[:-1], key=lambda t: t["cpu"])
            print(f"{STAGES[stage][0]:<34} {int(best['count']):>8} {best['cpu']:>7.2f}s "
                  f"{runs[-1]['peak']:>6.1f} MB {best['rss']:>5.0f} MB "
                  f"{best['rss_growth']:>5.0f} MB")
        print(f"(not counted: building the items, the library view and, where a stage needs "
              f"them, the keys: {best['setup']:.2f}s)")


def dump(folder: Path, n: int, seed: int) -> None:
    """The rendered output of the bench items and the BBT fixtures, for diffs."""
    folder.mkdir(parents=True, exist_ok=True)
    view = snapshot(n, seed)
    keyed = _keyed(view.items())
    (folder / "bench.keys").write_text("\n".join(keyed) + "\n", encoding="utf-8")
    for dialect in ("bibtex", "biblatex"):
        (folder / f"bench.{dialect}").write_text(BibExporter(dialect).export(keyed), "utf-8")
    pulled = folder / "pull"
    pulled.mkdir(exist_ok=True)
    for stale in pulled.iterdir():
        stale.unlink()
    lock = Lock()
    _pull(Setup(view, view.items(), pulled), lock)
    for fixture in sorted(BBT.glob("*.json")):
        refs = [bbt_reference(item) for item in load_items(fixture)]
        fixture_keys = _keyed(refs)
        for dialect in ("bibtex", "biblatex"):
            text = BibExporter(dialect).export(fixture_keys)
            (folder / "bbt").mkdir(exist_ok=True)
            (folder / "bbt" / f"{fixture.stem}.{dialect}").write_text(text, "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=25_000, help="items in the library")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--repeat", type=int, default=1, help="runs per stage; best CPU shown")
    parser.add_argument("--stages", nargs="+", choices=list(STAGES), default=list(STAGES))
    parser.add_argument("--dump", type=Path, help="write rendered output here and stop")
    parser.add_argument("--child", choices=list(STAGES), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.n, args.seed, args.folder, args.trace)))
    elif args.dump:
        dump(args.dump, args.n, args.seed)
    else:
        run(args.n, args.seed, args.repeat, args.stages)


if __name__ == "__main__":
    main()
