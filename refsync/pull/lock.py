"""``refsync.lock``: the citation keys a manuscript has given out, and what each .bib held when
refsync last wrote it.

Meant to be committed next to refsync.toml: it is what keeps keys stable across edits, new
colliding items and collaborators' machines, and it is the base of the hand-edit merge.
Deterministic JSON (sorted keys, LF, trailing newline) so it diffs cleanly in git.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from json.encoder import encode_basestring as _quote  # the C encoder; keeps non-ASCII
from pathlib import Path
from typing import NamedTuple

from refsync.errors import ConfigError
from refsync.util.atomic import write_if_changed

__all__ = ["LOCK_FILE", "Lock", "LockEntry"]

LOCK_FILE = "refsync.lock"
_FORMAT = 1


class LockEntry(NamedTuple):
    """One entry as last written: the Zotero item (``library/key``), its version, and a hash of
    the text refsync wrote for it (the merge base); in a one-document format such as CSL-JSON,
    which is never merged, a hash of the record.

    A named tuple, not a dataclass: a pull makes one per entry (bench/README.md)."""

    item: str
    version: int
    hash: str


@dataclass
class Lock:
    """Keys given to items (shared by every target of the manuscript) and per-target entries."""

    keys: dict[str, str] = field(default_factory=dict)
    targets: dict[str, dict[str, LockEntry]] = field(default_factory=dict)
    #: per target, the refsync version and format that wrote it: entries are reused only from
    #: the same writer, so an upgrade re-renders everything once
    writers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Lock:
        """Read a lock; a missing file is an empty lock (the first pull).

        :raises ConfigError: when the file is not a lock refsync can read.
        """
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"{path}: not a readable refsync lock ({exc})",
                hint="restore it from version control, or delete it to assign keys afresh",
            ) from exc
        if not isinstance(raw, dict) or raw.get("lockVersion") != _FORMAT:
            raise ConfigError(f"{path}: unsupported lock format", hint="upgrade refsync")
        return cls(
            keys=dict(raw.get("keys", {})),
            targets={
                name: {key: LockEntry(**entry) for key, entry in entries.items()}
                for name, entries in raw.get("targets", {}).items()
            },
            writers=dict(raw.get("writers", {})),
        )

    def dumps(self) -> str:
        """JSON with sorted keys and one lock entry per line, so a changed entry is a one-line
        diff. Written here rather than by :func:`json.dumps` with ``indent``, which breaks every
        value onto a line of its own (and is slow: bench/README.md); a test reads it back
        with :func:`json.loads`."""
        targets = {
            name: _object({key: _entry(e) for key, e in entries.items()}, 2)
            for name, entries in self.targets.items()
        }
        document = {
            "keys": _strings(self.keys, 1),
            "lockVersion": str(_FORMAT),
            "targets": _object(targets, 1),
            "writers": _strings(self.writers, 1),
        }
        return _object(document, 0) + "\n"

    def save(self, path: Path) -> bool:
        """Write atomically, and only when something changed. :returns: whether it wrote."""
        return write_if_changed(path, self.dumps())


def _entry(e: LockEntry) -> str:
    return f'{{"hash": {_quote(e.hash)}, "item": {_quote(e.item)}, "version": {int(e.version)}}}'


def _strings(members: dict[str, str], depth: int) -> str:
    """A JSON object of strings as :func:`_object` writes it, by the C encoder: its item
    separator may hold the newline and indent."""
    if not members:
        return "{}"
    pad = " " * (depth + 1)
    flat = json.dumps(members, ensure_ascii=False, sort_keys=True, separators=(",\n" + pad, ": "))
    return "{\n" + pad + flat[1:-1] + "\n" + " " * depth + "}"


def _object(members: dict[str, str], depth: int) -> str:
    """A JSON object of members already in JSON, one per line, sorted, indented by depth."""
    if not members:
        return "{}"
    pad = " " * (depth + 1)
    body = ",\n".join(f"{pad}{_quote(k)}: {v}" for k, v in sorted(members.items()))
    return "{\n" + body + "\n" + " " * depth + "}"
