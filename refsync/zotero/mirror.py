"""A local SQLite mirror per Zotero library: what pull, dedupe and add read instead of the
network. :mod:`refsync.zotero.sync` keeps it current; every sync lands in one transaction.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from refsync.errors import RefsyncError, cache_unusable
from refsync.model import Collection, Reference
from refsync.util.filelock import FileLock, LockTimeout
from refsync.util.private import private_file

__all__ = ["LOCK_WAIT", "Changes", "LibraryView", "Mirror", "library_cache"]

_log = logging.getLogger("refsync")
#: how long a second refsync waits for the first to finish with a library, in seconds
LOCK_WAIT = 300.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    key TEXT PRIMARY KEY, version INTEGER NOT NULL, trashed INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS collections (
    key TEXT PRIMARY KEY, version INTEGER NOT NULL, name TEXT NOT NULL, parent TEXT NOT NULL,
    trashed INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS memberships (
    item TEXT NOT NULL, collection TEXT NOT NULL, PRIMARY KEY (collection, item)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS memberships_by_item ON memberships (item);
"""
#: version of the table layout above (PRAGMA user_version)
_LAYOUT = 1
_DROP = "".join(f"DROP TABLE IF EXISTS {t};" for t in ("meta", "items", "collections",
                                                        "memberships"))


class LibraryView(Protocol):
    """What pull reads from a library, whether a synced :class:`Mirror` or a snapshot file."""

    @property
    def library(self) -> str: ...

    @property
    def version(self) -> int | None: ...

    def items(self) -> list[Reference]:
        """Top-level regular items not in the trash."""
        ...

    def collections(self) -> list[Collection]:
        """Collections not in the trash."""
        ...

    def items_in(self, collection_keys: Iterable[str]) -> list[Reference]:
        """Items directly in any of the collections (``select.collection_keys`` walks the tree)."""
        ...


@dataclass
class Changes:
    """Everything one sync learnt, written by :meth:`Mirror.apply` at once."""

    version: int
    full: bool
    items: list[dict[str, Any]] = field(default_factory=list)
    collections: list[dict[str, Any]] = field(default_factory=list)
    deleted_items: list[str] = field(default_factory=list)
    deleted_collections: list[str] = field(default_factory=list)


