"""The reader's fast path gives exactly what bibtexparser gives, wherever it answers at all:
on every entry of the .bib fixtures and on random entries built to probe its edges."""

from __future__ import annotations

import random

import pytest
from bibtexparser.bparser import BibTexParser  # type: ignore[import-untyped]
from support import FIXTURES

from refsync.bib import reader
from refsync.bib.fastpath import common_fields

FILES = sorted((FIXTURES / "bib").glob("*.bib")) + sorted((FIXTURES / "bbt").glob("*.bib*"))


def parser_with(strings: str) -> BibTexParser:
    """bibtexparser as the reader sets it up, with the ``@string`` macros of ``strings``."""
    parser = reader._parser()
    for chunk in reader._split(strings):
        reader._parse_one(parser, chunk.text)
    return parser


def bibtexparser_fields(parser: BibTexParser, text: str) -> dict[str, str] | None:
    fields = reader._parse_one(parser, text)
    if fields is not None:
        fields = {k: v for k, v in fields.items() if k not in ("ENTRYTYPE", "ID")}
    return fields


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_the_fast_path_agrees_with_bibtexparser_on_every_fixture_entry(path: object) -> None:
    text = path.read_text(encoding="utf-8")  # type: ignore[attr-defined]
    chunks = list(reader._split(text))
    parser = parser_with("\n".join(c.text for c in chunks if c.kind == "string"))
    answered = 0
    for chunk in chunks:
        if chunk.kind in ("string", "comment", "preamble") or not chunk.key or chunk.problem:
            continue
        expected = bibtexparser_fields(parser, chunk.text)
        fast = common_fields(chunk.text, parser.bib_database.strings)
        if fast is not None:
            answered += 1
            assert fast == expected, chunk.text
    assert answered or not chunks


PIECES = ["{A}", "{A {B} c}", "{ lead}", "{trail }", "{}", "{{}}", "{a\n   b}", "{a\r\n  b\n}",
          "{x\u2028  y}", "{a\n}", "{\n}", "2020", "jan", "Foo", "foo", '"q"', '"a {"} b\n c"',
          '"{}"', "{a\x0b b}", "{ }", '{"}',
          # left to bibtexparser, or refused by it
          "undefined", '{a} # {b}', "{un{balanced}", "12a", "{x\\}y}", '"un"quoted"', '"{"',
          "empty"]
NAMES = ["title", "TITLE", "a-b", "c_d", "note", "title", "e.f", "x+y", "9z"]
SEPARATORS = [", ", ",\n  ", " , ", ",", ",\t\n", ",,", " "]
EQUALS = [" = ", "=", " =\n"]


def pick(rng: random.Random, options: list[str], odd: int) -> str:
    """One of ``options``, whose last ``odd`` ones (the shapes the fast path leaves to
    bibtexparser) come up one time in five, so most entries are of the common shape."""
    common, rare = options[:-odd], options[-odd:]
    return rng.choice(rare if rng.random() < 0.2 else common)


def random_entry(rng: random.Random) -> str:
    kind = pick(rng, ["article", "ARTICLE", "misc", "book2", "in_book"], odd=2)
    key = pick(rng, ["k", " k ", "k k", "", "k\u00a0"], odd=3)
    fields = "".join(pick(rng, SEPARATORS, odd=2) + pick(rng, NAMES, odd=3)
                     + rng.choice(EQUALS) + pick(rng, PIECES, odd=8)
                     for _ in range(rng.randint(0, 4)))
    end = pick(rng, ["", ",", " ", ",\n", "\u00a0"], odd=1)
    return f"@{kind}{{{key}{fields}{end}}}"


def test_the_fast_path_agrees_with_bibtexparser_on_random_entries() -> None:
    rng = random.Random(20261208)
    parser = parser_with('@string{foo = "Bar"}\n@string{empty = {}}')
    answered = 0
    for _ in range(3000):
        text = random_entry(rng)
        expected = bibtexparser_fields(parser, text)
        fast = common_fields(text, parser.bib_database.strings)
        if fast is not None:
            answered += 1
            assert fast == expected, repr(text)
    assert answered > 200  # the fast path is taken often enough for the test to mean something
