"""The ``pull`` use case: a target's items → stable keys → rendered entries → merged with the
author's file → written atomically, only when something changed.

Receives a library view and the plugins as arguments; never builds adapters itself.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from refsync.config import Target
from refsync.errors import LocalFileError, SyncConflictError
from refsync.hookspecs import EntryExporter, Exporter, KeyFormatter
from refsync.model import Collection, Reference
from refsync.pull.keys import assign_keys
from refsync.pull.lock import Lock, LockEntry
from refsync.pull.merge import entry_hash, merge_entries, split_bib
from refsync.pull.targets import select_items
from refsync.util.atomic import write_if_changed

__all__ = ["Pull", "PullPlan", "plan_pull"]


@dataclass
class PullPlan:
    """What one target's file should become, and why; :meth:`Pull.apply` carries it out."""

    target: Target
    path: Path
    text: str
    current: str | None
    entries: dict[str, LockEntry]
    writer: str = ""
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept_hand_edits: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.text != self.current

    def summary(self) -> str:
        line = f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed"
        if self.kept_hand_edits:
            line += f", {len(self.kept_hand_edits)} hand-edited entries kept"
        return line

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                (self.current or "").splitlines(keepends=True),
                self.text.splitlines(keepends=True),
                fromfile=f"{self.path} (now)",
                tofile=f"{self.path} (after pull)",
            )
        )


@dataclass
class Pull:
    """Every target's plan, with the lock they were made against: nothing is written until
    :meth:`apply`, so a conflict in any target leaves every file as it was."""

    plans: list[PullPlan]
    lock: Lock
    lock_path: Path

    @property
    def stale(self) -> list[PullPlan]:
        """The plans whose file would change."""
        return [plan for plan in self.plans if plan.changed]

    def apply(self) -> None:
        """Write the planned files (each atomically, only if changed), then the lock.

        The files and the lock are one unit: a note of what is about to be written goes first
        (:meth:`Lock.intend`), so a pull killed between them leaves a lock that the next
        :meth:`Lock.load` completes from the files that landed, and keys never change.

        :raises LocalFileError: naming the file that could not be written.
        """
        path = self.lock_path
        try:
            for plan in self.plans:
                self.lock.targets[plan.target.output] = plan.entries
                self.lock.writers[plan.target.output] = plan.writer
            if self.stale:
                self.lock.intend(self.lock_path, {plan.target.output: plan.text
                                                  for plan in self.plans})
            for plan in self.plans:
                path = plan.path
                write_if_changed(plan.path, plan.text)
            path = self.lock_path
            self.lock.save(self.lock_path)
        except OSError as exc:
            raise LocalFileError(f"cannot write '{path}' ({exc.strerror or exc})",
                                 hint="check that its folder exists and is writable") from exc


def plan_pull(
    target: Target,
    *,
    items: Iterable[Reference],
    collections: Sequence[Collection],
    path: Path,
    current: str | None,
    lock: Lock,
    exporter: Exporter,
    formatter: KeyFormatter,
    source: str,
    producer: str,
    force: bool = False,
) -> PullPlan:
    """Work out the new file for ``target`` without touching anything.

    Keys come from the lock, else Zotero's citationKey or a pinned Extra line, else the formula;
    new keys avoid every key the lock ever gave out and every hand-written entry, so no key ever
    changes or moves to another item. ``lock.keys`` is updated in place.

    :param current: the text of the file at ``path`` now (``None`` when there is none); the
        caller reads it, so planning touches no file.
    :param producer: ``refsync <version>``: with the exporter's name it says which writer made
        the file, and only that writer's entries are reused unchanged.

    :raises SyncConflictError: when a hand edit and a Zotero change hit the same entry.
    :raises BibParseError: when the current file cannot be split safely.
    """
    chosen = select_items(target, items, collections)
    blocks = (split_bib(current, str(path))
              if current is not None and isinstance(exporter, EntryExporter) else None)
    base = lock.targets.get(target.output, {})
    # keys of hand-written entries are not given out, once refsync knows which entries are its own
    reserved = set(blocks.entries) if (blocks and base) else set()
    ordered = dict(sorted(_keys_for(chosen, lock, formatter, reserved).items()))
    writer = f"{producer} {exporter.name}"
    header = f"% Generated by refsync from {source}; target '{target.label}'.\n"
    if not isinstance(exporter, EntryExporter):  # one document; entries compared by record
        hashes = {key: _record_hash(key, ref) for key, ref in ordered.items()}
        return _plan(target, path, current, ordered, base, hashes, writer,
                     exporter.export(ordered))
    reusable = blocks.entries if blocks and lock.writers.get(target.output) == writer else {}
    rendered, reused = _render_entries(exporter, ordered, reusable, base)
    # a reused block is the file's own text, whose hash _reuse just found in the lock
    hashes = {key: base[key].hash if key in reused else entry_hash(text)
              for key, text in rendered.items()}
    if blocks is None or force:
        return _plan(target, path, current, ordered, base, hashes, writer,
                     _join(header, [], list(rendered.values())))
    merged = merge_entries(blocks.entries, {k: e.hash for k, e in base.items()}, rendered,
                           hashes, reused=reused)
    if merged.conflicts:
        raise SyncConflictError(
            f"{path}: both you and Zotero changed "
            f"{', '.join(repr(k) for k in merged.conflicts)} since the last pull; "
            "nothing was written",
            hint="edit the entry in Zotero instead and undo the hand edit, or run "
            "'refsync pull --force' to take Zotero's version",
        )
    if blocks.header.strip():  # the author's own header comment stays as it is
        header = blocks.header.rstrip() + "\n"
    plan = _plan(target, path, current, ordered, base, hashes, writer,
                 _join(header, blocks.extras, list(merged.entries.values())))
    plan.kept_hand_edits = merged.kept_hand_edits
    return plan


