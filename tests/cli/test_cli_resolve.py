"""`refsync resolve` as a user runs it: real habanero over HTTP to the loopback Crossref."""

from __future__ import annotations

import json
from pathlib import Path

import bibtexparser
import pytest
from click.testing import CliRunner
from fakes.crossref import FakeCrossref

from refsync.cli import cli


@pytest.fixture
def run(crossref: FakeCrossref, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    env = {"REFSYNC_CROSSREF_URL": crossref.url, "REFSYNC_MAILTO": "ci@example.org"}

    def invoke(*args: str, stdin: str | None = None):
        return CliRunner().invoke(cli, list(args), env=env, input=stdin)

    return invoke


def test_pasted_forms_resolve_to_one_bibtex_entry_each(run, crossref: FakeCrossref) -> None:
    result = run("resolve", "https://doi.org/10.1371/JOURNAL.PONE.0033693.",
                 "doi:10.1038/srep16696", "10.1038%2Fsrep16696", "http://dx.doi.org/10.3892/ijo\\_00000353")
    assert result.exit_code == 0, result.stderr
    entries = bibtexparser.loads(result.stdout).entries
    assert sorted(e["doi"] for e in entries) == [
        "10.1038/srep16696", "10.1371/journal.pone.0033693", "10.3892/ijo_00000353"]
    assert len(crossref.requests) <= 2  # batched, not one request per DOI


def test_a_failed_input_is_named_and_the_rest_still_printed(run) -> None:
    result = run("resolve", "10.1038/srep16696", "10.9999/does-not-exist", "not-a-doi")
    assert result.exit_code == 1
    assert "10.1038/srep16696" in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert "'10.9999/does-not-exist'" in lines[0] or "'10.9999/does-not-exist'" in lines[1]
    assert any("'not-a-doi'" in line and "not a DOI" in line for line in lines)
    assert "Traceback" not in result.stderr


def test_reference_list_on_stdin_and_warm_repeat_costs_no_request(
        run, crossref: FakeCrossref, tmp_path: Path) -> None:
    text = ("1. Smith J. A paper. PLoS One 2012. doi:10.1371/journal.pone.0033693\n"
            "2. Doe J. Another. Sci Rep 2015;5:16696. https://doi.org/10.1038/srep16696.\n")
    first = run("resolve", "-", "-o", "refs.bib", stdin=text)
    assert first.exit_code == 0, first.stderr
    assert len(bibtexparser.loads((tmp_path / "refs.bib").read_text()).entries) == 2
    crossref.requests.clear()
    again = run("resolve", "-", "-f", "csljson", stdin=text)
    assert again.exit_code == 0 and crossref.requests == []
    assert {item["DOI"] for item in json.loads(again.stdout)} == {
        "10.1371/journal.pone.0033693", "10.1038/srep16696"}
    refreshed = run("resolve", "--refresh", "10.1038/srep16696")
    assert refreshed.exit_code == 0 and crossref.requests


def test_server_failure_is_one_line_and_exit_1(run, crossref: FakeCrossref,
                                               tmp_path: Path) -> None:
    (tmp_path / "refsync.toml").write_text("[crossref]\nretries = 1\n")
    crossref.fail_next(500, count=50)
    result = run("resolve", "10.1038/srep16696")
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_unknown_format_fails_before_any_request(run, crossref: FakeCrossref) -> None:
    result = run("resolve", "10.1038/srep16696", "-f", "ris")
    assert result.exit_code != 0 and "unknown format 'ris'" in result.stderr
    assert crossref.requests == []
