"""The SQLite mirror and its sync: request budgets, blind spots, atomicity."""

from __future__ import annotations

import dataclasses
import math
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.zotero import API_KEY, FakeZotero

from refsync.config import Settings
from refsync.errors import RefsyncError, ZoteroError
from refsync.model import Collection
from refsync.pull.targets import collection_keys
from refsync.zotero.client import ZoteroClient
from refsync.zotero.mirror import Mirror
from refsync.zotero.sync import sync_mirror


@pytest.fixture
def client(zotero_settings: Settings) -> ZoteroClient:
    return ZoteroClient(zotero_settings.zotero, API_KEY, sleep=lambda s: None, base_delay=0.01)


@pytest.fixture
def mirror(zotero_settings: Settings) -> Iterator[Mirror]:
    with Mirror.open(zotero_settings.cache_dir, zotero_settings.zotero.url,
                     "user:123") as opened:
        yield opened


def dump(path: Path) -> list[tuple[object, ...]]:
    db = sqlite3.connect(path)
    rows = [(t, *r) for t in ("meta", "items", "collections", "memberships")
            for r in db.execute(f"SELECT * FROM {t} ORDER BY 1, 2")]
    db.close()
    return rows


def test_mirror_lives_in_the_cache_folder_by_server_and_library(zotero_settings: Settings,
                                                                mirror: Mirror) -> None:
    host = zotero_settings.zotero.url.removeprefix("http://").replace(":", "-")
    assert mirror.path == zotero_settings.cache_dir / "zotero" / host / "user-123.sqlite"
    assert mirror.version is None and mirror.items() == []
    with Mirror.open(zotero_settings.cache_dir, "https://api.zotero.org/", "user:123") as web:
        assert web.path.parent.name == "api.zotero.org" and web.path.name == "user-123.sqlite"


def test_a_second_process_waits_for_the_library_then_says_who_holds_it(
        zotero_settings: Settings, mirror: Mirror, caplog: pytest.LogCaptureFixture) -> None:
    started = time.monotonic()
    with pytest.raises(RefsyncError, match=f"process {os.getpid()}") as caught:
        Mirror.open(zotero_settings.cache_dir, zotero_settings.zotero.url, "user:123",
                    wait=0.3)
    assert 0.3 <= time.monotonic() - started < 2
    assert "waiting for another refsync" in caplog.text
    assert "try again" in (caught.value.hint or "")
    mirror.close()
    with Mirror.open(zotero_settings.cache_dir, zotero_settings.zotero.url, "user:123",
                     wait=0):
        pass  # free once the holder closed


def test_unreadable_mirror_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(RefsyncError, match="broken.sqlite") as caught:
        Mirror(path, "user:123")
    assert "delete the file" in (caught.value.hint or "")


def test_mirror_of_another_layout_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.executescript("CREATE TABLE items (key TEXT); PRAGMA user_version = 99;")
    old.close()
    with Mirror(path, "user:123") as mirror:
        assert mirror.version is None and mirror.items() == []


@pytest.mark.parametrize("n", [0, 1, 100, 250])
def test_cold_sync_pages_the_library_once(zotero: FakeZotero, client: ZoteroClient,
                                          mirror: Mirror, n: int) -> None:
    coll = zotero.add_collection("Thesis")
    for i in range(n):
        zotero.add_item(title=f"T{i}", collections=[coll], tags=["cite"])
    zotero.add_item(itemType="note", note="not a reference")
    stats = sync_mirror(client, mirror)
    assert stats.requests <= max(math.ceil(n / 100), 1) + 3
    assert stats.requests == max(math.ceil(n / 100), 1) + 1  # items pages + collections
    assert stats.full and stats.items_updated == n and stats.version == zotero.version
    refs = mirror.items()
    assert len(refs) == n and mirror.version == zotero.version
    if n:
        assert refs[0].collections == (coll,) and refs[0].tags == ("cite",)
        assert refs[0].library == "user:123" and refs[0].version > 1
    assert mirror.collections() == [Collection(coll, "Thesis", "", 1)]


def test_unchanged_library_costs_one_request(zotero: FakeZotero, client: ZoteroClient,
                                             mirror: Mirror) -> None:
    zotero.add_item(title="A")
    sync_mirror(client, mirror)
    zotero.requests.clear()
    stats = sync_mirror(client, mirror)
    assert stats.unchanged and stats.requests == 1
    assert zotero.requests[0].headers["if-modified-since-version"] == str(zotero.version)


