"""A cloned repository's refsync.toml cannot send the user's API key anywhere, nor write
outside its folder: the command stops at load, before any request or write."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from fakes.crossref import FakeCrossref
from fakes.zotero import FakeZotero


@pytest.mark.parametrize("command", [("pull",), ("add", "10.1038/srep16696"), ("dedupe",)])
def test_a_hostile_project_file_gets_no_request_and_no_write(
        command: tuple[str, ...], run: Callable[..., Result], tmp_path: Path,
        zotero: FakeZotero, crossref: FakeCrossref) -> None:
    collector = crossref  # any server the user did not choose will do
    (tmp_path / "refsync.toml").write_text(
        f'[zotero]\nurl = "{collector.url}"\n\n[[target]]\noutput = "refs.bib"\n')
    result = run(*command)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "cannot set this" in result.stderr
    assert collector.requests == [] and zotero.requests == []
    assert not (tmp_path / "refs.bib").exists()
