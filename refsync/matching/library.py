"""Which records about to be added are already in the library, and which library records are
one work. The caller passes in the records and the registry's matchers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from refsync.hookspecs import Matcher
from refsync.matching.index import Decision, Group, MatchIndex, MatchSettings, find_duplicate_groups
from refsync.model import Reference

__all__ = ["Existing", "duplicate_groups", "find_existing"]


@dataclass(frozen=True)
class Existing:
    """What the library (and the batch itself) already holds for one candidate.

    ``matches`` are duplicates first, then related records (preprint ↔ published), best first;
    ``same_as`` is the position of an earlier candidate of the same batch that is the same work,
    so a .bib listing one paper twice still creates one item.
    """

    candidate: Reference
    matches: tuple[tuple[Reference, Decision], ...] = ()
    same_as: int | None = None

    @property
    def duplicate(self) -> tuple[Reference, Decision] | None:
        """The best library record that is the same work, if any."""
        best = self.matches[0] if self.matches else None
        return best if best and best[1].kind == "duplicate" else None


def find_existing(
    candidates: Iterable[Reference],
    library_refs: Iterable[Reference],
    matchers: Iterable[Matcher] = (),
    settings: MatchSettings | None = None,
) -> list[Existing]:
    """Check a batch of records about to be added against the library, in candidate order.

    Trashed library items are ignored, as in Zotero's own duplicate check
    (zotero/zotero ``chrome/content/zotero/xpcom/duplicates.js``).

    :param matchers: the registry's matchers; plugin matchers are consulted on blocked pairs.
    :returns: one :class:`Existing` per candidate.
    """
    batch = list(candidates)
    matchers = tuple(matchers)
    index = MatchIndex((r for r in library_refs if not r.deleted), settings, matchers,
                       batch=batch)
    first_of = _first_in_batch(batch, matchers, settings)
    return [Existing(ref, tuple(index.find(ref)), first_of.get(i)) for i, ref in enumerate(batch)]


def _first_in_batch(batch: Sequence[Reference], matchers: Sequence[Matcher],
                    settings: MatchSettings | None) -> dict[int, int]:
    """Position → position of the first candidate of the batch that is the same work."""
    first_of: dict[int, int] = {}
    for group in find_duplicate_groups(batch, settings, matchers):
        first, *rest = group.positions
        first_of.update((i, first) for i in rest)
    return first_of


def duplicate_groups(
    library_refs: Iterable[Reference],
    matchers: Iterable[Matcher] = (),
    settings: MatchSettings | None = None,
    *,
    versions: bool = False,
) -> list[Group]:
    """Sets of library records that are one publication (transitive), trashed items left out.

    :param versions: group all versions of a work (preprint, conference, journal) together.
    :returns: groups in library order, each with the reason of its first link; ``positions``
        index the live (untrashed) records in their given order.
    """
    live = [r for r in library_refs if not r.deleted]
    return find_duplicate_groups(live, settings, matchers, versions=versions)