@pytest.mark.parametrize("k", [1, 100, 150, 250])
def test_k_changes_cost_one_plus_pages_plus_one(zotero: FakeZotero, client: ZoteroClient,
                                                mirror: Mirror, k: int) -> None:
    keys = [zotero.add_item(title=f"T{i}") for i in range(300)]
    sync_mirror(client, mirror)
    for key in keys[:k]:
        zotero.update_item(key, title="changed")
    stats = sync_mirror(client, mirror)
    assert stats.requests <= 1 + math.ceil(k / 100) + 1
    assert stats.items_updated == k and not stats.full
    assert sum(r.title == "changed" for r in mirror.items()) == k


def test_deleted_items_leave_the_mirror(zotero: FakeZotero, client: ZoteroClient,
                                        mirror: Mirror) -> None:
    keep, gone = zotero.add_item(title="Keep"), zotero.add_item(title="Gone")
    sync_mirror(client, mirror)
    zotero.delete_item(gone)
    stats = sync_mirror(client, mirror)
    assert stats.items_deleted == 1
    assert [r.key for r in mirror.items()] == [keep] and mirror.item(gone) is None


def test_delete_log_too_old_falls_back_to_a_full_sync(zotero: FakeZotero, client: ZoteroClient,
                                                      mirror: Mirror) -> None:
    keep, gone = zotero.add_item(title="Keep"), zotero.add_item(title="Gone")
    sync_mirror(client, mirror)
    zotero.delete_item(gone)
    zotero.fail_next(409, path="/deleted", body="'since' is older than the delete log")
    stats = sync_mirror(client, mirror)
    assert stats.full and stats.items_deleted == 1
    assert [r.key for r in mirror.items()] == [keep]


def test_trashed_items_are_kept_but_flagged(zotero: FakeZotero, client: ZoteroClient,
                                            mirror: Mirror) -> None:
    key = zotero.add_item(title="A")
    sync_mirror(client, mirror)
    zotero.trash(key)
    sync_mirror(client, mirror)
    assert mirror.items() == []
    trashed = mirror.items(include_trashed=True)
    assert [r.key for r in trashed] == [key] and trashed[0].deleted
    zotero.restore(key)
    sync_mirror(client, mirror)
    assert [r.key for r in mirror.items()] == [key]


def test_deleted_collection_drops_membership_without_item_changes(
        zotero: FakeZotero, client: ZoteroClient, mirror: Mirror) -> None:
    coll = zotero.add_collection("C")
    sub = zotero.add_collection("S", parent=coll)
    other = zotero.add_collection("Other")
    key = zotero.add_item(title="A", collections=[coll, other])
    nested = zotero.add_item(title="B", collections=[sub])
    sync_mirror(client, mirror)
    tree = collection_keys(coll, mirror.collections(), deep=True)
    assert {r.key for r in mirror.items_in(tree)} == {
        key, nested}
    zotero.delete_collection(coll)
    stats = sync_mirror(client, mirror)
    assert stats.items_updated == 0 and stats.collections_deleted == 2
    assert mirror.items_in([coll, sub]) == []
    assert {r.key: r.collections for r in mirror.items()} == {key: (other,), nested: ()}
    assert [c.key for c in mirror.collections()] == [other]


def test_renamed_collection(zotero: FakeZotero, client: ZoteroClient, mirror: Mirror) -> None:
    coll = zotero.add_collection("Draft")
    sync_mirror(client, mirror)
    zotero.rename_collection(coll, "Thesis")
    stats = sync_mirror(client, mirror)
    assert stats.collections_updated == 1 and stats.requests == 3
    assert [c.name for c in mirror.collections()] == ["Thesis"]


def test_removed_from_collection(zotero: FakeZotero, client: ZoteroClient,
                                 mirror: Mirror) -> None:
    coll = zotero.add_collection("C")
    a = zotero.add_item(title="A", collections=[coll])
    b = zotero.add_item(title="B", collections=[coll])
    sync_mirror(client, mirror)
    zotero.remove_from_collection(a, coll)
    sync_mirror(client, mirror)
    assert [r.key for r in mirror.items_in([coll])] == [b]


def test_tags_follow_the_library(zotero: FakeZotero, client: ZoteroClient,
                                 mirror: Mirror) -> None:
    key = zotero.add_item(title="A", tags=["draft"])
    sync_mirror(client, mirror)
    zotero.untag(key, "draft")
    zotero.tag(key, "cite")
    sync_mirror(client, mirror)
    assert mirror.item(key) is not None and mirror.item(key).tags == ("cite",)  # type: ignore


