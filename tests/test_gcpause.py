"""refsync pauses Python's cycle collector around bulk work; a library user must get it back."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from refsync.builtin.bbt_keys import BBTDefault
from refsync.builtin.bibtex import BibExporter
from refsync.config import Target
from refsync.errors import SyncConflictError
from refsync.model import Reference
from refsync.pull import plan_pull
from refsync.pull.lock import Lock
from refsync.util.gc import cyclic_gc_paused


def _plan(tmp_path: Path) -> None:
    plan_pull(Target(output="refs.bib"), items=[Reference("book", {"title": "T"}, key="K1")],
              collections=[], path=tmp_path / "refs.bib", current=None, lock=Lock(),
              exporter=BibExporter("bibtex"), formatter=BBTDefault(), source="test",
              producer="refsync test")


@pytest.mark.parametrize("enabled", [True, False])
def test_pull_leaves_the_collector_as_it_found_it(tmp_path: Path, enabled: bool) -> None:
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        _plan(tmp_path)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_the_collector_comes_back_after_an_error() -> None:
    assert gc.isenabled()
    with pytest.raises(SyncConflictError), cyclic_gc_paused():
        assert not gc.isenabled()
        raise SyncConflictError("boom")
    assert gc.isenabled()
