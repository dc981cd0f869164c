"""Citation keys: pinned keys win, the lock never moves, suffixes do not depend on input order,
and the bbt-default formula reproduces Better BibTeX's keys."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

import pytest
from support.bbt import BBT, bbt_reference, load_items, parse_bib

from refsync.builtin.bbt_keys import BBTDefault, register_key_formatters, title_words
from refsync.config import Settings
from refsync.model import Creator, Reference
from refsync.pull.keys import assign_keys, fold_ascii, pinned_key, sanitize_key, suffix

Within = Callable[[float], AbstractContextManager[None]]


@dataclass
class Fixed:
    """A formatter giving every record the same base key, to force collisions."""

    base: str = "smith2020"
    name: str = "fixed"

    def format_key(self, ref: Reference) -> str:
        return self.base


def ref(title: str = "T", *, key: str = "", doi: str = "", extra: str = "",
        citation_key: str = "") -> Reference:
    fields = {"title": title, "DOI": doi, "extra": extra, "citationKey": citation_key}
    return Reference("journalArticle", {k: v for k, v in fields.items() if v}, key=key)


@pytest.mark.parametrize(("n", "text"), [(0, ""), (1, "a"), (26, "z"), (27, "aa"), (28, "ab"),
                                         (52, "az"), (53, "ba"), (702, "zz"), (703, "aaa")])
def test_suffix_counts_like_spreadsheet_columns(n: int, text: str) -> None:
    assert suffix(n) == text


@pytest.mark.parametrize(("text", "folded"), [
    ("Müller", "Muller"), ("Straße", "Strasse"), ("Ærø", "AEro"), ("Łódź", "Lodz"),
    ("Đặng", "Dang"), ("Þór", "Thor"), ("œuvre", "oeuvre"), ("ﬁsh", "fish"), ("张", ""),
])
def test_fold_ascii(text: str, folded: str) -> None:
    assert fold_ascii(text) == folded


@pytest.mark.parametrize(("text", "key"), [
    ("smith 2020", "smith2020"),
    ("a\\\"#%'(),={}~b", "ab"),  # BBT's citekeyUnsafeChars
    ("x^^5cwrite18", "x5cwrite18"),  # ^^5c would read as a backslash in \bibitem
    ("a&b$c[d]e", "abcde"),
    ("doe:2020/v1.2-x_y+z", "doe:2020/v1.2-x_y+z"),
    ("García", "Garcia"),
])
def test_sanitize_key(text: str, key: str) -> None:
    assert sanitize_key(text) == key


def test_pinned_key_prefers_the_native_field_then_extra_forms() -> None:
    assert pinned_key(ref(citation_key="native", extra="Citation Key: extra")) == "native"
    assert pinned_key(ref(extra="PMID: 1\nCitation Key: bbt7\n")) == "bbt7"
    assert pinned_key(ref(extra="bibtex: old5")) == "old5"
    assert pinned_key(ref(extra="biblatexcitekey[older]")) == "older"
    assert pinned_key(ref(extra="note: nothing here")) is None
    assert pinned_key(ref(extra="Citation Key: evil,}{key")) == "evilkey"
    assert pinned_key(ref(citation_key="müller2020")) == "müller2020"  # the user's choice


@pytest.mark.parametrize(("chosen", "kept"), [
    ("Smith*2020", "Smith*2020"), ("wow!2020", "wow!2020"), ("q?;@|&<>k", "q?;@|&<>k"),
    # biber refuses ' and = in a key (Better BibTeX drops them too); the rest cannot be safe
    ("O'Brien2020", "OBrien2020"), ("a=b", "ab"), ("x^^5c{}%#~$[]\\y", "x5cy"),
])
def test_a_key_the_user_chose_keeps_every_character_bibtex_and_biber_take(chosen: str,
                                                                          kept: str) -> None:
    """Ten keys of co-authors' .bib files lost a '*', '!' … on import, and their \\cite broke."""
    assert pinned_key(ref(extra=f"Citation Key: {chosen}")) == kept
    assert sanitize_key(chosen) == kept.translate(str.maketrans("", "", "*!?;@|&<>"))


def test_identity() -> None:
    assert ref(key="ABCD1234", doi="10.1/X").identity == "ABCD1234"
    assert Reference("book", key="ABCD1234", library="group:7").identity == "group:7/ABCD1234"
    assert ref(doi="10.1/X").identity == "doi:10.1/x"
    one = Reference("book", {"title": "T", "date": "2020"}, (Creator("Doe", "J"),)).identity
    two = Reference("book", {"title": "t", "date": "2020-05"}, (Creator("doe", "K"),)).identity
    assert one == two and one.startswith("sha1:")


def test_collisions_get_suffixes_in_doi_order_whatever_the_input_order() -> None:
    refs = [ref("C", doi="10.1/c"), ref("A", doi="10.1/a"), ref("N", key="ZZZZ"),
            ref("B", doi="10.1/b")]
    expected = {"doi:10.1/a": "smith2020", "doi:10.1/b": "smith2020a",
                "doi:10.1/c": "smith2020b", "ZZZZ": "smith2020c"}
    for seed in range(5):
        shuffled = refs[:]
        random.Random(seed).shuffle(shuffled)
        assert assign_keys(shuffled, Fixed()) == expected


