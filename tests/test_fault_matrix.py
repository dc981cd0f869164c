"""Every fault a network or server really produces, against every command that talks to one.

Each cell runs one refsync command with one fault in front of the Zotero or Crossref fake
(:mod:`fakes.faults`), then asserts what a user would check: the right result, or a failure
told in one line with a non-zero exit; never a traceback; never a second copy of a work on the
server. Then the fault is lifted and the same command run again: it must reach the right
result, still without a copy. Set ``FAULT_MATRIX_REPORT=path`` to get one JSON line per cell
(outcome and seconds), from which the table in the issue's note is made.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from click.testing import Result
from fakes import faults
from fakes.crossref import FakeCrossref
from fakes.faults import Fault, FaultPlan
from fakes.zotero import FakeZotero

PLOS = "10.1371/journal.pone.0033693"
SREP = "10.1038/srep16696"
SETTINGS = """
[zotero]
timeout = 1
retries = 1
max_wait = 10

[crossref]
timeout = 1
retries = 1
max_wait = 10
"""


def read_faults() -> list[Fault]:
    once = [*faults.transient(), faults.rate_limited("3600")]
    persistent = [faults.always(f) for f in
                  (faults.server_error(), faults.html(200), faults.reset(), faults.silence())]
    return [replace(f, method="GET") for f in once + persistent]


def write_faults(zotero: FakeZotero) -> list[Fault]:
    def unrelated() -> None:
        zotero.add_item(title="Someone else's paper", date="2019")

    def same_work() -> None:
        zotero.add_item(title="A lab member's copy", DOI=PLOS, date="2012")

    cells = [faults.rate_limited("1"), faults.rate_limited(faults.http_date(1)),
             faults.rate_limited("3600"), faults.unavailable("1"), faults.server_error(),
             replace(faults.server_error(), name="500 after acting", when="after"),
             faults.html(200), faults.html(502), faults.reset(), faults.reset("after"),
             faults.silence(), faults.silence("after"), faults.truncated(honest=True),
             faults.truncated(honest=False), faults.too_large(),
             faults.concurrent_write(unrelated),
             replace(faults.concurrent_write(same_work), name="concurrent writer, same work"),
             Fault("partial batch failure", when="after",
                   act=lambda: zotero.fail_objects(0))]
    persistent = [faults.always(f) for f in
                  (faults.rate_limited("1"), faults.unavailable("1"), faults.reset())]
    return [replace(f, method="POST") for f in cells + persistent]


def crossref_faults() -> list[Fault]:
    return [*faults.transient(), faults.rate_limited("3600"),
            *(faults.always(f) for f in (faults.server_error(), faults.html(200)))]


@dataclass
class World:
    """The library, the manuscript folder and the command under test."""

    zotero: FakeZotero
    crossref: FakeCrossref
    folder: Path
    run: Callable[..., Result]

    def dois(self) -> Counter[str]:
        return Counter(d["DOI"].lower() for d in self.zotero.items.values()
                       if d.get("DOI") and not d.get("deleted"))

    def no_copies(self) -> None:
        copies = {doi: n for doi, n in self.dois().items() if n > 1}
        titles = Counter(d.get("title", "").lower() for d in self.zotero.items.values())
        assert not copies and max(titles.values(), default=0) <= 1, (copies, titles)

    def bib(self) -> str:
        path = self.folder / "refs.bib"
        return path.read_text(encoding="utf-8") if path.exists() else ""


@dataclass(frozen=True)
class Command:
    """A command, how to prepare the world for it, and how to tell its result is right."""

    name: str
    args: tuple[str, ...]
    prepare: Callable[[World], None]
    correct: Callable[[World, Result], bool]


def _library(world: World) -> None:
    coll = world.zotero.add_collection("paper")
    for n, title in enumerate(("Tumour immunology", "Microglia in ageing", "Sleep and memory")):
        world.zotero.add_item(title=title, date=f"{2010 + n}", collections=[coll], creators=[
            {"creatorType": "author", "firstName": "A.", "lastName": f"Author{n}"}])
    # already in the library, without its DOI: add and import must find it, not copy it
    world.zotero.add_item(title="Cytokine signalling in tumours", date="2015", creators=[
        {"creatorType": "author", "firstName": "B.", "lastName": "Existing"}])


def _warm(world: World) -> None:
    _library(world)
    assert world.run("pull", "--collection", "paper", "-o", "refs.bib").exit_code == 0
    key = next(k for k, d in world.zotero.items.items() if d["title"] == "Sleep and memory")
    world.zotero.update_item(key, title="Sleep and memory, revisited")


def _bib(world: World) -> None:
    _library(world)
    (world.folder / "in.bib").write_text(
        "@article{new, title = {A brand new result}, author = {Newcomer, N.}, year = {2024},"
        " journal = {J}}\n"
        "@article{old, title = {Cytokine signalling in tumours}, author = {Existing, B.},"
        " year = {2015}}\n", encoding="utf-8")


def _pulled(*titles: str) -> Callable[[World, Result], bool]:
    return lambda world, result: all(t in world.bib() for t in titles)


def _added(world: World, result: Result) -> bool:
    return world.dois() == Counter({PLOS: 1, SREP: 1})


def _imported(world: World, result: Result) -> bool:
    titles = Counter(d.get("title") for d in world.zotero.items.values())
    return titles["A brand new result"] == 1 and titles["Cytokine signalling in tumours"] == 1


RESOLVE = Command("resolve", ("resolve", PLOS, SREP), lambda world: None,
                  lambda world, result: PLOS in result.stdout and SREP in result.stdout)
PULL_COLD = Command("pull cold", ("pull", "--collection", "paper", "-o", "refs.bib"), _library,
                    _pulled("Tumour immunology", "Microglia in ageing", "Sleep and memory"))
PULL_WARM = Command("pull warm", PULL_COLD.args, _warm, _pulled("Sleep and memory, revisited"))
ADD = Command("add", ("add", PLOS, SREP), _library, _added)
IMPORT = Command("import", ("import", "in.bib"), _bib, _imported)


def cells() -> list[tuple[Command, str, Fault | Callable[[FakeZotero], Fault]]]:
    """(command, which server and method, fault); write faults need the fake, so they are
    built per test from their index."""
    matrix: list[tuple[Command, str, Fault | Callable[[FakeZotero], Fault]]] = []
    matrix += [(RESOLVE, "crossref", f) for f in crossref_faults()]
    for command in (PULL_COLD, PULL_WARM, ADD, IMPORT):
        matrix += [(command, "zotero", f) for f in read_faults()]
    matrix += [(ADD, "crossref", f) for f in crossref_faults()]
    for command in (ADD, IMPORT):
        for n in range(len(write_faults(FakeZotero()))):
            matrix.append((command, "zotero", lambda fake, n=n: write_faults(fake)[n]))
    return matrix


def _id(cell: tuple[Command, str, Fault | Callable[[FakeZotero], Fault]]) -> str:
    command, server, fault = cell
    name = fault.name if isinstance(fault, Fault) else fault(FakeZotero()).name
    method = fault.method if isinstance(fault, Fault) else "POST"
    return f"{command.name}|{server} {method}|{name}"


def _one_line_failure(result: Result) -> bool:
    """A failure the user can read: every error is one line, naming what failed."""
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    failed = [line for line in result.stdout.splitlines() if line.startswith("failed")]
    return bool(errors or failed) and "Traceback" not in result.output


CELLS = cells()


@pytest.mark.parametrize("cell", CELLS, ids=[_id(c) for c in CELLS])
def test_fault_matrix(cell: tuple[Command, str, Fault | Callable[[FakeZotero], Fault]],
                      zotero: FakeZotero, crossref: FakeCrossref, zotero_faults: FaultPlan,
                      crossref_faults: FaultPlan, run: Callable[..., Result],
                      tmp_path: Path) -> None:
    command, server, planned = cell
    (tmp_path / "refsync.toml").write_text(SETTINGS, encoding="utf-8")
    world = World(zotero, crossref, tmp_path, run)
    command.prepare(world)
    plan = crossref_faults if server == "crossref" else zotero_faults
    fault = plan.add(planned if isinstance(planned, Fault) else planned(zotero))

    started = time.monotonic()
    result = run(*command.args)
    seconds = time.monotonic() - started

    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.output, result.exc_info)
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        assert command.correct(world, result), (result.output, world.bib())
        outcome = "correct"
    else:
        assert _one_line_failure(result), result.output
        outcome = "clean failure"
    world.no_copies()
    assert fault.name in plan.hits  # the cell tested what it names

    zotero_faults.clear()
    crossref_faults.clear()
    again = run(*command.args)
    assert again.exit_code == 0, again.output
    assert command.correct(world, again), (again.output, world.bib())
    world.no_copies()

    if report := os.environ.get("FAULT_MATRIX_REPORT"):
        with open(report, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"cell": _id(cell), "outcome": outcome,
                                     "seconds": round(seconds, 2)}) + "\n")
