"""Writes announced before they are sent, so a crash or timeout never leads to a second copy.

Every new item gets its Zotero key on this machine (``refsync.add.new_item_key``; the Web API
accepts client keys with ``version: 0``, and a repeat of a create that already landed then fails
with 412 instead of creating a twin). The key and payload are stored and fsync'd here first;
the next run reconciles them with the library before it sends anything else. Adapter for the
local file system; the add use case sees it as ``refsync.add.Journal``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from refsync.errors import cache_unusable
from refsync.util.private import private_file
from refsync.zotero.mirror import library_cache

__all__ = ["WriteJournal"]


class WriteJournal:
    """Pending creates of one library, keyed by the client-chosen item key."""

    def __init__(self, path: Path) -> None:
        try:
            self._db = sqlite3.connect(private_file(path), isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise cache_unusable(path, exc) from exc
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = FULL")  # a recorded write must survive a crash
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS pending (key TEXT PRIMARY KEY, payload TEXT NOT NULL)"
        )

    @classmethod
    def open(cls, cache_dir: Path, server: str, library: str) -> WriteJournal:
        """The journal beside the library's mirror; open it while the mirror is open, whose
        lock keeps a second refsync from reading or settling it meanwhile."""
        return cls(library_cache(cache_dir, server, library).with_suffix(".pending.sqlite"))

    def record(self, payloads: Iterable[Mapping[str, Any]]) -> None:
        rows = [(p["key"], json.dumps(p, sort_keys=True)) for p in payloads]
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT OR REPLACE INTO pending VALUES (?, ?)", rows)

    def pending(self) -> list[dict[str, Any]]:
        return [json.loads(row[0]) for row in
                self._db.execute("SELECT payload FROM pending ORDER BY rowid")]

    def settle(self, keys: Iterable[str]) -> None:
        """Forget writes that the library now holds (or that the server refused for good)."""
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("DELETE FROM pending WHERE key = ?", [(k,) for k in keys])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> WriteJournal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