def test_a_doi_that_begins_another_comes_first() -> None:
    refs = [ref("Long", doi="10.1/ab"), ref("Short", doi="10.1/a"), ref("Other", doi="10.1/a-")]
    assert assign_keys(refs, Fixed()) == {"doi:10.1/a": "smith2020", "doi:10.1/a-": "smith2020a",
                                          "doi:10.1/ab": "smith2020b"}


def test_a_record_listed_twice_gets_one_key() -> None:
    twice = [ref("A", doi="10.1/a"), ref("A again", doi="10.1/A")]
    assert assign_keys(twice, Fixed()) == {"doi:10.1/a": "smith2020"}


def test_collisions_ignore_case() -> None:
    keys = assign_keys([ref("A", doi="10.1/a"), ref("B", doi="10.1/b")], Fixed("Smith2020"),
                       {"gone": "SMITH2020"})  # a locked key stays reserved after its item left
    assert keys == {"doi:10.1/a": "Smith2020a", "doi:10.1/b": "Smith2020b"}


def test_locked_keys_never_change_and_are_never_reused() -> None:
    locked = {"doi:10.1/b": "smith2020"}
    keys = assign_keys([ref("A", doi="10.1/a"), ref("B", doi="10.1/b")], Fixed(), locked)
    assert keys == {"doi:10.1/b": "smith2020", "doi:10.1/a": "smith2020a"}
    # the lock wins even over a key pinned later in Zotero
    keys = assign_keys([ref("B", doi="10.1/b", citation_key="pinned")], Fixed(), locked)
    assert keys == {"doi:10.1/b": "smith2020"}


def test_pinned_keys_are_claimed_before_formula_keys() -> None:
    refs = [ref("A", doi="10.1/a"), ref("Z", doi="10.1/z", extra="Citation Key: smith2020")]
    assert assign_keys(refs, Fixed()) == {"doi:10.1/z": "smith2020", "doi:10.1/a": "smith2020a"}


def test_empty_formula_falls_back_to_a_stable_hashed_key() -> None:
    keys = assign_keys([ref("A", doi="10.1/a")], Fixed(""))
    assert keys["doi:10.1/a"].startswith("ref") and len(keys["doi:10.1/a"]) == 11
    assert keys == assign_keys([ref("A", doi="10.1/a")], Fixed(""))


def test_bbt_default_formula() -> None:
    may = Reference("book", {"title": "A concise course in algebraic topology", "date": "1999"},
                    (Creator("May", "J. Peter"),))
    assert BBTDefault().format_key(may) == "mayConciseCourseAlgebraic1999"  # BBT#2728
    art = Reference("artwork", {"title": "The <i>starry</i> night"},
                    (Creator("van Gogh", "Vincent", creator_type="artist"),))
    assert BBTDefault().format_key(art) == "vangoghStarryNight"
    edited = Reference("book", {"title": "Über die Natur", "date": "1850"},
                       (Creator("Humboldt", "A.", creator_type="editor"),))
    assert sanitize_key(BBTDefault().format_key(edited)) == "humboldtUberNatur1850"
    assert title_words("o\u0308ffentliche Planung") == ["öffentliche", "Planung"]
    assert title_words("The state-of-the-art in x_y (2020)", 4) == ["state", "art", "x", "y"]
    assert title_words("Deep learning", 0) == []


def test_bbt_default_reproduces_every_default_formula_key_in_the_fixtures() -> None:
    checked = 0
    for path in sorted(BBT.glob("*.json")):
        formula = json.loads(path.read_text("utf-8"))["config"]["preferences"]["citekeyFormat"]
        if not formula.strip().startswith("auth") or "shorttitle(3,3) + year" not in formula:
            continue
        written = set(parse_bib(path.with_suffix(".biblatex" if path.with_suffix(".biblatex")
                                             .exists() else ".bibtex").read_text("utf-8")))
        for item in load_items(path):
            data = {k: v for k, v in item.items() if k != "citationKey"}
            key = sanitize_key(BBTDefault().format_key(bbt_reference(data)))
            # items without a stored key got theirs from the formula at export time
            assert key == item.get("citationKey", key) and key in written, path.name
            checked += 1
    assert checked == 3


def test_plugin_registers_bbt_default() -> None:
    assert [f.name for f in register_key_formatters(Settings())] == ["bbt-default"]


def test_pinned_keys_are_found_at_once_in_an_extra_of_blank_lines(within: Within) -> None:
    with within(2):
        blank = pinned_key(ref(extra="\n" * 100_000 + "x\nCitation Key: late1"))
        brackets = pinned_key(ref(extra="biblatexcitekey[" * 50_000 + "\nbiblatexcitekey[k2]"))
    assert (blank, brackets) == ("late1", "k2")


def test_an_empty_key_line_does_not_take_the_next_line_as_its_key() -> None:
    assert pinned_key(ref(extra="Citation Key:\nnotakey")) is None
    assert pinned_key(ref(extra="Citation Key:\nnotakey\nbibtex: old5")) == "old5"
    assert pinned_key(ref(extra="bibtex: two words")) is None
