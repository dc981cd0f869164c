"""DOIs as people paste them, and DOIs found in free text (refsync.model.doi)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from refsync.errors import InvalidDOIError
from refsync.model.doi import extract_dois, normalize_doi


@pytest.mark.parametrize("text", [
    "10.1038/nrc3239", "doi:10.1038/NRC3239", "https://doi.org/10.1038/nrc3239",
    "http://dx.doi.org/10.1038/nrc3239", "https://doi.org/10.1038%2Fnrc3239",
    "(10.1038/nrc3239).", '"10.1038/nrc3239"',
])
def test_pasted_forms_normalise_to_one_doi(text: str) -> None:
    assert normalize_doi(text) == "10.1038/nrc3239"


def test_a_closing_bracket_the_doi_opens_is_kept() -> None:
    assert normalize_doi("10.1002/(SICI)1097-4636(199703)") == "10.1002/(sici)1097-4636(199703)"


def test_not_a_doi_is_refused() -> None:
    with pytest.raises(InvalidDOIError):
        normalize_doi("10.12/x")


def test_dois_are_found_in_free_text_in_order_without_repeats() -> None:
    text = ("See doi:10.1038/nrc3239, and {10.1084/JEM.2.1.1}; again 10.1038/NRC3239.\n"
            "Chain 10.12345678910.1000/x inside a long number, 10.1000.5/y with a dotted prefix,"
            " 10.1000.5./z is not one, and a\\_b in 10.1000/a\\_b.")
    assert extract_dois(text) == ["10.1038/nrc3239", "10.1084/jem.2.1.1", "10.1000/x",
                                  "10.1000.5/y", "10.1000/a_b"]


@pytest.mark.parametrize(("text", "found"), [
    # a chain of dotted numbers without a "/": each "10." in it rescanned the chain to its end
    ("10.1000." * 12_500, []),  # 100k characters: 10 s
    ("10.1000." * 12_500 + "5/x", ["10.1000." * 12_500 + "5/x"]),  # read once, whole
    # a DOI followed by closing brackets: each one dropped counted them all again (3.9 s)
    ("10.1000/x" + ")" * 100_000, ["10.1000/x"]),
])
def test_long_untrusted_texts_are_scanned_at_once(
    within: Callable[[float], AbstractContextManager[None]], text: str, found: list[str],
) -> None:
    with within(2):
        assert extract_dois(text) == found
