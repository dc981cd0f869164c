"""Python's cycle collector belongs to the process: only refsync's CLI, which owns its process,
pauses it; library calls leave it on for the program that embeds them."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from refsync.builtin.bbt_keys import BBTDefault
from refsync.builtin.bibtex import BibExporter
from refsync.cli import main
from refsync.config import Target
from refsync.errors import SyncConflictError
from refsync.model import Reference
from refsync.pull import plan_pull
from refsync.pull.lock import Lock
from refsync.util.gc import cyclic_gc_paused


class _Watching(BBTDefault):
    """The built-in key formula, noting whether the collector was on each time it ran."""

    def __init__(self) -> None:
        self.seen: list[bool] = []

    def format_key(self, ref: Reference) -> str:
        self.seen.append(gc.isenabled())
        return super().format_key(ref)


def test_a_library_pull_never_switches_the_collector_off(tmp_path: Path) -> None:
    watching = _Watching()
    plan_pull(Target(output="refs.bib"),
              items=[Reference("book", {"title": f"T{i}"}, key=f"K{i}") for i in range(3)],
              collections=[], path=tmp_path / "refs.bib", current=None, lock=Lock(),
              exporter=BibExporter("bibtex"), formatter=watching, source="test",
              producer="refsync test")
    assert watching.seen == [True, True, True]
    assert gc.isenabled()


def test_the_cli_gives_the_collector_back_when_it_is_done(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as done:
        main(["plugins"])
    assert done.value.code == 0
    assert gc.isenabled()


def test_the_collector_comes_back_after_an_error() -> None:
    assert gc.isenabled()
    with pytest.raises(SyncConflictError), cyclic_gc_paused():
        assert not gc.isenabled()
        raise SyncConflictError("boom")
    assert gc.isenabled()
