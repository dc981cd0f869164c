"""What ``refsync import`` adds: a .bib file's entries as candidates, each named by its key, and
completed from resolved records where the user asked for that. Pure: the app reads the file
and resolves the DOIs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from refsync.add import Candidate
from refsync.bib.reader import parse_bib
from refsync.model import Reference

__all__ = ["candidates_from_bib", "completed"]


def candidates_from_bib(text: str, source: str, name: str) -> list[Candidate]:
    """One candidate per entry in file order, named by its key; an entry that cannot be read
    becomes a failed candidate named by its key or ``name:line``.

    :param source: the file as error messages name it; ``name`` its short form.
    """
    parsed = parse_bib(text, source)
    rows = [(e.line, Candidate(e.key, e.reference)) for e in parsed.entries]
    rows += [(err.line, Candidate(err.key or f"{name}:{err.line}", None, err))
             for err in parsed.errors]
    rows.sort(key=lambda row: row[0])
    return [candidate for _, candidate in rows]


def completed(candidates: list[Candidate], found: Mapping[str, Reference]) -> list[Candidate]:
    """Each candidate whose DOI is in ``found`` completed from that record; the candidate's own
    values win."""
    return [
        replace(c, reference=c.reference.completed_by(found[c.reference.doi]))
        if c.reference and c.reference.doi in found else c
        for c in candidates
    ]