class Mirror:
    """The SQLite mirror of one library; every change lands in a single transaction.

    :param path: the database file (created with its folder).
    :param library: ``'user:ID'``/``'group:ID'``; stamped on every :class:`Reference`.
    """

    def __init__(self, path: Path, library: str, *, lock: FileLock | None = None) -> None:
        self.path = path
        self._library = library
        self._lock = lock
        try:  # transactions are explicit
            self._db = sqlite3.connect(private_file(path), isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise cache_unusable(path, exc) from exc
        try:
            # a mirror is a cache: one from another layout is dropped, the next sync refills it
            if self._db.execute("PRAGMA user_version").fetchone()[0] != _LAYOUT:
                self._db.executescript(_DROP)
            self._db.executescript(_SCHEMA + f"PRAGMA user_version = {_LAYOUT};")
        except sqlite3.DatabaseError as exc:
            self.close()
            raise RefsyncError(f"The Zotero mirror '{path}' is unreadable ({exc}).",
                               hint="delete the file; the next pull rebuilds it") from exc

    @classmethod
    def open(cls, cache_dir: Path, server: str, library: str, *,
             wait: float = LOCK_WAIT) -> Mirror:
        """The mirror of ``library`` on ``server`` (see :func:`library_cache`), held by this
        process alone until closed: two refsyncs on one library never interleave a sync or a
        write; the second waits up to ``wait`` seconds, saying so.

        :raises RefsyncError: when the other one holds the library for longer.
        """
        stem = library_cache(cache_dir, server, library)

        def waiting(holder: str) -> None:
            _log.warning("waiting for another refsync (%s) to finish with library '%s'.",
                         holder, library)

        lock = FileLock(stem.with_suffix(".lock"), wait=wait, on_wait=waiting)
        try:
            lock.acquire()
        except OSError as exc:
            raise cache_unusable(lock.path, exc) from exc
        except LockTimeout as exc:
            raise RefsyncError(
                f"Another refsync ({exc.holder}) has been using library '{library}' for "
                f"{wait:.0f} s.", hint="try again when it has finished") from None
        try:
            return cls(stem.with_suffix(".sqlite"), library, lock=lock)
        except BaseException:
            lock.release()
            raise

    def close(self) -> None:
        self._db.close()
        if self._lock is not None:
            self._lock.release()

    def __enter__(self) -> Mirror:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def library(self) -> str:
        return self._library

    @property
    def version(self) -> int | None:
        """The library version the mirror reflects; ``None`` before the first sync."""
        row = self._db.execute("SELECT value FROM meta WHERE name = 'library_version'").fetchone()
        return int(row[0]) if row else None

    # ---------------------------------------------------------------- queries

    def items(self, *, include_trashed: bool = False) -> list[Reference]:
        """Every regular item, by key; trashed ones (``deleted=True``) only when asked."""
        return self._references("SELECT data FROM items" +
                                ("" if include_trashed else " WHERE trashed = 0") +
                                " ORDER BY key", ())

    def items_in(self, collection_keys: Iterable[str], *,
                 include_trashed: bool = False) -> list[Reference]:
        """Items directly in any of ``collection_keys``, read through the membership index."""
        keys = sorted(set(collection_keys))
        marks = ",".join("?" * len(keys))
        return self._references(
            "SELECT data FROM items WHERE key IN (SELECT m.item FROM memberships m JOIN "
            f"collections c ON c.key = m.collection AND c.trashed = 0 WHERE m.collection IN "
            f"({marks}))" + ("" if include_trashed else " AND trashed = 0") + " ORDER BY key",
            keys)

    def item(self, key: str) -> Reference | None:
        """One item by key, trashed or not."""
        found = self._references("SELECT data FROM items WHERE key = ?", (key,))
        return found[0] if found else None

    def collections(self) -> list[Collection]:
        """Collections not in the trash, by key."""
        rows = self._db.execute("SELECT key, name, parent, version FROM collections "
                                "WHERE trashed = 0 ORDER BY key")
        return [Collection(*row) for row in rows]

    def _references(self, sql: str, params: Iterable[Any]) -> list[Reference]:
        live = {c.key for c in self.collections()}
        refs = []
        for (raw,) in self._db.execute(sql, tuple(params)):
            data = json.loads(raw)
            # deleting a collection does not bump its items' versions (dataserver), so
            # membership is filtered against the collections that still exist
            data["collections"] = [c for c in data.get("collections", ()) if c in live]
            refs.append(Reference.from_zotero(data, library=self._library))
        return refs

    # ---------------------------------------------------------------- writing

    def apply(self, changes: Changes) -> tuple[int, int]:
        """Write a whole sync's changes in one transaction; returns (items, collections) dropped."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            if changes.full:
                fresh = {o["key"] for o in changes.items}
                gone_items = [k for (k,) in db.execute("SELECT key FROM items") if k not in fresh]
                fresh = {o["key"] for o in changes.collections}
                gone_colls = [k for (k,) in db.execute("SELECT key FROM collections")
                              if k not in fresh]
                for table in ("items", "collections", "memberships"):
                    db.execute(f"DELETE FROM {table}")  # a full listing replaces everything
            else:
                gone_items = _existing(db, "items", changes.deleted_items)
                gone_colls = _existing(db, "collections", changes.deleted_collections)
            db.executemany("DELETE FROM items WHERE key = ?", [(k,) for k in gone_items])
            db.executemany("DELETE FROM memberships WHERE item = ?", [(k,) for k in gone_items])
            db.executemany("DELETE FROM collections WHERE key = ?", [(k,) for k in gone_colls])
            db.executemany("DELETE FROM memberships WHERE collection = ?",
                           [(k,) for k in gone_colls])
            db.executemany("INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?)", [
                (d["key"], int(d.get("version", 0)), int(bool(d.get("deleted"))), json.dumps(d))
                for d in changes.items])
            db.executemany("DELETE FROM memberships WHERE item = ?",
                           [(d["key"],) for d in changes.items])
            db.executemany("INSERT OR IGNORE INTO memberships VALUES (?, ?)", [
                (d["key"], c) for d in changes.items for c in d.get("collections", ())])
            db.executemany("INSERT OR REPLACE INTO collections VALUES (?, ?, ?, ?, ?)", [
                (d["key"], int(d.get("version", 0)), str(d.get("name", "")),
                 str(d.get("parentCollection") or ""), int(bool(d.get("deleted"))))
                for d in changes.collections])
            db.execute("INSERT OR REPLACE INTO meta VALUES ('library_version', ?)",
                       (str(changes.version),))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('library', ?)", (self._library,))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return len(gone_items), len(gone_colls)


def _existing(db: sqlite3.Connection, table: str, keys: list[str]) -> list[str]:
    return [k for k in keys if db.execute(f"SELECT 1 FROM {table} WHERE key = ?", (k,)).fetchone()]


def library_cache(cache_dir: Path, server: str, library: str) -> Path:
    """Where refsync keeps what it knows of one library on one server, without a suffix.

    Keyed by server as well as library: ``user:123`` on a test server, a self-hosted
    dataserver and zotero.org are three libraries, and Zotero desktop's local API numbers its
    versions apart from the Web API's (Zotero 10 server_localAPI.js). ``:`` breaks paths on
    Windows, so it is spelt ``-``.
    """
    place = re.sub(r"^[a-z]+://", "", server.lower()).rstrip("/")
    folder = re.sub(r"[^a-z0-9.]+", "-", place).strip("-.") or "zotero"
    return cache_dir / "zotero" / folder / library.replace(":", "-")
