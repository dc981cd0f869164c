"""Persistent identifiers of a record (DOI, ISBN, PMID, PMCID, arXiv) in one canonical form each.

Two records sharing a canonical identifier are the same work; two records holding *different*
identifiers of one scheme are two works. Pure: no I/O; DOIs are parsed by ``refsync.model.doi``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from refsync.errors import InvalidDOIError
from refsync.model import Reference, extra_lines
from refsync.model.doi import extract_dois, normalize_doi

__all__ = [
    "SCHEMES",
    "identifiers_of",
    "normalize_arxiv",
    "normalize_isbn",
    "normalize_pmcid",
    "normalize_pmid",
    "sourced_identifiers",
]

#: identifier schemes, in the order a reason names them
SCHEMES = ("doi", "isbn", "arxiv", "pmid", "pmcid")

_ISBN_IN_TEXT = re.compile(r"(?<![\dXx])(?:97[89][-\s]?)?\d(?:[-\s]?\d){8}[-\s]?[\dXx](?![\dXx])")
# arXiv identifier schemes: https://info.arxiv.org/help/arxiv_identifier.html
_ARXIV_NEW = r"\d{4}\.\d{4,5}"
_ARXIV_OLD = r"[a-z]+(?:-[a-z]+)*(?:\.[a-z]{2})?/\d{7}"
_ARXIV = re.compile(rf"(?<![\w.])({_ARXIV_NEW}|{_ARXIV_OLD})(?:v\d+)?(?![\d])", re.IGNORECASE)
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$")  # arXiv's own DOIs (arXiv blog, 2022)
_PMID = re.compile(r"^\s*(\d{1,9})\s*$")
_PMCID = re.compile(r"^\s*(?:pmcid:\s*)?pmc\s*(\d{1,9})\s*$", re.IGNORECASE)
_URL_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("arxiv", re.compile(r"arxiv\.org/(?:abs|pdf|html)/(.+?)(?:\.pdf)?(?:[?#].*)?$", re.I)),
    ("pmid", re.compile(r"(?:pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/pubmed)/(\d+)", re.I)),
    ("pmid", re.compile(r"europepmc\.org/(?:abstract|article)/med/(\d+)", re.I)),
    ("pmcid", re.compile(r"ncbi\.nlm\.nih\.gov/(?:pmc/)?articles/(PMC\d+)", re.I)),
)


def normalize_isbn(text: str) -> str | None:
    """The ISBN-13 (digits only) for an ISBN-10 or ISBN-13 written with or without hyphens.

    Both lengths name one book, so the 13-digit form is canonical. ``None`` when the check digit
    is wrong: a mistyped ISBN must not match another book by accident.
    """
    digits = re.sub(r"[-\s]", "", text.strip()).upper()
    if len(digits) == 10 and re.fullmatch(r"\d{9}[\dX]", digits):
        # ISBN-10 check: weighted sum 10..1 is divisible by 11, X = 10 (ISO 2108)
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(digits))
        return _isbn13("978" + digits[:9]) if total % 11 == 0 else None
    if len(digits) == 13 and digits.isdigit() and digits[:3] in {"978", "979"}:
        return digits if _isbn13(digits[:12]) == digits else None
    return None


def _isbn13(first12: str) -> str:
    """Append the ISBN-13 check digit (EAN-13: weights 1,3,1,3 …, ISO 2108)."""
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


def normalize_arxiv(text: str) -> str | None:
    """The bare, version-less arXiv id (``2101.00001``, ``hep-th/9901001``) in ``text``, if any.

    Versions are one work, so ``v2`` is dropped; accepts ``arXiv:`` prefixes and arXiv DOIs.
    """
    value = text.strip()
    if doi := _ARXIV_DOI.match(value.lower()):
        value = doi.group(1)
    value = re.sub(r"^arxiv\s*:\s*", "", value, flags=re.IGNORECASE)
    match = _ARXIV.match(value)
    return match.group(1).lower() if match else None


def normalize_pmid(text: str) -> str | None:
    """A PubMed id without leading zeros, or ``None`` when ``text`` is not one."""
    match = _PMID.match(re.sub(r"^\s*pmid\s*:?", "", text, flags=re.IGNORECASE))
    return str(int(match.group(1))) if match and int(match.group(1)) else None


def normalize_pmcid(text: str) -> str | None:
    """A PubMed Central id as ``PMC`` + digits, or ``None``."""
    match = _PMCID.match(text)
    return f"PMC{int(match.group(1))}" if match else None


def identifiers_of(ref: Reference) -> dict[str, set[str]]:
    """Every canonical identifier the record carries, by scheme (only schemes found are keys).

    Looks where Zotero keeps them: the DOI and ISBN fields and archiveID, then ``Key: value``
    lines in Extra (Zotero stores DOI/PMID/arXiv there for item types without such a field) and
    the URL. A field is authoritative: what Extra or the URL holds counts for a scheme only when
    the record has no usable field of it, since a book chapter's URL often carries the book's
    DOI, and letting it join the chapter's own DOI would make two chapters "the same DOI".
    """
    return sourced_identifiers(ref)[0]


def sourced_identifiers(ref: Reference) -> tuple[dict[str, set[str]], frozenset[str]]:
    """:func:`identifiers_of`, and the schemes among them read from Extra or the URL only, whose
    values may name a container rather than the record itself."""
    declared: dict[str, set[str]] = {}
    scraped: dict[str, set[str]] = {}
    for scheme, value, from_field in _raw_identifiers(ref):
        found = declared if from_field else scraped
        if scheme == "doi" and (arxiv := normalize_arxiv(value)):
            found.setdefault("arxiv", set()).add(arxiv)
        if canonical := _NORMALIZERS[scheme](value):
            found.setdefault(scheme, set()).add(canonical)
    return {**scraped, **declared}, frozenset(scraped.keys() - declared.keys())


def _raw_identifiers(ref: Reference) -> Iterator[tuple[str, str, bool]]:
    """``(scheme, raw value, from the record's own field?)`` for every place one may hide."""
    if ref.doi:
        yield "doi", ref.doi, True
    for isbn in _ISBN_IN_TEXT.findall(ref.get("ISBN")):
        yield "isbn", isbn, True
    if archive_id := ref.get("archiveID"):
        yield "arxiv", archive_id, True
    for label, value in extra_lines(ref.get("extra")):
        scheme = label.lower().replace(" ", "")
        if scheme in _NORMALIZERS:
            yield scheme, value, False
    url = ref.get("url")
    if url:
        yield from (("doi", d, False) for d in extract_dois(url))
        for scheme, pattern in _URL_RULES:
            if match := pattern.search(url):
                yield scheme, match.group(1), False


def _doi(text: str) -> str | None:
    try:
        return normalize_doi(text)
    except InvalidDOIError:  # a DOI field holding a sentence around the DOI
        found = extract_dois(text)
        return found[0] if found else None


_NORMALIZERS = {
    "doi": _doi,
    "isbn": normalize_isbn,
    "arxiv": normalize_arxiv,
    "pmid": normalize_pmid,
    "pmcid": normalize_pmcid,
}
