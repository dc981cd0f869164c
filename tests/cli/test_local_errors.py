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


@pytest.mark.parametrize(("text", "words"), [
    ("[1, 2]", ["not a lock refsync wrote"]),
    ('{"lockVersion": "1", "targets": 5}', ["not a lock refsync wrote"]),
    ('{"lockVersion": "1", "targets": {"references.bib": {"k": {"nokey": 1}}}}',
     ["not a lock refsync wrote"]),
    ('{"lockVersion": "7"}', ["lock format 7", "upgrade refsync"]),
    ("garbage\x00", ["not a readable refsync lock", "restore it"]),
])
def test_a_lock_of_another_shape_is_named_and_left_alone(paper: Path, text: str,
                                                          words: list[str]) -> None:
    """A lock with the right version and the wrong fields was a traceback."""
    (paper / "refsync.lock").write_text(text)
    result = pull(paper)
    assert result.exit_code == 2 and one_line_error(result, "refsync.lock", *words), result.output
    assert (paper / "refsync.lock").read_text() == text
    assert not (paper / "references.bib").exists()


@pytest.mark.parametrize("command", [
    ["pull", "--snapshot", "library.json", "--collection", "neuro-immune", "-o", ""],
    ["pull", "-o", " "],
    ["init", "--force", "-o", ""],
])
def test_an_empty_output_on_the_command_line_is_refused(paper: Path, command: list[str]) -> None:
    """'-o ""' wrote the default file, as if no -o had been given."""
    toml = (paper / "refsync.toml").read_text()
    result = CliRunner().invoke(cli, command, env={"REFSYNC_CACHE_DIR": str(paper / ".cache")})
    assert result.exit_code == 2 and one_line_error(result, "--output is empty")
    assert not (paper / "references.bib").exists()
    assert (paper / "refsync.toml").read_text() == toml


def test_control_characters_in_a_message_are_shown_not_sent_to_the_terminal(paper: Path) -> None:
    """A file name (or a key) holding ESC would have cleared the user's screen."""
    target(paper, **{'output = "references.bib"': 'output = "refs\\u001b[2J.bib"'})
    (paper / "refs\x1b[2J.bib").write_bytes(b"\xff\xfe not UTF-8")
    result = pull(paper)
    assert result.exit_code == 1 and one_line_error(result, "refs\\x1b[2J.bib", "not UTF-8")
    assert "\x1b" not in result.output


@pytest.mark.parametrize("command", [["resolve", "10.1000/xyz"],
                                     ["dedupe", "--library", "user:1"]])
def test_a_cache_folder_that_cannot_be_made_is_named(paper: Path, command: list[str]) -> None:
    """A cache_dir under a file (or read-only, or on a missing mount) was a traceback."""
    (paper / "blocked").write_text("a file, where the cache folder would go")
    result = CliRunner().invoke(cli, command, env={
        "REFSYNC_CACHE_DIR": str(paper / "blocked" / "cache"), "ZOTERO_API_KEY": "k" * 24,
        "REFSYNC_ZOTERO_URL": "http://127.0.0.1:9"})  # never reached: the cache comes first
    assert result.exit_code == 1, result.output
    assert one_line_error(result, "cannot use the cache file", str(paper / "blocked" / "cache"),
                          "REFSYNC_CACHE_DIR")


def test_an_output_that_is_a_folder_is_named(paper: Path) -> None:
    result = CliRunner().invoke(cli, ["pull", "--snapshot", "library.json", "--collection",
                                      "neuro-immune", "-o", "."],
                                env={"REFSYNC_CACHE_DIR": str(paper / ".cache")})
    assert result.exit_code == 1 and one_line_error(result, str(paper), "Is a directory")
    assert not (paper / "refsync.lock").exists()
