"""Importing a .bib file: what a user sees in Zotero after handing refsync their bibliography."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from support import FIXTURES

from refsync.bib import reader as bibimport
from refsync.bib.reader import BibImport, parse_bib
from refsync.bib.vocabulary import ENTRY_TYPES
from refsync.builtin.bibtex import render_entry
from refsync.model import Creator, Reference
from refsync.model.schema import base_fields

BBT = FIXTURES / "bbt"


def one(text: str) -> Reference:
    result = parse_bib(text, "refs.bib")
    assert not result.errors, [str(e) for e in result.errors]
    assert len(result.entries) == 1
    return result.entries[0].reference


@pytest.mark.parametrize(
    ("entry", "item_type"),
    [
        ("@article{k, journal = {J}}", "journalArticle"),
        ("@article{k, journaltitle = {J}, entrysubtype = {magazine}}", "magazineArticle"),
        ("@inproceedings{k, booktitle = {Proc}}", "conferencePaper"),
        ("@conference{k, booktitle = {Proc}}", "conferencePaper"),
        ("@incollection{k, booktitle = {B}}", "bookSection"),
        ("@inbook{k, booktitle = {B}}", "bookSection"),
        ("@book{k, publisher = {P}}", "book"),
        ("@booklet{k}", "book"),
        ("@phdthesis{k, school = {MIT}}", "thesis"),
        ("@mastersthesis{k, school = {MIT}}", "thesis"),
        ("@thesis{k, institution = {MIT}, type = {phdthesis}}", "thesis"),
        ("@techreport{k, institution = {NASA}, number = {7}}", "report"),
        ("@report{k, institution = {NASA}}", "report"),
        ("@misc{k, url = {https://example.org}}", "webpage"),
        ("@misc{k, howpublished = {Leaflet}}", "document"),
        ("@online{k, url = {https://example.org}}", "webpage"),
        ("@electronic{k, url = {https://example.org}}", "webpage"),
        ("@www{k, url = {https://example.org}}", "webpage"),
        ("@misc{k, eprint = {2101.00001}, archiveprefix = {arXiv}}", "preprint"),
        ("@unpublished{k, note = {draft}}", "manuscript"),
        ("@patent{k, number = {US 1}}", "patent"),
        ("@dataset{k, publisher = {Zenodo}}", "dataset"),
        ("@software{k, version = {1.0}}", "computerProgram"),
        ("@standard{k, number = {ISO 8601}}", "standard"),
        ("@book_section{k, booktitle = {B}}", "bookSection"),
        ("@web_page{k, url = {https://example.org}}", "webpage"),
        ("@strangetype{k, title = {T}}", "document"),
    ],
    ids=lambda v: v.split("{")[0] if v.startswith("@") else v,
)
def test_entry_types_map_to_zotero_item_types(entry: str, item_type: str) -> None:
    assert one(entry).item_type == item_type


@pytest.mark.parametrize("zotero_type", sorted(ENTRY_TYPES))
def test_every_type_the_writer_emits_reads_back_as_the_same_biblatex_type(zotero_type: str) -> None:
    ref = Reference(zotero_type, {"title": "T", "date": "2001"})
    back = one(render_entry("k", ref, dialect="biblatex"))
    assert ENTRY_TYPES[back.item_type][1] == ENTRY_TYPES[zotero_type][1]


def test_container_number_and_publisher_use_each_types_own_zotero_field() -> None:
    assert one("@inproceedings{k, booktitle = {Proc}}").get("proceedingsTitle") == "Proc"
    assert one("@incollection{k, booktitle = {B}}").get("bookTitle") == "B"
    thesis = one("@mastersthesis{k, school = {MIT}}")
    assert (thesis.get("university"), thesis.get("thesisType")) == ("MIT", "Master's thesis")
    report = one("@techreport{k, institution = {NASA}, number = {TR-7}}")
    assert (report.get("institution"), report.get("reportNumber")) == ("NASA", "TR-7")
    article = one("@article{k, journal = {Nature}, volume = 3, number = {2}}")
    assert (article.get("publicationTitle"), article.get("issue")) == ("Nature", "2")


def test_string_macros_apply_wherever_they_are_defined_and_concatenate() -> None:
    text = """
    @article{early, journal = jbio # { (Online)}, title = "Part " # one}
    @string{jbio = "Journal of " # "Biology"}
    @String(one = {One})
    @article{late, journal = jbio, month = mar, year = 2012}
    """
    result = parse_bib(text, "refs.bib")
    early, late = (e.reference for e in result.entries)
    assert early.get("publicationTitle") == "Journal of Biology (Online)"
    assert early.title == "Part One"
    assert late.get("publicationTitle") == "Journal of Biology"
    assert late.get("date") == "2012-03"


def test_an_undefined_macro_keeps_its_name_instead_of_losing_the_entry() -> None:
    assert one("@article{k, journal = jnosuch}").get("publicationTitle") == "jnosuch"


def test_a_string_built_from_an_undefined_macro_costs_a_word_not_the_import() -> None:
    found = parse_bib('@string{j = jnosuch # " Letters"}\n@article{k, journal = j}', "x.bib")
    assert not found.errors
    assert [e.reference.get("publicationTitle") for e in found.entries] == ["jnosuch Letters"]


def test_crossref_children_inherit_what_they_lack_from_the_parent() -> None:
    text = """
    @inproceedings{child, author = {Ann Smith}, title = {Part}, crossref = {Parent},
                   pages = {5--6}}
    @proceedings{parent, title = {Proceedings of Things}, editor = {Bob Jones},
                 year = 1999, publisher = {ACM}, address = {New York}}
    """
    child = parse_bib(text, "refs.bib").entries[0].reference
    assert child.title == "Part"
    assert child.get("proceedingsTitle") == "Proceedings of Things"
    assert (child.get("publisher"), child.get("place"), child.get("date")) == (
        "ACM", "New York", "1999")
    assert [(c.last, c.creator_type) for c in child.creators] == [
        ("Smith", "author"), ("Jones", "editor")]


def test_crossref_chains_are_followed() -> None:
    result = parse_bib((FIXTURES / "bib" / "crossref_cascading.bib").read_text(), "c.bib")
    assert [e.reference.get("date") for e in result.entries] == ["1911"] * 4


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"{\"u}ber", "über"),
        (r"\"{u}ber", "über"),
        (r"caf\'{e} and caf\'e", "café and café"),
        (r"Stra\ss{}e", "Straße"),
        (r"pp. 1--2 and---then", "pp. 1–2 and—then"),
        (r"Smith \& Sons", "Smith & Sons"),
        (r"{{DNA}} and {RNA}", "DNA and RNA"),
        (r"The \emph{Homo sapiens} genome", "The <i>Homo sapiens</i> genome"),
        (r"\textbf{Bold} H\textsubscript{2}O x\textsuperscript{2}",
         "<b>Bold</b> H<sub>2</sub>O x<sup>2</sup>"),
        (r"The $\alpha$-helix", "The α-helix"),
        (r"100\% of \{braces\}", "100% of {braces}"),
        (r"{\v{C}}apek and {\o}ster", "Čapek and øster"),
        ("A  title\n   on two lines", "A title on two lines"),
    ],
    ids=lambda v: v,
)
def test_latex_in_titles_becomes_unicode_and_zotero_rich_text(latex: str, text: str) -> None:
    assert one(f"@article{{k, title = {{{latex}}}}}").title == text


@pytest.mark.parametrize(
    ("names", "creators"),
    [
        ("Smith, John and Jane Doe", [("Smith", "John"), ("Doe", "Jane")]),
        ("Ludwig van Beethoven", [("van Beethoven", "Ludwig")]),
        ("de la Fontaine, Jean", [("de la Fontaine", "Jean")]),
        ("van der Berg, Jr, Jan", [("van der Berg", "Jan, Jr")]),
        (r"M{\"u}ller, J{\"o}rg", [("Müller", "Jörg")]),
        ("{Barnes and Noble}, Inc and Smith, A.", [("Barnes and Noble", "Inc"), ("Smith", "A.")]),
        ("Smith, John and others", [("Smith", "John")]),
        ("Plato", [("Plato", "")]),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_person_names_split_into_last_and_first(names: str, creators: list[tuple[str, str]]
                                                ) -> None:
    ref = one(f"@book{{k, author = {{{names}}}}}")
    assert [(c.last, c.first) for c in ref.creators] == creators


def test_a_braced_name_is_an_organisation() -> None:
    ref = one("@report{k, author = {{World Health Organization} and Tedros, A.}}")
    assert ref.creators[0] == Creator(name="World Health Organization")
    assert ref.creators[1].last == "Tedros"


def test_creator_roles_follow_the_field_and_the_item_type() -> None:
    ref = one("@incollection{k, author = {A. Author}, editor = {E. Editor},"
              " translator = {T. Translator}}")
    assert [c.creator_type for c in ref.creators] == ["author", "editor", "translator"]
    video = one("@video{k, director = {S. Marka}, editora = {A. Chair}}")
    assert [c.creator_type for c in video.creators] == ["director", "contributor"]
    assert one("@patent{k, author = {I. Nventor}}").creators[0].creator_type == "inventor"


def test_howpublished_is_a_link_a_site_or_a_publisher() -> None:
    assert one(r"@misc{k, howpublished = {\url{https://a.org/x}}}").get("url") == (
        "https://a.org/x")
    site = one("@misc{k, howpublished = {BBC News}, url = {https://bbc.co.uk/1}}")
    assert site.get("websiteTitle") == "BBC News"
    assert one("@misc{k, howpublished = {Leaflet}}").get("publisher") == "Leaflet"


def test_biblatex_subtitles_join_their_titles() -> None:
    ref = one("@incollection{k, title = {Main}, subtitle = {A Study},"
              " booktitle = {Why?}, booksubtitle = {Answers}}")
    assert (ref.title, ref.get("bookTitle")) == ("Main: A Study", "Why? Answers")


def test_fields_map_to_zotero_fields() -> None:
    ref = one(r"""@article{Key2012,
      title = {T}, year = {2012}, month = {3}, pages = {101--110}, volume = {4},
      url = {https://doi.org/10.1000/XYZ\_1}, issn = {1234-5678},
      abstract = {An \emph{abstract}.}, keywords = {alpha, beta; gamma},
      langid = {ngerman}, note = {Read twice}, pmid = {123456},
      eprint = {1234.56789}, archiveprefix = {arXiv}, shoesize = {42}}""")
    assert ref.get("date") == "2012-03"
    assert ref.get("pages") == "101-110"
    assert ref.doi == "10.1000/xyz_1"
    assert ref.get("ISSN") == "1234-5678"
    assert ref.get("abstractNote") == "An <i>abstract</i>."
    assert ref.get("language") == "de"
    assert ref.tags == ("alpha", "beta", "gamma")
    assert ref.get("extra").splitlines() == [
        "Citation Key: Key2012", "arXiv: 1234.56789", "PMID: 123456", "Read twice",
        "tex.shoesize: 42"]


def test_an_unreadable_doi_is_kept_in_extra() -> None:
    ref = one("@article{k, doi = {not a doi}}")
    assert not ref.doi
    assert "tex.doi: not a doi" in ref.get("extra")


def test_a_broken_entry_is_reported_and_the_others_still_import() -> None:
    text = """@article{before, title = {Before}}

@article{broken, title = {Never closed,
  year = 2001

@article{after, title = {After}}
@book{nocomma title = {x}}
@book{last, title = {Last}}
"""
    result = parse_bib(text, "thesis.bib")
    assert [(e.key, e.line) for e in result.entries] == [("before", 1), ("after", 6),
                                                         ("last", 8)]
    assert [str(e) for e in result.errors] == [
        "thesis.bib:3: entry 'broken' cannot be read: its braces do not balance before the "
        "next entry starts.",
        "thesis.bib:7: entry 'nocomma' cannot be read: no comma follows the citation key.",
    ]
    assert [(e.line, e.key) for e in result.errors] == [(3, "broken"), (7, "nocomma")]
    assert all(e.hint for e in result.errors)


def test_a_broken_string_block_is_reported_too() -> None:
    result = parse_bib("@string{j = {Unclosed}\n@article{k, title = {T}}", "refs.bib")
    assert [e.key for e in result.entries] == ["k"]
    assert [str(e) for e in result.errors] == [
        "refs.bib:1: a '@string' block cannot be read: its braces do not balance before the "
        "next entry starts."]


def test_keys_and_field_names_bibtexparser_rejects_still_import() -> None:
    ref = one("@Article{O'Hara_1999, title = {T}, author+an = {1=\"corresponding\"}}")
    assert ref.title == "T"
    assert ref.get("extra").splitlines() == [
        "Citation Key: O'Hara_1999", 'tex.author+an: 1="corresponding"']


def test_an_entry_without_a_key_imports_without_a_citation_key_line() -> None:
    result = parse_bib("@article{,\n  title = {Keyless}}\n@article{}", "mendeley.bib")
    assert [(e.key, e.reference.title, e.reference.get("extra")) for e in result.entries] == [
        ("", "Keyless", "")]
    assert [str(e) for e in result.errors] == [
        "mendeley.bib:3: a '@article' entry cannot be read: it has neither a citation key nor "
        "fields."]


def test_comments_preambles_and_commented_out_entries_are_not_entries() -> None:
    text = """@comment{jabref-meta: databaseType:bibtex;}
@preamble{"\\newcommand{\\noop}[1]{}"}
% @article{old, title = {Commented out}}
@article{k, title = {Kept}}"""
    result = parse_bib(text, "refs.bib")
    assert ([e.key for e in result.entries], result.errors) == (["k"], [])


# -- round trip through refsync's own writer -------------------------------------------------

COMPARED = ("title", "creators", "year", "DOI", "container", "volume", "issue", "pages")


# Zotero keeps particles in the first name ("Jean de" + "La Fontaine") or the last name; the
# writer moves them to the last, as BibTeX wants, and the importer leaves them there
_PARTICLES = re.compile(r"^(?:[a-z\u00e0-\u00ff]+(?:['\u2019-]\s*|\s+))+(?=\S)")


def _facts(ref: Reference) -> dict[str, str]:
    """What a reader of the bibliography checks, normalised for markup and typography (the
    writer curls straight quotes) and for where a name's particle is kept."""
    f = base_fields(ref)

    def plain(value: str) -> str:
        value = re.sub(r"<[^>]+>", "", value).replace("\u2013", "-")
        value = re.sub("[\u201c\u201d]", '"', re.sub("[\u2018\u2019]", "'", value))
        return re.sub(r"\s+", " ", value).strip().casefold()

    def family(creator: Creator) -> str:
        return plain(_PARTICLES.sub("", creator.family.strip('"')))

    return {
        "title": plain(f.get("title", "")),
        "creators": "; ".join(family(c) for c in ref.creators
                              if c.creator_type not in ("bookAuthor", "translator",
                                                        "contributor", "seriesEditor")),
        "year": str(ref.issued.year or ""),
        "DOI": f.get("DOI", "").lower(),
        "container": plain(f.get("publicationTitle", "")),
        "volume": plain(f.get("volume", "")),
        "issue": plain(f.get("issue") or f.get("seriesNumber") or f.get("number", "")),
        "pages": plain(f.get("pages", "")),
    }


def _bbt_items() -> list[Reference]:
    refs = []
    for path in sorted(BBT.glob("*.json")):
        for item in json.loads(path.read_text("utf-8"))["items"]:
            if item.get("itemType") in ("note", "attachment"):
                continue
            data = {k: "\n".join(v) if isinstance(v, list) and all(isinstance(x, str) for x in v)
                    else v for k, v in item.items()}
            refs.append(Reference.from_zotero(data))
    return refs


@pytest.mark.parametrize("dialect", ["bibtex", "biblatex"])
def test_round_trip_through_the_writer_keeps_what_readers_check(dialect: str) -> None:
    refs = [r for r in _bbt_items() if r.item_type in ENTRY_TYPES]
    text = "\n\n".join(render_entry(f"k{i}", r, dialect=dialect) for i, r in enumerate(refs))
    result = parse_bib(text, f"roundtrip.{dialect}")
    assert result.errors == []
    assert len(result.entries) == len(refs) > 50
    agree = total = 0
    misses = []
    for original, entry in zip(refs, result.entries, strict=True):
        want, got = _facts(original), _facts(entry.reference)
        for name in COMPARED:
            if not want[name]:
                continue
            total += 1
            if want[name] == got[name]:
                agree += 1
            else:
                misses.append((entry.key, name, want[name], got[name]))
    share = agree / total
    print(f"{dialect} round trip: {agree}/{total} fields agree ({share:.1%})")
    assert share >= 0.95, misses[:20]


# -- real-world files ------------------------------------------------------------------------

_ENTRY_START = re.compile(r"^[ \t]*@\s*(\w+)\s*[{(]\s*([^\s,]*)", re.MULTILINE)


@pytest.mark.parametrize("name", ["xampl.bib", "biblatex-examples.bib", "traps.bib",
                                  "bbt-import-2.bib", "crossref_cascading.bib"])
def test_real_world_files_import_every_entry(name: str) -> None:
    text = (FIXTURES / "bib" / name).read_text("utf-8")
    expected = [m.group(2) for m in _ENTRY_START.finditer(text)
                if m.group(1).lower() not in ("string", "comment", "preamble")]
    result: BibImport = parse_bib(text, name)
    assert result.errors == []
    assert [e.key for e in result.entries] == expected
    assert all(e.reference.fields for e in result.entries)


def test_xampl_crossref_inherits_the_whole_collection() -> None:
    entries = {e.key: e.reference for e in parse_bib(
        (FIXTURES / "bib" / "xampl.bib").read_text("utf-8"), "xampl.bib").entries}
    child = entries["incollection-crossref"]
    assert child.item_type == "bookSection"
    assert child.get("bookTitle") == entries["whole-collection"].title


Within = Callable[[float], AbstractContextManager[None]]
RUN = " " * 100_000  # a run of whitespace in a co-author's .bib, careless or hostile


def test_a_long_run_of_spaces_between_names_is_split_at_once(within: Within) -> None:
    """The " and " separator used to be tried from each space of a run not followed by "and",
    each time scanning the rest of the run (quadratic)."""
    with within(2):
        result = parse_bib(f"@article{{k, author={{Jane{RUN}Doe and Richard{RUN}Roe}}}}\n", "x")
    assert [(c.last, c.first) for c in result.entries[0].reference.creators] == [
        ("Doe", "Jane"), ("Roe", "Richard")]


def test_recovery_reads_the_next_entry_at_once_after_a_long_run_of_spaces(within: Within) -> None:
    """Looking for where the next entry starts used to try every split of a run after "@book{"
    between the spaces before and after an (empty) key (quadratic)."""
    text = f"@article{{a, title={{x\n@book{{{RUN}b title}}\n@misc{{c, title={{C}}}}\n"
    with within(2):
        result = parse_bib(text, "x")
    assert [e.key for e in result.entries] == ["c"]
    assert "braces do not balance before the next entry starts" in str(result.errors[0])


def test_an_entry_without_fields_is_recognised_at_once(within: Within) -> None:
    # through parse_bib bibtexparser itself is quadratic on such input, so the pattern alone
    with within(2):
        assert bibimport._NO_FIELDS.fullmatch(f"@misc{{key{RUN},{RUN}}}")
        assert not bibimport._NO_FIELDS.fullmatch(f"@misc{{key{RUN},{RUN}x}}")


def test_a_long_run_of_whitespace_after_a_key_is_read_at_once(within: Within) -> None:
    """bibtexparser reads a key up to its comma by rescanning the whitespace after the key from
    each character (5,000 spaces took 2.5 s, 100k never ended); the layout between an entry's
    parts is squeezed first, its values are not, and lines are still counted in the file."""
    lines = "\n" * 100_000
    text = (f"@misc{{k{RUN},}}\n"
            f"@misc{{k2{lines}{RUN}, title = {{Two{RUN}words}},{RUN}note{lines}={RUN}\"a  b\"}}\n"
            f"@misc{{bad{RUN}title = {{no comma}}}}\n"
            "@misc{c, title={C}}\n")
    with within(2):
        result = parse_bib(text, "x.bib")
    assert [(e.key, e.line) for e in result.entries] == [
        ("k", 1), ("k2", 2), ("c", 200_004)]
    assert result.entries[1].reference.fields["title"] == "Two words"
    assert result.errors[0].line == 200_003 and "x.bib:200003: entry 'bad'" in str(result.errors[0])


def test_squeezing_layout_leaves_values_as_written() -> None:
    body = ' k1 ,\n  title = {A  {"}  b} # "q  {"}  r" ,\n\turl  =  {http://x.org/a  b}\n}'
    assert bibimport._squeeze_layout(body) == (
        ' k1 , title = {A  {"}  b} # "q  {"}  r" , url = {http://x.org/a  b}\n}')  # one \n is kept


def test_braces_nested_deeper_than_any_parser_follows_reject_that_entry_only() -> None:
    """bibtexparser ran out of stack at about 100 levels and the whole import crashed."""
    deep = "{" * 200 + "Deep" + "}" * 200
    result = parse_bib(f"@article{{deep, title = {deep}}}\n\n"
                       "@article{fine, title = {{{{\\\"U}ber}} alles}, year = 2020}\n", "co.bib")
    assert [e.key for e in result.entries] == ["fine"]
    assert result.entries[0].reference.title == "Über alles"
    assert [str(e) for e in result.errors] == [
        "co.bib:1: entry 'deep' cannot be read: its braces nest more than 32 deep."]


def test_control_characters_reach_neither_zotero_nor_the_terminal() -> None:
    """NUL and ESC from a .bib were sent to Zotero as they were, and printed in reports."""
    text = ("@article{key\x1b[31m, title = {A\x00B \x1b[2Jcleared\x9b},\n"
            "  author = {Doe\x07, Jane}, note = {page\x0cbreak}}\n")
    [entry] = parse_bib(text, "x.bib").entries
    assert entry.key == "key[31m"
    assert entry.reference.fields["title"] == "AB [2Jcleared"
    assert entry.reference.fields["extra"].endswith("\npage break")  # a note goes to Extra
    assert [c.last for c in entry.reference.creators] == ["Doe"]
