"""Local problems (a file in the way, a .bib that is not UTF-8, two targets on one file) are
one line naming the path and what to do, and nothing is written."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from support import EXAMPLES

from refsync.cli import cli


@pytest.fixture
def paper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "paper"
    shutil.copytree(EXAMPLES / "neuro-immune", folder,
                    ignore=shutil.ignore_patterns("references.bib", "*.lock"))
    monkeypatch.chdir(folder)
    yield folder


def pull(folder: Path) -> Result:
    return CliRunner().invoke(cli, ["pull"], env={"REFSYNC_CACHE_DIR": str(folder / ".cache")})


def target(folder: Path, **changes: str) -> None:
    text = (folder / "refsync.toml").read_text()
    for old, new in changes.items():
        text = text.replace(old, new)
    (folder / "refsync.toml").write_text(text)


def one_line_error(result: Result, *words: str) -> bool:
    lines = result.stderr.splitlines()
    return (len(lines) == 1 and lines[0].startswith("Error:") and "Traceback" not in
            result.output and all(w in lines[0] for w in words))


def test_an_existing_bib_that_is_not_utf8_is_named(paper: Path) -> None:
    (paper / "references.bib").write_bytes(b"@misc{caf\xe9, title = {Caf\xe9}}\n")
    result = pull(paper)
    assert result.exit_code == 1 and one_line_error(result, "references.bib", "not UTF-8")
    assert (paper / "references.bib").read_bytes().startswith(b"@misc{caf\xe9")
    assert not (paper / "refsync.lock").exists()


def test_an_output_whose_folder_is_a_file_is_named(paper: Path) -> None:
    target(paper, **{'output = "references.bib"': 'output = "library.json/refs.bib"'})
    result = pull(paper)
    assert result.exit_code == 1 and one_line_error(result, "library.json/refs.bib")
    assert not (paper / "refsync.lock").exists()


def test_two_targets_on_one_output_are_refused_at_load(paper: Path) -> None:
    with (paper / "refsync.toml").open("a") as handle:
        handle.write('\n[[target]]\noutput = "./references.bib"\nsnapshot = "library.json"\n')
    result = pull(paper)
    assert result.exit_code == 2 and one_line_error(result, "two [[target]]", "references.bib")
    assert not (paper / "references.bib").exists()
