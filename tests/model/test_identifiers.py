"""Identifiers as users paste them end up in one canonical form, wherever Zotero keeps them."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from refsync.model import Reference
from refsync.model.identifiers import (
    identifiers_of,
    normalize_arxiv,
    normalize_isbn,
    normalize_pmcid,
    normalize_pmid,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0-306-40615-2", "9780306406157"),
        ("978-0-306-40615-7", "9780306406157"),
        ("9780306406157", "9780306406157"),
        ("0 306 40615 2", "9780306406157"),
        ("080442957X", "9780804429573"),
        ("0-306-40615-3", None),
        ("978-0-306-40615-8", None),
        ("12345", None),
    ],
    ids=["isbn10-hyphens", "isbn13-hyphens", "isbn13-bare", "isbn10-spaces", "isbn10-x",
         "isbn10-bad-check", "isbn13-bad-check", "too-short"],
)
def test_isbn_10_and_13_of_one_book_normalise_alike(text: str, expected: str | None) -> None:
    assert normalize_isbn(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2101.00001", "2101.00001"),
        ("arXiv:2101.00001v3", "2101.00001"),
        ("1501.1234v1", "1501.1234"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("hep-th/9901001v2", "hep-th/9901001"),
        ("math.GT/0309136", "math.gt/0309136"),
        ("10.48550/arXiv.2101.00001", "2101.00001"),
        ("not an id", None),
    ],
    ids=["new", "prefix-version", "old-4-digit", "old", "old-version", "old-subject-class",
         "arxiv-doi", "junk"],
)
def test_arxiv_ids_drop_prefix_and_version(text: str, expected: str | None) -> None:
    assert normalize_arxiv(text) == expected


def test_pubmed_ids() -> None:
    assert normalize_pmid("PMID: 0012345") == "12345"
    assert normalize_pmid("PMC123") is None
    assert normalize_pmcid("pmc 00123") == "PMC123"
    assert normalize_pmcid("12345") is None


def test_identifiers_found_in_fields_extra_url_and_archive_id() -> None:
    ref = Reference("journalArticle", {
        "DOI": "https://doi.org/10.1038/NRC3239",
        "extra": "PMID: 22158953\nPMCID: PMC3371321\narXiv: 1203.0001v2\nCitation Key: x",
        "url": "https://arxiv.org/abs/hep-th/9901001v1",
    })
    assert identifiers_of(ref) == {
        "doi": {"10.1038/nrc3239"},
        "pmid": {"22158953"},
        "pmcid": {"PMC3371321"},
        "arxiv": {"1203.0001", "hep-th/9901001"},
    }


@pytest.mark.parametrize(
    ("fields", "scheme", "value"),
    [
        ({"url": "https://pubmed.ncbi.nlm.nih.gov/22158953/"}, "pmid", "22158953"),
        ({"url": "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC3371321/"}, "pmcid", "PMC3371321"),
        ({"url": "https://doi.org/10.1000/XYZ123"}, "doi", "10.1000/xyz123"),
        ({"url": "https://arxiv.org/pdf/2101.00001v2.pdf"}, "arxiv", "2101.00001"),
        ({"archiveID": "arXiv:2101.00001"}, "arxiv", "2101.00001"),
        ({"extra": "DOI: 10.1000/abc"}, "doi", "10.1000/abc"),
        ({"ISBN": "0-306-40615-2 978-0-306-40615-7"}, "isbn", "9780306406157"),
        ({"DOI": "doi:10.1000/abc."}, "doi", "10.1000/abc"),
    ],
    ids=["pubmed-url", "pmc-url", "doi-url", "arxiv-pdf-url", "archive-id", "extra-doi",
         "two-isbns", "doi-prefix"],
)
def test_each_place_an_identifier_hides(fields: dict[str, str], scheme: str, value: str) -> None:
    assert identifiers_of(Reference("document", fields))[scheme] == {value}


def test_unusable_values_are_ignored() -> None:
    ref = Reference("book", {"DOI": "n/a", "ISBN": "0-306-40615-3", "extra": "PMID: none"})
    assert identifiers_of(ref) == {}


RUN = " " * 100_000


@pytest.mark.parametrize(("extra", "found"), [
    (f"{RUN}x\nPMID: 12345", {"pmid": {"12345"}}),  # a line of spaces: 1,000 took 0.7 s
    (f"arXiv{RUN}x\nDOI: 10.1000/abc", {"doi": {"10.1000/abc"}}),  # spaces inside a label
    (f"DOI: 10.1000/abc{RUN}x\nPMID: 1", {"doi": {"10.1000/abc"}, "pmid": {"1"}}),  # in a value
    ("\n" * 100_000 + "x\nPMID: 7", {"pmid": {"7"}}),  # each blank line rescanned the rest
    # an empty "Label:" and a run of spaces after it: the next line is an entry of its own
    (f"Original Date:{RUN}\nPMCID: PMC42\n" + "\n" * 100_000, {"pmcid": {"PMC42"}}),
])
def test_long_runs_of_whitespace_in_extra_are_read_at_once(
    within: Callable[[float], AbstractContextManager[None]], extra: str,
    found: dict[str, set[str]],
) -> None:
    """Extra is free text from anyone: its "Label: value" pattern used to split a run of spaces
    every way between a lazy label or value and the spaces around it (cubic)."""
    with within(2):
        assert identifiers_of(Reference("book", {"extra": extra})) == found


@pytest.mark.parametrize("extra", [
    "Original Date:\nPMCID: PMC42",  # an empty value took the next line as its value
    "Original Date: \t\r\nPMCID: PMC42",
    "   :\nPMCID: PMC42",  # a colon without a label likewise
])
def test_each_line_of_extra_is_one_entry(extra: str) -> None:
    """Zotero reads Extra line by line: an empty "Label:" has no value, not the next line."""
    assert identifiers_of(Reference("book", {"extra": extra})) == {"pmcid": {"PMC42"}}


def test_a_label_and_its_colon_are_on_one_line() -> None:
    assert identifiers_of(Reference("book", {"extra": "PMID\n: 12345"})) == {}


def test_a_field_outranks_what_url_and_extra_hold() -> None:
    # a book chapter whose URL holds the book's DOI keeps only its own DOI
    chapter = Reference("bookSection", {
        "DOI": "10.5555/a", "url": "https://doi.org/10.1371/journal.pone.1",
        "extra": "DOI: 10.5555/other\nPMID: 123", "ISBN": "978-0-306-40615-7",
    })
    assert identifiers_of(chapter) == {"doi": {"10.5555/a"}, "isbn": {"9780306406157"},
                                       "pmid": {"123"}}
    # with no usable DOI field, the URL's DOI is the record's
    unusable = Reference("document", {"DOI": "n/a", "url": "https://doi.org/10.1000/x"})
    assert identifiers_of(unusable)["doi"] == {"10.1000/x"}
