"""SnapshotLibrary: a library read from a snapshot file answers like the synced mirror."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes.zotero import API_KEY, FakeZotero

from refsync.config import Settings
from refsync.errors import RefsyncError
from refsync.pull.targets import collection_keys
from refsync.zotero.client import ZoteroClient
from refsync.zotero.mirror import LibraryView, Mirror
from refsync.zotero.snapshot import SnapshotLibrary
from refsync.zotero.sync import sync_mirror


@pytest.fixture
def library(zotero: FakeZotero) -> dict[str, str]:
    thesis = zotero.add_collection("Thesis")
    chapter = zotero.add_collection("Chapter 1", parent=thesis)
    gone = zotero.add_collection("Gone")
    keys = {
        "thesis": thesis, "chapter": chapter,
        "paper": zotero.add_item(title="Paper", collections=[thesis, gone], tags=["cite"]),
        "nested": zotero.add_item(title="Nested", collections=[chapter]),
        "trashed": zotero.add_item(title="Trashed", collections=[thesis], deleted=True),
    }
    zotero.add_item(itemType="note", note="standalone note")
    zotero.add_item(itemType="attachment", parentItem=keys["paper"], title="PDF")
    zotero.delete_collection(gone)
    return keys


def views(zotero: FakeZotero, settings: Settings, tmp_path: Path) -> list[LibraryView]:
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(zotero.to_snapshot()))
    mirror = Mirror.open(settings.cache_dir, settings.zotero.url, "user:123")
    sync_mirror(ZoteroClient(settings.zotero, API_KEY), mirror)
    return [SnapshotLibrary.load(path), mirror]


def test_snapshot_answers_like_the_mirror(zotero: FakeZotero, zotero_settings: Settings,
                                          tmp_path: Path, library: dict[str, str]) -> None:
    snapshot, mirror = views(zotero, zotero_settings, tmp_path)
    assert snapshot.library == mirror.library == "user:123"
    assert snapshot.version == mirror.version == zotero.version
    assert snapshot.items() == mirror.items()
    assert snapshot.collections() == mirror.collections()
    tree = collection_keys(library["thesis"], snapshot.collections(), deep=True)
    assert snapshot.items_in(tree) == mirror.items_in(tree)
    assert {r.title for r in snapshot.items_in(tree)} == {"Nested", "Paper"}


def test_snapshot_leaves_out_trash_children_notes_and_dead_collections(
        zotero: FakeZotero, library: dict[str, str]) -> None:
    snapshot = SnapshotLibrary(zotero.to_snapshot())
    refs = {r.title: r for r in snapshot.items()}
    assert set(refs) == {"Paper", "Nested"}
    assert refs["Paper"].collections == (library["thesis"],)
    assert refs["Paper"].tags == ("cite",) and refs["Paper"].version > 0
    assert {c.name for c in snapshot.collections()} == {"Thesis", "Chapter 1"}


def test_snapshot_accepts_bare_data_objects() -> None:
    snapshot = SnapshotLibrary({
        "library": "user:0", "version": 7,
        "collections": [{"key": "AAAA2222", "name": "C", "parentCollection": False}],
        "items": [{"key": "BBBB3333", "version": 5, "itemType": "book", "title": "T",
                   "collections": ["AAAA2222"]}],
    })
    assert [r.key for r in snapshot.items_in(["AAAA2222"])] == ["BBBB3333"]
    assert snapshot.items()[0].library == "user:0" and snapshot.version == 7


@pytest.mark.parametrize(("content", "message"), [
    (None, "Cannot read snapshot"),
    ("{not json", "is not valid JSON"),
    ("[]", "is not a Zotero library snapshot"),
    ('{"items": [{"title": "no key"}]}', "is not a Zotero library snapshot"),
], ids=["missing", "bad-json", "list", "no-key"])
def test_unreadable_snapshots_name_the_file(tmp_path: Path, content: str | None,
                                            message: str) -> None:
    path = tmp_path / "snap.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(RefsyncError, match=message) as caught:
        SnapshotLibrary.load(path)
    assert "snap.json" in caught.value.message
