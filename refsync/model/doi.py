"""DOIs in every form people paste them, and DOIs found in free text.

Pure: no I/O. The normal form is lower case, because DOIs are case-insensitive (DOI Handbook
§2.4) and Crossref registers them lower-cased.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import unquote

from refsync.errors import InvalidDOIError

__all__ = ["extract_dois", "normalize_doi", "unique_dois"]

_PREFIXES = re.compile(
    r"^(?:doi\s*:\s*|(?:https?://)?(?:dx\.|www\.)?doi\.org/|(?:https?://)?hdl\.handle\.net/)",
    re.IGNORECASE,
)
_SHAPE = re.compile(r"^10\.\d{4,9}(?:\.\d+)*/\S+$")
# A DOI in free text, found in linear time. Every run of digits is taken whole (a "." or "/"
# must follow each anyway), so a chain of dotted numbers is read once; a chain without its "/"
# is matched too (no "suffix"), which moves the scan past it, since every "10." inside it would
# reach the same end and fail alike. The first run must end where its digits end ((?!\d)):
# "10.12345678910.1000/x" (11 digits) fails at its start only, and the "10.1000/x" inside it
# is found.
_IN_TEXT = re.compile(r"10\.\d{4,9}+(?!\d)(?:\.\d++)*+(?P<suffix>/[^\s\"'{}]+)?")
_HTML_TAG = re.compile(r"<(?=/?[a-zA-Z])")
_TRAILING = ".,;:!?"
_PAIRS = {")": "(", "]": "[", ">": "<"}


def normalize_doi(text: str) -> str:
    """Return the canonical (lower-case, bare) DOI for one pasted value.

    :raises InvalidDOIError: when the text holds no DOI of the form ``10.NNNN/suffix``.
    """
    value = text.strip().strip("\"'`").lstrip("([<").replace("\\_", "_").replace("\\%", "%")
    for _ in range(2):
        value = _PREFIXES.sub("", value).strip()
        if "%" in value:
            value = unquote(value)
    value = _strip_trailing(value)
    if not _SHAPE.match(value):
        raise InvalidDOIError(
            f"'{text.strip()}' is not a DOI",
            hint="a DOI looks like 10.1038/nrc3239 (optionally with doi: or https://doi.org/)",
        )
    return value.lower()


def extract_dois(text: str) -> list[str]:
    """Every DOI in a free text (a reference list, a PubMed page), normalised, in order of first
    appearance and without repeats."""
    text = text.replace("\\_", "_")
    return list(unique_dois(_scan(text)))


def unique_dois(dois: Iterable[str]) -> Iterator[str]:
    seen: set[str] = set()
    for doi in dois:
        if doi not in seen:
            seen.add(doi)
            yield doi


def _scan(text: str) -> Iterator[str]:
    for match in _IN_TEXT.finditer(unquote(text) if "%2F" in text.upper() else text):
        if not match["suffix"]:  # a chain of numbers with no "/": skipped whole, not a DOI
            continue
        candidate = _HTML_TAG.split(match.group(0), 1)[0]
        candidate = _strip_trailing(candidate)
        if _SHAPE.match(candidate):
            yield candidate.lower()


def _strip_trailing(value: str) -> str:
    """Drop sentence punctuation and closing brackets that the DOI itself does not open."""
    # Counted once per kind of bracket, not once per character dropped, and cut once at the end
    # (linear on a DOI followed by a long run of ")"). Openers are never dropped, so each
    # closer's surplus only falls by one as one of its kind is dropped.
    end = len(value)
    surplus: dict[str, int] = {}
    while end:
        last = value[end - 1]
        if last in _TRAILING:
            end -= 1
            continue
        if last not in _PAIRS:
            break
        if last not in surplus:
            surplus[last] = value.count(last, 0, end) - value.count(_PAIRS[last], 0, end)
        if surplus[last] <= 0:
            break
        surplus[last] -= 1
        end -= 1
    return value[:end]
