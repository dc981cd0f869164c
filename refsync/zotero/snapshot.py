"""A read-only library from a snapshot file, for pulls without network or API key (CI, archives).

The document is ``{"library": "user:0", "version": N, "collections": [...], "items": [...]}``
holding Zotero API objects (or just their ``data``).
Satisfies :class:`refsync.zotero.mirror.LibraryView`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from refsync.errors import RefsyncError
from refsync.model import Collection, Reference
from refsync.model.schema import NOT_REFERENCES

__all__ = ["SnapshotLibrary"]

#: item types that are not bibliographic entries (children and standalone notes)


class SnapshotLibrary:
    """The library as recorded in a snapshot document; trash and child items are left out."""

    def __init__(self, document: Mapping[str, Any], *, source: str = "snapshot") -> None:
        try:
            self._library = str(document.get("library") or "")
            self._version = int(document.get("version") or 0)
            colls = [Collection.from_zotero(dict(o)) for o in document.get("collections", ())
                     if not _data(o).get("deleted")]
            items = [_data(o) for o in document.get("items", ())]
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise RefsyncError(f"Snapshot '{source}' is not a Zotero library snapshot ({exc}).",
                               hint="expected {\"library\", \"version\", \"collections\", "
                                    "\"items\"} with Zotero API objects") from exc
        self._collections = sorted(colls, key=lambda c: c.key)
        live = {c.key for c in colls}
        self._items = sorted(
            (replace(ref, collections=tuple(c for c in ref.collections if c in live))
             for ref in (Reference.from_zotero(d, library=self._library) for d in items
                         if not d.get("deleted") and not d.get("parentItem")
                         and d.get("itemType") not in NOT_REFERENCES)),
            key=lambda r: r.key,
        )

    @classmethod
    def load(cls, path: Path) -> SnapshotLibrary:
        """Read a snapshot file.

        :raises RefsyncError: naming the file when it is missing or not a snapshot.
        """
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise RefsyncError(f"Cannot read snapshot '{path}' ({exc.strerror}).") from exc
        except ValueError as exc:
            raise RefsyncError(f"Snapshot '{path}' is not valid JSON ({exc}).") from exc
        if not isinstance(document, Mapping):
            raise RefsyncError(f"Snapshot '{path}' is not a Zotero library snapshot.")
        return cls(document, source=str(path))

    @property
    def library(self) -> str:
        return self._library

    @property
    def version(self) -> int | None:
        return self._version

    def items(self) -> list[Reference]:
        return list(self._items)

    def collections(self) -> list[Collection]:
        return list(self._collections)

    def items_in(self, collection_keys: Iterable[str]) -> list[Reference]:
        wanted = set(collection_keys)
        return [ref for ref in self._items if wanted.intersection(ref.collections)]


def _data(obj: Any) -> dict[str, Any]:
    """Accept a full API object or its ``data``."""
    data = obj.get("data", obj) if isinstance(obj, Mapping) else None
    if not isinstance(data, Mapping) or "key" not in data:
        raise ValueError("every object needs a 'key'")
    return dict(data)