def _plan(target: Target, path: Path, current: str | None, ordered: dict[str, Reference],
          base: Mapping[str, LockEntry], hashes: Mapping[str, str], writer: str,
          text: str) -> PullPlan:
    """The plan for ``text``, with the lock entries and what was added, updated, removed."""
    entries = {key: LockEntry(ref.identity, ref.version, hashes[key])
               for key, ref in ordered.items()}
    plan = PullPlan(target, path, text, current, entries, writer)
    plan.added = sorted(set(entries) - set(base))
    plan.removed = sorted(set(base) - set(entries))
    plan.updated = sorted(k for k in entries if k in base and entries[k].hash != base[k].hash)
    return plan


def _join(header: str, extras: list[str], body: list[str]) -> str:
    """Header, the file's other parts, then the entries, each after a blank line (every part
    ends in a newline)."""
    return "\n".join([header, *extras, *body]) if extras or body else header


def _render_entries(exporter: EntryExporter, ordered: dict[str, Reference],
                    reusable: Mapping[str, str],
                    base: Mapping[str, LockEntry]) -> tuple[dict[str, str], set[str]]:
    """Each entry's text in key order, and the keys whose text is the file's own block,
    taken unchanged because rendering again could only give the same."""
    reused = {key: block for key, ref in ordered.items()
              if (block := _reuse(reusable.get(key), base.get(key), ref))} if reusable else {}
    if not reused:  # a first pull, or nothing reusable: every entry, in order
        return _render(exporter, ordered), set()
    fresh = _render(exporter, {k: r for k, r in ordered.items() if k not in reused})
    return {key: reused.get(key) or fresh[key] for key in ordered}, set(reused)


def _keys_for(
    refs: Sequence[Reference], lock: Lock, formatter: KeyFormatter, reserved: set[str]
) -> dict[str, Reference]:
    """Citation key → record; keys handed out before stay, ``reserved`` keys are not given out."""
    given = set(lock.keys.values())
    taken = {**lock.keys, **{f"hand:{k}": k for k in reserved if k not in given}}
    assigned = assign_keys(refs, formatter, taken)
    keyed: dict[str, Reference] = {}
    for ref in refs:
        ident = ref.identity
        lock.keys[ident] = assigned[ident]
        keyed[assigned[ident]] = ref
    return keyed


def _reuse(block: str | None, was: LockEntry | None, ref: Reference) -> str | None:
    """The file's own text for an entry when rendering again could only give the same: this
    writer wrote it, from this version of this item, and nobody has edited it since."""
    if (block is None or was is None or was.version != ref.version
            or was.item != ref.identity or entry_hash(block) != was.hash):
        return None
    return block


def _record_hash(key: str, ref: Reference) -> str:
    return entry_hash(key + json.dumps(ref.as_dict(), ensure_ascii=False, sort_keys=True))


def _render(exporter: EntryExporter, entries: dict[str, Reference]) -> dict[str, str]:
    """Each entry's text, ending in a newline."""
    return {key: text.strip() + "\n" for key, text in exporter.render_entries(entries).items()}