def test_failed_sync_leaves_the_mirror_as_it_was(zotero: FakeZotero, client: ZoteroClient,
                                                 mirror: Mirror) -> None:
    coll = zotero.add_collection("C")
    keys = [zotero.add_item(title=f"T{i}", collections=[coll]) for i in range(150)]
    sync_mirror(client, mirror)
    before = dump(mirror.path)
    for key in keys[:120]:
        zotero.update_item(key, title="changed")
    zotero.delete_collection(coll)
    zotero.fail_next(500, times=4, path="/deleted")  # the last step fails, after 3 retries
    with pytest.raises(ZoteroError):
        sync_mirror(client, mirror)
    assert dump(mirror.path) == before
    stats = sync_mirror(client, mirror)
    assert stats.items_updated == 120 and stats.collections_deleted == 1


def test_parallel_pages_survive_a_retry_and_fail_cleanly(zotero: FakeZotero,
                                                         client: ZoteroClient,
                                                         mirror: Mirror) -> None:
    for i in range(450):
        zotero.add_item(title=f"T{i}")
    zotero.fail_next(503, retry_after=0.01, after=2, path="/items")
    stats = sync_mirror(client, mirror)
    assert len(mirror.items()) == 450 and stats.requests == 5 + 1 + 1
    for i in range(450):
        zotero.add_item(title=f"New {i}")
    zotero.fail_next(400, after=2, path="/items", body="Invalid 'start' value")
    with pytest.raises(ZoteroError, match="400 Invalid 'start' value"):
        sync_mirror(client, mirror)
    assert len(mirror.items()) == 450 and mirror.version == 450


def test_library_changing_mid_sync_restarts(zotero: FakeZotero, client: ZoteroClient,
                                            mirror: Mirror) -> None:
    keys = [zotero.add_item(title=f"T{i}") for i in range(250)]
    zotero.schedule(1, lambda: zotero.update_item(keys[0], title="edited meanwhile"))
    stats = sync_mirror(client, mirror)
    assert stats.restarts == 1 and stats.version == zotero.version
    assert mirror.item(keys[0]).title == "edited meanwhile"  # type: ignore[union-attr]
    assert len(mirror.items()) == 250


def test_library_that_never_settles_fails_the_sync(zotero: FakeZotero, client: ZoteroClient,
                                                    mirror: Mirror) -> None:
    keys = [zotero.add_item(title=f"T{i}") for i in range(150)]

    def keep_editing() -> None:
        zotero.update_item(keys[0], title="again")
        zotero.schedule(1, keep_editing)

    zotero.schedule(1, keep_editing)
    with pytest.raises(ZoteroError, match="kept changing"):
        sync_mirror(client, mirror)
    assert mirror.version is None and mirror.items() == []


def test_group_library(zotero: FakeZotero, zotero_settings: Settings) -> None:
    group = zotero.library("group:456")
    group.add_item(title="Group paper")
    client = ZoteroClient(zotero_settings.zotero, API_KEY, library="group:456")
    with Mirror.open(zotero_settings.cache_dir, zotero_settings.zotero.url,
                     "group:456") as mirror:
        sync_mirror(client, mirror)
        assert [(r.title, r.library) for r in mirror.items()] == [("Group paper", "group:456")]
        with pytest.raises(ValueError, match="group:456"):
            sync_mirror(ZoteroClient(zotero_settings.zotero, API_KEY), mirror)


def test_local_api_compares_full_listings(zotero: FakeZotero, zotero_settings: Settings) -> None:
    settings = dataclasses.replace(zotero_settings.zotero, local=True, library="")
    client = ZoteroClient(settings, None)
    coll = zotero.add_collection("C")
    keys = [zotero.add_item(title=f"T{i}", collections=[coll]) for i in range(150)]
    with Mirror.open(zotero_settings.cache_dir, client.url, "user:0") as mirror:
        assert mirror.path.name == "user-0.sqlite" and mirror.path.parent.name.endswith("api")
        first = sync_mirror(client, mirror)
        assert first.requests == 2 and len(mirror.items()) == 150
        zotero.delete_item(keys[0])
        zotero.delete_collection(coll)
        again = sync_mirror(client, mirror)
        assert again.items_deleted == 1 and again.collections_deleted == 1
        assert len(mirror.items()) == 149 and mirror.items_in([coll]) == []
        assert all("deleted" not in r.path for r in zotero.requests)


def test_the_mirror_and_its_folders_are_the_users_alone(tmp_path: Path) -> None:
    previous = os.umask(0o022)  # a shared machine's default
    try:
        with Mirror.open(tmp_path / "cache", "https://api.zotero.org", "user:123") as mirror:
            mirror_path = mirror.path
    finally:
        os.umask(previous)
    assert mirror_path.stat().st_mode & 0o777 == 0o600
    for folder in (mirror_path.parent, mirror_path.parent.parent, tmp_path / "cache"):
        assert folder.stat().st_mode & 0o777 == 0o700, folder
    assert (mirror_path.with_suffix(".lock").stat().st_mode & 0o777) == 0o600
