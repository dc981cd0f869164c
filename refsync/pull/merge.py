"""The three-way merge of a .bib file: what refsync wrote last (the lock's hashes), what the
author's file holds now, and what Zotero gives now.

Pure: text in, text out. Entries are compared as the exact text blocks refsync wrote, so any
hand edit of an entry, however small, counts as one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from refsync.bib.vocabulary import NON_ENTRIES
from refsync.errors import BibParseError

__all__ = ["BibBlocks", "MergeResult", "entry_hash", "merge_entries", "split_bib"]

_START = re.compile(r"^[ \t]*@[ \t]*(\w+)[ \t]*[{(][ \t]*([^,\s]*)", re.MULTILINE)
_ESCAPED_BRACE = re.compile(r"\\[{}]")


def entry_hash(block: str) -> str:
    return hashlib.sha256(block.strip().encode("utf-8")).hexdigest()[:20]


@dataclass
class BibBlocks:
    """A .bib split into its leading text, its @string/@preamble/@comment blocks and its entries."""

    header: str = ""
    extras: list[str] = field(default_factory=list)
    entries: dict[str, str] = field(default_factory=dict)


def split_bib(text: str, source: str) -> BibBlocks:
    """Split without interpreting fields; refsync only needs whole entries.

    :raises BibParseError: naming ``source`` and the line of an entry with unbalanced braces or a
        key used twice — a merge on a broken file could lose text.
    """
    blocks = BibBlocks()
    starts = list(_START.finditer(text))
    blocks.header = text[: starts[0].start()] if starts else text
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        block = text[match.start():end].strip() + "\n"
        bare = _ESCAPED_BRACE.sub("", block)
        if bare.count("{") != bare.count("}"):
            raise BibParseError(
                f"{source}:{_line(text, match)}: unbalanced braces in "
                f"'@{match.group(1)}{{{match.group(2)}'",
                hint="fix the entry by hand, or run 'refsync pull --force' to rewrite the file",
            )
        kind, key = match.group(1).lower(), match.group(2)
        if kind in NON_ENTRIES:
            blocks.extras.append(block)
        elif key in blocks.entries:
            raise BibParseError(
                f"{source}:{_line(text, match)}: citation key '{key}' is used twice",
                hint="rename or remove one of the two entries",
            )
        else:
            blocks.entries[key] = block
    return blocks


def _line(text: str, match: re.Match[str]) -> int:
    """Counted only for a message: counting for every entry would cost O(entries × size)."""
    return text.count("\n", 0, match.start()) + 1


@dataclass
class MergeResult:
    """The merged entries plus what happened to them, for the summary and the conflict report."""

    entries: dict[str, str]
    kept_hand_edits: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def merge_entries(
    current: Mapping[str, str], base: Mapping[str, str], fresh: Mapping[str, str],
    fresh_hashes: Mapping[str, str] | None = None, *, reused: Collection[str] = (),
) -> MergeResult:
    """Merge per entry: ``current`` is the file now (key → block), ``base`` the hashes refsync
    recorded when it last wrote, ``fresh`` what Zotero renders now, with ``fresh_hashes`` when
    the caller has them (a pull has: they go into the lock). ``reused`` names the entries
    whose fresh text *is* the file's block, taken over unchanged: their hashes are not worked
    out again.

    A side that did not change yields to the side that did; when both changed the same entry
    differently it is a conflict, and the caller writes nothing.
    """
    if fresh_hashes is None:
        fresh_hashes = {key: entry_hash(text) for key, text in fresh.items()}
    merged: dict[str, str] = {}
    result = MergeResult(merged)
    for key in sorted({*current, *base, *fresh}):
        mine, theirs, was = current.get(key), fresh.get(key), base.get(key)
        theirs_h = fresh_hashes.get(key)
        if key in reused:
            mine_h = theirs_h
        else:
            mine_h = None if mine is None else entry_hash(mine)
        hand_edited = mine_h != was
        zotero_changed = theirs_h != was
        if not hand_edited:
            if theirs is not None:
                merged[key] = theirs
        elif not zotero_changed:
            if mine is not None:
                merged[key] = mine
                result.kept_hand_edits.append(key)
        elif mine_h == theirs_h:
            if theirs is not None:
                merged[key] = theirs
        else:
            result.conflicts.append(key)
    return result
