"""The bibtex/biblatex writer: entry types, field mapping, names, dates, stable output."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from support import ZOTERO_TYPES
from support.bbt import parse_bib

from refsync.bib.safety import safety_problems
from refsync.bib.vocabulary import ENTRY_TYPES
from refsync.builtin.bibtex import BibExporter, register_exporters, render_entry
from refsync.config import Settings
from refsync.model import Creator, Reference
from refsync.plugins import Registry, make_plugin_manager

Within = Callable[[float], AbstractContextManager[None]]


ARTICLE = Reference(
    "journalArticle",
    {"title": "Gene regulation in <i>Drosophila</i>: the DNA story", "date": "2017-02-09",
     "publicationTitle": "Nature & Science", "volume": "12", "issue": "3", "pages": "100–110",
     "DOI": "10.1000/a_b", "url": "https://example.org/x%20y", "ISSN": "1234-5678",
     "language": "en-GB", "abstractNote": "Long abstract", "accessDate": "2020-01-02 10:00:00"},
    (Creator("Doe", "Jane"), Creator("van der Berg", "Ludwig"), Creator(name="WHO Consortium"),
     Creator("King", "Martin Luther, Jr."), Creator("Fontaine", "Jean de"),
     Creator("Smith", "Ann", creator_type="editor")),
)


def test_every_zotero_item_type_has_an_entry_type() -> None:
    assert sorted(ENTRY_TYPES) == sorted(ZOTERO_TYPES)


def test_bibtex_article() -> None:
    assert render_entry("doe2017", ARTICLE) == (
        "@article{doe2017,\n"
        "  title = {Gene regulation in \\emph{{{Drosophila}}}: the {{DNA}} story},\n"
        "  author = {Doe, Jane and van der Berg, Ludwig and {WHO Consortium} and "
        "King, Jr., Martin Luther and de Fontaine, Jean},\n"
        "  editor = {Smith, Ann},\n"
        "  journal = {Nature {\\&} Science},\n"
        "  volume = {12},\n"
        "  number = {3},\n"
        "  pages = {100--110},\n"
        "  year = {2017},\n"
        "  month = feb,\n"
        "  issn = {1234-5678},\n"
        "  doi = {10.1000/a_b},\n"
        "  url = {https://example.org/x\\%20y}\n"
        "}"
    )


def test_biblatex_article() -> None:
    entry = render_entry("doe2017", ARTICLE, dialect="biblatex")
    fields = parse_bib(entry)["doe2017"]
    assert fields["ENTRYTYPE"] == "article"
    assert fields["journaltitle"] == "Nature {\\&} Science"
    assert fields["date"] == "2017-02-09"
    assert fields["url"] == "https://example.org/x%20y"  # biber reads url verbatim
    assert fields["langid"] == "british"
    assert fields["urldate"] == "2020-01-02"
    assert fields["abstract"] == "Long abstract"
    assert "year" not in fields and "journal" not in fields and "month" not in fields


@pytest.mark.parametrize(("item_type", "fields", "bibtex", "biblatex"), [
    ("bookSection", {"bookTitle": "The Big Book", "publisher": "Pub", "place": "Oslo"},
     {"ENTRYTYPE": "incollection", "booktitle": "The {{Big Book}}", "address": "Oslo"},
     {"ENTRYTYPE": "incollection", "location": "{Oslo}", "publisher": "{Pub}"}),
    ("conferencePaper", {"conferenceName": "ICML 2020"},
     {"ENTRYTYPE": "inproceedings", "booktitle": "{{ICML}} 2020"},
     {"ENTRYTYPE": "inproceedings", "eventtitle": "ICML 2020"}),
    ("thesis", {"university": "MIT", "thesisType": "PhD diss."},
     {"ENTRYTYPE": "phdthesis", "school": "MIT"},
     {"ENTRYTYPE": "thesis", "institution": "{MIT}", "type": "phdthesis"}),
    ("thesis", {"university": "MIT", "thesisType": "Master's thesis"},
     {"ENTRYTYPE": "mastersthesis"}, {"type": "mathesis"}),
    ("thesis", {"thesisType": "Habilitation"}, {"type": "Habilitation"}, {"type": "Habilitation"}),
    ("report", {"institution": "NASA", "reportNumber": "TR-1", "reportType": "Memo"},
     {"ENTRYTYPE": "techreport", "institution": "NASA", "number": "TR-1", "type": "Memo"},
     {"ENTRYTYPE": "report", "institution": "{NASA}"}),
    ("preprint", {"archiveID": "arXiv:2101.00001", "repository": "arXiv"},
     {"ENTRYTYPE": "misc", "eprint": "2101.00001", "archiveprefix": "arXiv"},
     {"ENTRYTYPE": "online", "eprint": "2101.00001", "eprinttype": "arXiv"}),
    ("computerProgram", {"company": "Zenodo"},
     {"ENTRYTYPE": "misc", "howpublished": "Zenodo"}, {"ENTRYTYPE": "software"}),
    ("newspaperArticle", {"publicationTitle": "The Times"},
     {"ENTRYTYPE": "article", "journal": "The Times"},
     {"ENTRYTYPE": "article", "entrysubtype": "newspaper"}),
    ("book", {"extra": "DOI: 10.1/book\nPublisher: Extra Press"},
     {"doi": "10.1/book", "publisher": "Extra Press"}, {"doi": "10.1/book"}),
    ("conferencePaper", {"date": "June 18–23, 2017"},
     {"year": "2017", "month": "June"}, {"date": "2017-06-18/2017-06-23"}),  # jun macro
])
def test_type_specific_fields(
    item_type: str, fields: dict[str, str], bibtex: dict[str, str], biblatex: dict[str, str]
) -> None:
    ref = Reference(item_type, {"title": "T", **fields})
    for dialect, expected in (("bibtex", bibtex), ("biblatex", biblatex)):
        parsed = parse_bib(render_entry("k", ref, dialect=dialect))["k"]
        assert {k: parsed.get(k) for k in expected} == expected, dialect


@pytest.mark.parametrize(("creator", "name"), [
    (Creator("Doe", "John and Jane"), "Doe, {John and Jane}"),
    (Creator("Smith, Jones", "A"), "{Smith, Jones}, A"),
    (Creator('"De Quincey"', "Alan"), "{De Quincey}, Alan"),
    (Creator("", "Madonna"), "{Madonna}"),
    (Creator(name="Johnson & Johnson"), "{Johnson {\\&} Johnson}"),
    (Creator("Medici", "Lorenzo de\u2019\u200b"), "de{\\textquoteright} Medici, Lorenzo"),
    (Creator("Smith", "mary ann"), "Smith, mary ann"),  # no capitalised given name: no particle
    (Creator("%}^Evil", "{\\x}"), "Evil, x"),  # biber would write the initial "%" raw
    (Creator("Fontaine", "Jean de la"), "de la Fontaine, Jean"),
    (Creator("Alembert", "Jean le Rond d\u2019"), "d{\\textquoteright} Alembert, Jean le Rond"),
    # more than two commas in all: biber drops the entry ("has too many commas")
    (Creator("Picard, PhD, MD", "Jean-Luc"), "Jean-Luc {Picard, PhD, MD}"),
    (Creator("King", "Martin Luther, Jr., PhD"), "Martin Luther {King, Jr., PhD}"),
    (Creator("King", "Martin Luther, Jr."), "King, Jr., Martin Luther"),
    # biber decoded "\\'\\i" to U+0131 U+0301, which pdflatex cannot set
    (Creator("Martí", "Íñigo"), "Mart{\\'i}, {\\'I}{\\~n}igo"),
])
def test_names(creator: Creator, name: str) -> None:
    entry = parse_bib(render_entry("k", Reference("book", {}, (creator,))))
    assert entry["k"]["author"] == name


@pytest.mark.parametrize(("title", "bibtex", "biblatex"), [
    ("α-synuclein in 5 μM",
     "{\\ensuremath{\\alpha}}-synuclein in 5 {{{\\ensuremath{\\mu}}M}}", None),
    ("γδ T cells, TGF-Β",
     "{\\ensuremath{\\gamma}}{\\ensuremath{\\delta}} {{T}} cells, {{TGF-B}}", None),
    ("Ἀθῆναι", "A{\\ensuremath{\\theta}}{\\ensuremath{\\eta}}{\\ensuremath{\\nu}}"
               "{\\ensuremath{\\alpha}}{\\ensuremath{\\iota}}", "Ἀθῆναι"),
])
def test_greek_letters_are_tex_that_pdflatex_sets(title: str, bibtex: str,
                                                  biblatex: str | None) -> None:
    """BibTeX output is TeX throughout, as Better BibTeX's ASCII export; BibLaTeX output keeps
    Greek words (text in Greek, for XeLaTeX or babel) but not the letters science uses alone."""
    ref = Reference("journalArticle", {"title": title})
    assert parse_bib(render_entry("k", ref))["k"]["title"] == bibtex
    written = parse_bib(render_entry("k", ref, dialect="biblatex"))["k"]["title"]
    assert written == (biblatex or bibtex)


@pytest.mark.parametrize("first", ["Jean " + "a" * 40 + "1", "Jean " + "a " * 50_000 + "1"])
def test_a_long_lower_case_given_name_renders_at_once(within: Within, first: str) -> None:
    """Crossref metadata is untrusted: a name must not send the particle search into
    backtracking (40 letters took hours, 100k characters of words seconds, before the fix)."""
    with within(2):
        entry = render_entry("k", Reference("book", {}, (Creator("Doe", first),)))
    assert "author = {Doe, Jean a" in entry


def test_pages_with_a_long_run_of_spaces_render_at_once(within: Within) -> None:
    with within(2):
        entry = render_entry("k", Reference("book", {"pages": "1" + " " * 100_000 + "2 - 3"}))
    assert "pages = {1 2--3}" in entry


def test_export_is_deterministic_and_ends_with_one_newline() -> None:
    entries = {"b": ARTICLE, "a": Reference("book", {"title": "B"})}
    text = BibExporter("bibtex").export(entries)
    assert text == BibExporter("bibtex").export(dict(entries))
    assert text.endswith("}\n") and "\r" not in text and not text.endswith("\n\n")
    assert text.index("@article{b,") < text.index("@book{a,")  # the mapping's order
    assert BibExporter("bibtex").export({}) == ""
    assert BibExporter("biblatex").render_entries({"b": ARTICLE})["b"] == render_entry(
        "b", ARTICLE, dialect="biblatex")


@pytest.mark.parametrize("key", ["", "a b", "a,b", "a}b", "x^^5c", "a%b", "a#b"])
def test_unsafe_keys_are_refused(key: str) -> None:
    with pytest.raises(ValueError, match="citation key"):
        render_entry(key, ARTICLE)


def test_hostile_record_renders_safely() -> None:
    hostile = r"\immediate\write18{rm -rf ~} } \input{/etc/passwd} % \catcode \def\csname"
    ref = Reference("bookSection", {f: hostile for f in (
        "title", "bookTitle", "publisher", "place", "volume", "pages", "series", "edition",
        "ISBN", "extra", "abstractNote", "DOI", "url", "language", "date")},
        (Creator(hostile, hostile), Creator(name=hostile)))
    for dialect in ("bibtex", "biblatex"):
        entry = render_entry("k", ref, dialect=dialect)
        assert safety_problems(entry) == []
        assert all(f"\\{cmd}" not in entry for cmd in
                   ("write", "immediate", "input", "catcode", "def", "csname"))
        assert parse_bib(entry)["k"]["title"]


def test_plugin_registers_both_dialects() -> None:
    assert [e.name for e in register_exporters(Settings())] == ["bibtex", "biblatex"]
    registry = Registry.from_plugin_manager(make_plugin_manager(entrypoints=False), Settings())
    assert registry.exporter("biblatex").suffix == ".bib"


def test_a_last_name_alone_with_spaces_stays_one_name() -> None:
    ref = Reference("report", {"title": "T", "date": "2020"},
                    (Creator(last="Doe Inc."), Creator(last="Smith", first="J.")))
    entry = render_entry("doe2020", ref)
    assert "author = {{Doe Inc.} and Smith, J.}" in entry
    assert parse_bib(entry)["doe2020"]["author"].startswith("{Doe Inc.}")
