"""Zotero's built-in duplicate detection, reimplemented from its documented rules as a baseline.

Rules from ``zotero/zotero``
``chrome/content/zotero/xpcom/duplicates.js`` at f2a42be: an ISBN pass (books only), a DOI pass
(trimmed, upper-cased, must start with ``10.``), then a title pass on exactly equal normalised
titles with DOI/ISBN/year/creator vetoes; sets are transitive. Benchmark only, never shipped.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Sequence

from refsync.model import Reference

_ASCII_PUNCT_OR_SPACE = re.compile(r"[\s!-/:-@\[-`{-~]+")


def _normalize(text: str) -> str:
    """Remove diacritics, collapse runs of ASCII punctuation/space to one space, trim, lower."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _ASCII_PUNCT_OR_SPACE.sub(" ", text).strip().lower()


def _doi(ref: Reference) -> str:
    value = ref.doi.strip().upper()
    return value if value.startswith("10.") else ""  # SQL LIKE '10.%': URL forms are ignored


def _isbn(ref: Reference) -> str:
    if ref.item_type != "book":
        return ""
    digits = re.sub(r"[^0-9X]", "", ref.get("ISBN").upper())
    return digits if len(digits) in (10, 13) else ""


def _year(ref: Reference) -> int | None:
    head = ref.get("date")[:4]
    return int(head) if head.isdigit() and head != "0000" else None


def _creators_agree(a: Reference, b: Reference) -> bool:
    if not a.creators and not b.creators:
        return True
    if not a.creators or not b.creators:
        return False
    keys = {(_normalize(c.family), _normalize(c.first)[:1]) for c in a.creators}
    return any((_normalize(c.family), _normalize(c.first)[:1]) in keys for c in b.creators)


def title_pass_allows(a: Reference, b: Reference) -> bool:
    """The title pass's vetoes for two records whose normalised titles are equal."""
    if _doi(a) and _doi(b) and _doi(a) != _doi(b):
        return False
    if _isbn(a) and _isbn(b) and _isbn(a) != _isbn(b):
        return False
    ya, yb = _year(a), _year(b)
    if ya is not None and yb is not None and abs(ya - yb) > 1:
        return False
    return _creators_agree(a, b)


def zotero_pairs(refs: Sequence[Reference]) -> Iterator[tuple[int, int]]:
    """Every directly matched pair (before the transitive closure), as index pairs i < j."""
    for key in (_isbn, _doi):
        buckets: dict[str, list[int]] = defaultdict(list)
        for i, ref in enumerate(refs):
            if value := key(ref):
                buckets[value].append(i)
        for members in buckets.values():
            yield from ((i, j) for n, i in enumerate(members) for j in members[n + 1:])
    titles: dict[str, list[int]] = defaultdict(list)
    for i, ref in enumerate(refs):
        if title := _normalize(ref.title):
            titles[title].append(i)
    for members in titles.values():
        for n, i in enumerate(members):
            for j in members[n + 1:]:
                if title_pass_allows(refs[i], refs[j]):
                    yield i, j


def zotero_groups(refs: Sequence[Reference]) -> list[list[int]]:
    """Duplicate sets as Zotero shows them: the union-find closure of :func:`zotero_pairs`."""
    parent = list(range(len(refs)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zotero_pairs(refs):
        parent[root(j)] = root(i)
    sets: dict[int, list[int]] = defaultdict(list)
    for i in range(len(refs)):
        sets[root(i)].append(i)
    return [members for members in sets.values() if len(members) > 1]
