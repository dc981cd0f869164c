"""`refsync pull` end to end: the real pyzotero over HTTP to the loopback Zotero server."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import bibtexparser
import pytest
from click.testing import CliRunner, Result
from fakes.zotero import API_KEY, FakeZotero
from support import EXAMPLES

from refsync.cli import cli
from refsync.config import user_config_file
from refsync.pull.merge import entry_hash, split_bib


class Machine:
    """One collaborator: a manuscript folder and a private cache (mirror) folder."""

    def __init__(self, zotero: FakeZotero, root: Path, library: str = "user:123") -> None:
        self.folder = root / "paper"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.env = {"REFSYNC_ZOTERO_URL": zotero.url, "ZOTERO_LIBRARY": library,
                    "ZOTERO_API_KEY": API_KEY, "REFSYNC_CACHE_DIR": str(root / "cache")}

    def pull(self, *args: str) -> Result:
        cwd = os.getcwd()
        os.chdir(self.folder)
        try:
            return CliRunner().invoke(cli, ["pull", *args], env=self.env)
        finally:
            os.chdir(cwd)

    @property
    def bib(self) -> Path:
        return self.folder / "references.bib"

    def entries(self) -> dict[str, dict[str, str]]:
        return {e["ID"]: e for e in bibtexparser.loads(self.bib.read_text()).entries}


def author(last: str, first: str = "A.") -> dict[str, str]:
    return {"creatorType": "author", "firstName": first, "lastName": last}


@pytest.fixture
def library(zotero: FakeZotero) -> dict[str, str]:
    """A small library: a collection with a subcollection, tags, and unrelated items."""
    neuro = zotero.add_collection("neuro-immune")
    pain = zotero.add_collection("pain", parent=neuro)
    other = zotero.add_collection("teaching")
    keys = {
        "amit": zotero.add_item(
            title="Neuro-immune cross-talk in cancer", date="2025-08", creators=[author("Amit")],
            publicationTitle="Nature Reviews Cancer", DOI="10.1038/s41568-025-00831-w",
            collections=[neuro], tags=["neuro-immune", "review"]),
        "pardoll": zotero.add_item(
            title="The blockade of immune checkpoints in cancer immunotherapy", date="2012",
            creators=[author("Pardoll", "Drew M.")], publicationTitle="Nature Reviews Cancer",
            DOI="10.1038/nrc3239", collections=[neuro], tags=["neuro-immune"]),
        "pain": zotero.add_item(
            title="Nociceptors shape tumour immunity", date="2023", creators=[author("Balood")],
            collections=[pain], tags=["pain"]),
        "hallmarks": zotero.add_item(
            title="Hallmarks of cancer: the next generation", date="2011",
            creators=[author("Hanahan", "Douglas")], collections=[other],
            tags=["teaching", "review"]),
        "note": zotero.add_item(itemType="note", note="<p>remember</p>", collections=[neuro]),
    }
    keys.update(neuro=neuro, pain_collection=pain)
    return keys


def test_pull_by_collection_writes_a_parseable_bib_and_a_lock(
        zotero: FakeZotero, library: dict[str, str], tmp_path: Path) -> None:
    me = Machine(zotero, tmp_path)
    result = me.pull("--collection", "neuro-immune", "-o", "references.bib")
    assert result.exit_code == 0, result.stderr
    entries = me.entries()
    assert sorted(entries) == ["amitNeuroImmuneCross2025", "pardollBlockadeImmuneCheckpoints2012"]
    assert entries["pardollBlockadeImmuneCheckpoints2012"]["doi"] == "10.1038/nrc3239"
    assert "2 added, 0 updated, 0 removed" in result.stderr
    assert (me.folder / "refsync.lock").is_file()


def test_verbose_says_what_each_sync_fetched_and_cost(
        zotero: FakeZotero, library: dict[str, str], tmp_path: Path) -> None:
    me = Machine(zotero, tmp_path)

    def pull() -> str:
        done = subprocess.run(
            [sys.executable, "-m", "refsync", "-v", "pull", "--collection", "neuro-immune",
             "-o", "references.bib"], cwd=me.folder, env={**os.environ, **me.env},
            capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stderr

    first = re.search(r"library user:123 at version (\d+): full listing, 4 items and 3 "
                      r"collections fetched, 0 items and 0 collections deleted \(2 requests\)",
                      pull())
    assert first
    assert f"library user:123 at version {first[1]}: unchanged (1 requests)" in pull()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--collection", "neuro-immune", "--subcollections"], {"amit", "pardoll", "pain"}),
        (["--collection", "neuro-immune/pain"], {"pain"}),
        (["--tag", "review"], {"amit", "hallmarks"}),
        (["--tag", "neuro-immune", "--tag", "review"], {"amit"}),
        (["--tag", "pain || teaching"], {"pain", "hallmarks"}),
        (["--tag", "review", "--tag", "-teaching"], {"amit"}),
        (["--collection", "neuro-immune", "--tag", "-review"], {"pardoll"}),
    ],
    ids=["subcollections", "path", "tag", "tags-and", "tags-or", "tags-not", "collection-and-tag"],
)
def test_every_target_kind_selects_what_the_user_asked_for(
        zotero: FakeZotero, library: dict[str, str], tmp_path: Path, args: list[str],
        expected: set[str]) -> None:
    me = Machine(zotero, tmp_path)
    assert me.pull(*args, "-o", "references.bib").exit_code == 0
    dois_or_titles = {e.get("title", "") for e in me.entries().values()}
    wanted = {zotero.items[library[name]]["title"] for name in expected}
    assert {t.replace("{", "").replace("}", "") for t in dois_or_titles} == wanted


def test_unknown_collection_is_one_line_with_closest_names(
        zotero: FakeZotero, library: dict[str, str], tmp_path: Path) -> None:
    result = Machine(zotero, tmp_path).pull("--collection", "neuro-imune")
    assert result.exit_code == 1
    assert "'neuro-immune'" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_second_pull_costs_one_request_and_does_not_touch_the_file(
        zotero: FakeZotero, library: dict[str, str], tmp_path: Path) -> None:
    me = Machine(zotero, tmp_path)
    me.pull("--collection", "neuro-immune")
    os.utime(me.bib, (1_000_000, 1_000_000))
    zotero.requests.clear()
    result = me.pull("--collection", "neuro-immune")
    assert result.exit_code == 0 and "unchanged, not rewritten" in result.stderr
    assert len(zotero.requests) == 1
    assert me.bib.stat().st_mtime == 1_000_000


def test_keys_never_change_when_items_collide_are_renamed_or_deleted(
        zotero: FakeZotero, library: dict[str, str], tmp_path: Path) -> None:
    me = Machine(zotero, tmp_path)
    me.pull("--collection", "neuro-immune")
    first = set(me.entries())
    zotero.update_item(library["pardoll"], title="Immune checkpoint blockade, revisited")
    twin = zotero.add_item(title="The blockade of immune checkpoints in cancer immunotherapy",
                           date="2012", creators=[{"creatorType": "author", "firstName": "D.",
                                                   "lastName": "Pardoll"}],
                           collections=[library["neuro"]])
    assert me.pull("--collection", "neuro-immune").exit_code == 0
    now = me.entries()
    assert first <= set(now)  # nothing renamed
    assert now["pardollBlockadeImmuneCheckpoints2012"]["title"].startswith("Immune checkpoint")
    assert "pardollBlockadeImmuneCheckpoints2012a" in now
    zotero.delete_item(library["pardoll"])
    zotero.update_item(twin, title="Immune checkpoint blockade, revisited")
    assert me.pull("--collection", "neuro-immune").exit_code == 0
    assert "pardollBlockadeImmuneCheckpoints2012" not in me.entries()
    assert "pardollBlockadeImmuneCheckpoints2012a" in me.entries()


def test_two_machines_and_two_fresh_folders_get_identical_files(
        zotero: FakeZotero, library: dict[str, str], tmp_path: Path) -> None:
    # colliding items: the suffix order must not depend on the machine
    for i in range(3):
        zotero.add_item(title="Editorial", date="2020", collections=[library["neuro"]],
                        creators=[author("Smith", "J.")],
                        DOI=f"10.1000/ed.{3 - i}")
    alice = Machine(zotero, tmp_path / "alice")
    bob = Machine(zotero, tmp_path / "bob")
    assert alice.pull("--collection", "neuro-immune").exit_code == 0
    assert bob.pull("--collection", "neuro-immune").exit_code == 0
    assert alice.bib.read_bytes() == bob.bib.read_bytes()
    carol = Machine(zotero, tmp_path / "carol")  # a clone: same folder contents, own cache
    shutil.copy(alice.folder / "refsync.lock", carol.folder / "refsync.lock")
    shutil.copy(alice.bib, carol.bib)
    zotero.add_item(title="Editorial", date="2020", collections=[library["neuro"]],
                    creators=[author("Smith", "J.")],
                    DOI="10.1000/ed.0")
    assert alice.pull("--collection", "neuro-immune").exit_code == 0
    assert carol.pull("--collection", "neuro-immune").exit_code == 0
    assert alice.bib.read_bytes() == carol.bib.read_bytes()


@pytest.mark.parametrize(
    ("fields", "key"),
    [({"citationKey": "Pardoll:2012"}, "Pardoll:2012"),
     ({"extra": "PMID: 22437870\nCitation Key: pardoll2012blockade"}, "pardoll2012blockade"),
     ({"extra": "bibtex: Pardoll2012"}, "Pardoll2012")],
    ids=["native-field", "bbt-6-7-extra", "old-bibtex-extra"],
)
def test_pinned_keys_are_used_as_given(zotero: FakeZotero, library: dict[str, str],
                                       tmp_path: Path, fields: dict[str, str], key: str) -> None:
    zotero.update_item(library["pardoll"], **fields)
    me = Machine(zotero, tmp_path)
    assert me.pull("--collection", "neuro-immune").exit_code == 0
    assert key in me.entries()


def test_hand_edits_are_kept_and_conflicts_stop_with_nothing_written(
        zotero: FakeZotero, library: dict[str, str], tmp_path: Path) -> None:
    me = Machine(zotero, tmp_path)
    me.pull("--collection", "neuro-immune")
    edited = me.bib.read_text().replace("title = {Neuro-immune", "note = {read this first},\n"
                                        "  title = {Neuro-immune")
    me.bib.write_text(edited)
    zotero.update_item(library["pardoll"], volume="12")
    result = me.pull("--collection", "neuro-immune")
    assert result.exit_code == 0 and "1 hand-edited entries kept" in result.stderr
    entries = me.entries()
    assert entries["amitNeuroImmuneCross2025"]["note"] == "read this first"
    assert entries["pardollBlockadeImmuneCheckpoints2012"]["volume"] == "12"

    zotero.update_item(library["amit"], volume="25")
    before = me.bib.read_bytes()
    conflict = me.pull("--collection", "neuro-immune")
    assert conflict.exit_code == 4
    assert "amitNeuroImmuneCross2025" in conflict.stderr
    assert "nothing was written" in conflict.stderr
    assert me.bib.read_bytes() == before

    assert me.pull("--collection", "neuro-immune", "--check").exit_code == 4
    forced = me.pull("--collection", "neuro-immune", "--force")
    assert forced.exit_code == 0
    assert "note" not in me.entries()["amitNeuroImmuneCross2025"]


def test_check_and_dry_run_write_nothing(zotero: FakeZotero, library: dict[str, str],
                                         tmp_path: Path) -> None:
    me = Machine(zotero, tmp_path)
    me.pull("--collection", "neuro-immune")
    assert me.pull("--collection", "neuro-immune", "--check").exit_code == 0
    zotero.update_item(library["amit"], volume="25")
    before = me.bib.read_bytes()
    check = me.pull("--collection", "neuro-immune", "--check")
    assert check.exit_code == 3 and "out of date" in check.stderr
    dry = me.pull("--collection", "neuro-immune", "--dry-run")
    assert dry.exit_code == 0 and "+  volume = {25}," in dry.stdout
    assert me.bib.read_bytes() == before


def dump(database: Path) -> list[str]:
    with sqlite3.connect(database) as db:
        return list(db.iterdump())


def test_failure_mid_pull_leaves_file_and_mirror_as_they_were(
        zotero: FakeZotero, library: dict[str, str], tmp_path: Path) -> None:
    me = Machine(zotero, tmp_path)
    me.pull("--collection", "neuro-immune")
    before = me.bib.read_bytes()
    mirror = next((tmp_path / "cache" / "zotero").glob("*/user-123.sqlite"))
    mirror_before = dump(mirror)
    zotero.update_item(library["amit"], volume="25")
    zotero.add_item(title="New", collections=[library["neuro"]])
    (me.folder / "refsync.toml").write_text("[zotero]\nretries = 1\n")
    zotero.fail_next(500, times=2, after=1)  # the first request passes, the sync dies after it
    result = me.pull("--collection", "neuro-immune")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert me.bib.read_bytes() == before
    assert dump(mirror) == mirror_before
    assert me.pull("--collection", "neuro-immune").exit_code == 0
    assert me.entries()["amitNeuroImmuneCross2025"]["volume"] == "25"


def test_group_library_and_bad_key(zotero: FakeZotero, tmp_path: Path) -> None:
    group = zotero.library("group:456")
    coll = group.add_collection("lab")
    group.add_item(title="Shared paper", date="2024", collections=[coll],
                   creators=[{"creatorType": "author", "firstName": "L.", "lastName": "Lab"}])
    me = Machine(zotero, tmp_path, library="group:456")
    assert me.pull("--collection", "lab").exit_code == 0
    assert list(me.entries()) == ["labSharedPaper2024"]
    me.env["ZOTERO_API_KEY"] = "NotTheKey"
    shutil.rmtree(tmp_path / "cache")
    refused = me.pull("--collection", "lab")
    assert refused.exit_code == 1 and "NotTheKey" not in refused.stderr


def test_local_api(zotero: FakeZotero, library: dict[str, str], tmp_path: Path) -> None:
    me = Machine(zotero, tmp_path)
    # where the local API is, is the user's own setting (a project file may not send a key)
    user_config_file().parent.mkdir(parents=True, exist_ok=True)
    user_config_file().write_text(f'[zotero]\nlocal_url = "{zotero.url}/api"\n')
    (me.folder / "refsync.toml").write_text('[[target]]\ncollection = "neuro-immune"\n')
    del me.env["ZOTERO_LIBRARY"], me.env["ZOTERO_API_KEY"]
    result = me.pull("--local")
    assert result.exit_code == 0, result.stderr
    assert len(me.entries()) == 2
    assert all(r.path.startswith("/api/") for r in zotero.requests)


def test_snapshot_example_pulls_offline_into_a_stable_file(tmp_path: Path) -> None:
    example = EXAMPLES / "neuro-immune"
    folder = tmp_path / "neuro-immune"
    shutil.copytree(example, folder, ignore=shutil.ignore_patterns("references.bib", "*.lock"))
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        first = CliRunner().invoke(cli, ["pull"])
        text = (folder / "references.bib").read_text()
        second = CliRunner().invoke(cli, ["pull"])
        dedupe = CliRunner().invoke(cli, ["dedupe", "--snapshot", "library.json", "--json"])
    finally:
        os.chdir(cwd)
    assert first.exit_code == 0 and second.exit_code == 0, first.stderr
    entries = bibtexparser.loads(text).entries
    assert len(entries) == 6  # the review and its five references; not the duplicate
    assert {e.get("doi") for e in entries} >= {"10.1038/s41568-025-00831-w", "10.1038/nrc3239",
                                               "10.1084/jem.2.1.1"}
    assert (folder / "references.bib").read_text() == text
    groups = json.loads(dedupe.stdout)["groups"]  # the Pardoll review was saved twice
    assert [sorted(g["items"]) for g in groups] == [["PARDDUP2", "PARDLL22"]]


def test_entries_are_rendered_again_only_after_a_writer_change(
        zotero: FakeZotero, library: dict[str, str], tmp_path: Path) -> None:
    """Unchanged items keep the text this refsync wrote; after an upgrade (another writer in
    the lock) everything is rendered afresh, so old output never lingers."""
    me = Machine(zotero, tmp_path)
    me.pull("--collection", "neuro-immune")
    lock_path = me.folder / "refsync.lock"
    old = me.bib.read_text()
    # what an older refsync might have written for the same item version
    older = old.replace("journal = {Nature Reviews Cancer}", "journal = {Nat Rev Cancer}", 1)
    lock = json.loads(lock_path.read_text())
    entry = lock["targets"]["references.bib"]["amitNeuroImmuneCross2025"]
    block = split_bib(older, "x").entries["amitNeuroImmuneCross2025"]
    entry["hash"] = entry_hash(block)
    me.bib.write_text(older)
    lock_path.write_text(json.dumps(lock))
    assert me.pull("--collection", "neuro-immune").exit_code == 0
    assert me.bib.read_text() == older  # same writer, same item version: reused as written
    lock = json.loads(lock_path.read_text())
    lock["writers"]["references.bib"] = "refsync 0.0.1 bibtex"
    lock_path.write_text(json.dumps(lock))
    assert me.pull("--collection", "neuro-immune").exit_code == 0
    assert me.bib.read_text() == old


def test_csljson_target_reports_changes_and_keeps_one_item_per_line(
        zotero: FakeZotero, library: dict[str, str], tmp_path: Path) -> None:
    me = Machine(zotero, tmp_path)
    out = me.folder / "references.json"
    first = me.pull("--collection", "neuro-immune", "--format", "csljson", "-o", out.name)
    assert first.exit_code == 0, first.output
    items = json.loads(out.read_text())
    assert out.read_text().count("\n") == len(items) + 2  # "[", one line per item, "]"
    zotero.update_item(library["amit"], volume="25")
    second = me.pull("--collection", "neuro-immune", "--format", "csljson", "-o", out.name)
    assert "0 added, 1 updated, 0 removed" in second.stderr
    assert [i["volume"] for i in json.loads(out.read_text()) if i.get("volume")] == ["25"]


def test_a_pull_does_not_load_the_crossref_client(tmp_path: Path) -> None:
    """Every command makes the plugins' resolvers; importing habanero for them cost each
    `refsync pull` (a CI step, often) 40 to 90 ms of start-up for nothing."""
    folder = tmp_path / "neuro-immune"
    shutil.copytree(EXAMPLES / "neuro-immune", folder)
    script = ("import sys\nfrom refsync.cli import cli\n"
              "try:\n    cli(['pull', '--check'])\nexcept SystemExit:\n    pass\n"
              "print('habanero' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], cwd=folder, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stderr
