"""``refsync.lock``: the citation keys a manuscript has given out, and what each .bib held when
refsync last wrote it.

Meant to be committed next to refsync.toml: it is what keeps keys stable across edits, new
colliding items and collaborators' machines, and it is the base of the hand-edit merge.
Deterministic JSON (sorted keys, LF, trailing newline) so it diffs cleanly in git.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass, field
from json.encoder import encode_basestring as _quote  # the C encoder; keeps non-ASCII
from pathlib import Path
from typing import Any, NamedTuple

from refsync.errors import ConfigError
from refsync.util.atomic import write_atomic, write_if_changed

__all__ = ["LOCK_FILE", "Lock", "LockEntry"]

LOCK_FILE = "refsync.lock"
_FORMAT = 1
_RESTORE = "restore it from version control, or delete it to assign keys afresh"


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
        lock = cls._read(path)
        try:
            note = json.loads(_intent(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):  # none: the last pull finished (or never began writing)
            return lock
        return lock._completed(note, path.parent)

    @classmethod
    def _read(cls, path: Path) -> Lock:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"{path}: not a readable refsync lock ({exc})",
                hint=_RESTORE,
            ) from exc
        version = raw.get("lockVersion") if isinstance(raw, dict) else None
        if version is not None and str(version) != str(_FORMAT):
            raise ConfigError(f"{path}: lock format {version} is not one this refsync reads "
                              f"(it reads {_FORMAT})", hint="upgrade refsync")
        try:
            if version is None:
                raise TypeError("no lockVersion")
            return cls._from_json(raw)
        except (AttributeError, TypeError, ValueError) as exc:
            raise ConfigError(f"{path}: not a lock refsync wrote (its contents have another "
                              "shape)", hint=_RESTORE) from exc

    @classmethod
    def _from_json(cls, raw: dict[str, Any]) -> Lock:
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
        """Write atomically, and only when something changed, then forget the note of
        :meth:`intend`. :returns: whether it wrote."""
        wrote = write_if_changed(path, self.dumps())
        with contextlib.suppress(FileNotFoundError):
            _intent(path).unlink()
        return wrote

    def intend(self, path: Path, files: dict[str, str]) -> None:
        """Note, before any file is written, that this lock goes with these files' texts
        (output → text). Until :meth:`save`, :meth:`load` takes each target's entries from the
        note if its file holds that text, else from the lock as it was."""
        note = {"files": {output: _digest(text) for output, text in sorted(files.items())},
                "lock": json.loads(self.dumps())}
        write_atomic(_intent(path), json.dumps(note, ensure_ascii=False, sort_keys=True) + "\n")

    def _completed(self, note: Any, folder: Path) -> Lock:
        """This lock, with what a pull killed after writing some files had noted for them."""
        try:
            planned = Lock._from_json(note["lock"])
            files = {str(output): str(digest) for output, digest in note["files"].items()}
        except (KeyError, TypeError, AttributeError, ValueError):
            return self  # not a note this refsync wrote: the lock alone is the truth
        done = Lock({**self.keys, **planned.keys}, dict(self.targets), dict(self.writers))
        for output, digest in files.items():
            try:
                landed = _digest((folder / output).read_text(encoding="utf-8")) == digest
            except (OSError, UnicodeDecodeError):
                landed = False
            if landed and output in planned.targets:
                done.targets[output] = planned.targets[output]
                if output in planned.writers:
                    done.writers[output] = planned.writers[output]
        return done


def _intent(path: Path) -> Path:
    """Where :meth:`Lock.intend` notes a pull in progress: beside the lock, hidden."""
    return path.with_name(f".{path.name}.intent")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
