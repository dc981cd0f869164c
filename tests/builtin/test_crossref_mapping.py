"""Crossref work → Reference: what a user sees in Zotero and the .bib, for real and odd records."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from support import FIXTURES

from refsync.builtin.crossref.mapping import (
    clean_abstract,
    clean_title,
    item_type_of,
    work_to_reference,
)
from refsync.model import Creator, Reference
from refsync.model.schema import ITEM_FIELDS

WORKS = FIXTURES / "crossref" / "works"
ALL_FILES = sorted(WORKS.glob("*.json"))


def recorded(doi: str) -> dict[str, Any]:
    for path in ALL_FILES:
        message = json.loads(path.read_text(encoding="utf-8"))["message"]
        if message["DOI"].lower() == doi:
            return message
    raise LookupError(doi)


def work(**fields: Any) -> dict[str, Any]:
    """A minimal hostile-or-not work; only what a test names."""
    return {"DOI": "10.5555/test", "type": "journal-article", **fields}


def names(ref: Reference) -> list[tuple[str, str, str, str]]:
    return [(c.creator_type, c.last, c.first, c.name) for c in ref.creators]


# -- every recorded work ------------------------------------------------------------------


@pytest.mark.parametrize("path", ALL_FILES, ids=[p.stem for p in ALL_FILES])
def test_every_recorded_work_maps_to_fields_zotero_accepts(path: Path) -> None:
    message = json.loads(path.read_text(encoding="utf-8"))["message"]
    ref = work_to_reference(message)
    assert ref.doi == message["DOI"].lower()
    assert ref.get("libraryCatalog") == "Crossref"
    assert ref.title and "[No title found]" not in ref.title
    assert set(ref.fields) <= ITEM_FIELDS[ref.item_type]
    assert all(v == v.strip() and v for v in ref.fields.values())
    assert "<jats:" not in ref.get("abstractNote") and "<" not in ref.get("abstractNote")[:1]
    assert all(c.family for c in ref.creators)


def test_journal_article_fields() -> None:
    ref = work_to_reference(recorded("10.1371/journal.pone.0033693"))
    assert ref.item_type == "journalArticle"
    assert ref.title.startswith("Methylphenidate Exposure Induces Dopamine Neuron Loss")
    assert ref.fields["publicationTitle"] == "PLoS ONE"
    assert "journalAbbreviation" not in ref.fields  # same as the container title
    assert (ref.get("volume"), ref.get("issue"), ref.get("pages")) == ("7", "3", "e33693")
    assert ref.get("date") == "2012-03-21"
    assert ref.get("ISSN") == "1932-6203"
    assert ref.get("url") == "https://dx.plos.org/10.1371/journal.pone.0033693"
    assert ref.creators[0] == Creator(last="Sadasivan", first="Shankar")


def test_abbreviation_kept_when_it_differs() -> None:
    ref = work_to_reference(recorded("10.1038/nnano.2014.279"))
    assert ref.get("publicationTitle") == "Nature Nanotechnology"
    assert ref.get("journalAbbreviation") == "Nature Nanotech"
    assert ref.get("ISSN") == "1748-3387, 1748-3395"


def test_article_number_stands_in_for_pages() -> None:
    assert work_to_reference(recorded("10.1103/physreva.106.022212")).get("pages") == "022212"


def test_orcid_lands_on_the_creator() -> None:
    ref = work_to_reference(recorded("10.1016/j.ffa.2015.10.008"))
    assert ref.creators[0].orcid == "0000-0003-2908-8651"
    assert ref.creators[1].orcid == ""


def test_book_chapter_authors_are_authors_not_book_authors() -> None:
    ref = work_to_reference(recorded("10.1007/978-3-0348-8720-5_13"))
    assert ref.item_type == "bookSection"
    assert ref.get("bookTitle") == "Hyperbolic Problems: Theory, Numerics, Applications"
    assert ref.get("ISBN") == "9783034897426, 9783034887205"
    assert ref.get("place") == "Basel"
    assert ref.get("date") == "1999"
    assert names(ref) == [
        ("author", "Bouchut", "François", ""), ("author", "James", "François", "")
    ]


def test_proceedings_article() -> None:
    ref = work_to_reference(recorded("10.1109/icdcsw.2003.1203662"))
    assert ref.item_type == "conferencePaper"
    assert ref.get("proceedingsTitle").startswith("23rd International Conference on Distributed")
    assert ref.get("conferenceName").startswith("23rd International Conference")
    assert ref.get("place") == "Providence, Rhode Island, USA"
    assert ref.get("pages") == "877-882"


def test_dataset_uses_repository_names() -> None:
    ref = work_to_reference(recorded("10.1186/isrctn11093872"))
    assert ref.item_type == "dataset"
    assert ref.get("repository") == "Springer Science and Business Media LLC"
    assert ref.get("repositoryLocation") == "London, UK"
    assert "publisher" not in ref.fields


def test_peer_review_is_a_manuscript_linked_to_what_it_reviews() -> None:
    ref = work_to_reference(recorded("10.7287/peerj.3819v0.1/reviews/2"))
    assert ref.item_type == "manuscript"
    assert ref.get("manuscriptType") == "peer review"
    assert ref.relations == {"is-review-of": ("10.7717/peerj.3819",)}


def test_journal_record_with_null_issued_has_no_date() -> None:
    ref = work_to_reference(recorded("10.1111/(issn)1442-9993"))
    assert ref.item_type == "journalArticle"
    assert ref.title == "Austral Ecology"
    assert "date" not in ref.fields


def test_preprint_relation_is_kept() -> None:
    ref = work_to_reference(recorded("10.3389/fgene.2017.00147"))
    assert ref.relations == {"has-preprint": ("10.1101/171108",)}


def test_jats_abstract_becomes_clean_paragraphs_and_title_keeps_italics() -> None:
    ref = work_to_reference(recorded("10.1136/jclinpath-2020-206745"))
    assert ref.title.startswith("Construction of a reference material panel for detecting "
                                "<i>KRAS</i> / <i>NRAS</i>")
    abstract = ref.get("abstractNote")
    assert abstract.startswith("Background\nThe absence of high-quality")
    assert "<" not in abstract and "  " not in abstract


def test_family_only_author_is_a_single_field_name() -> None:
    ref = work_to_reference(recorded("10.3892/ijo_00000353"))
    assert ref.creators == (Creator(name="Stravopodis"),)


# -- types ----------------------------------------------------------------------------------

TYPES = [
    ("journal-article", "journalArticle"), ("journal", "journalArticle"),
    ("journal-volume", "journalArticle"), ("journal-issue", "journalArticle"),
    ("report", "report"), ("report-series", "report"), ("report-component", "report"),
    ("book", "book"), ("book-series", "book"), ("book-set", "book"), ("book-track", "book"),
    ("monograph", "book"), ("reference-book", "book"), ("edited-book", "book"),
    ("book-chapter", "bookSection"), ("book-part", "bookSection"),
    ("book-section", "bookSection"), ("reference-entry", "bookSection"),
    ("standard", "standard"), ("dataset", "dataset"), ("database", "dataset"),
    ("proceedings-article", "conferencePaper"), ("proceedings", "conferencePaper"),
    ("proceedings-series", "conferencePaper"), ("dissertation", "thesis"),
    ("peer-review", "manuscript"), ("component", "document"), ("grant", "document"),
    ("other", "document"), ("posted-content", "blogPost"), ("no-such-type", "document"),
]


@pytest.mark.parametrize(("crossref_type", "item_type"), TYPES, ids=[t for t, _ in TYPES])
def test_every_crossref_type_has_an_item_type(crossref_type: str, item_type: str) -> None:
    ref = work_to_reference(work(type=crossref_type, title=["T"], **{"container-title": ["C"]}))
    assert item_type_of(work(type=crossref_type)) == item_type == ref.item_type
    assert set(ref.fields) <= ITEM_FIELDS[item_type]


def test_posted_content_preprint_takes_its_repository_from_the_publisher() -> None:
    ref = work_to_reference(work(type="posted-content", subtype="preprint",
                                 publisher="Cold Spring Harbor Laboratory",
                                 **{"group-title": "Ecology"}))
    assert ref.item_type == "preprint"
    assert ref.get("repository") == "Cold Spring Harbor Laboratory"


def test_other_with_isbn_and_container_is_a_book_section() -> None:
    ref = work_to_reference(work(type="other", ISBN=["9780000000001"],
                                 **{"container-title": ["Series", "The Book"]}))
    assert ref.item_type == "bookSection"
    assert (ref.get("series"), ref.get("bookTitle")) == ("Series", "The Book")


def test_container_by_type() -> None:
    book = work_to_reference(work(type="book", **{"container-title": ["Lecture Notes"]}))
    report = work_to_reference(work(type="report", **{"container-title": ["Working papers"]},
                                    publisher="Fed", institution=[{"name": "FRB Cleveland",
                                                                   "place": ["Cleveland, OH"]}]))
    assert book.get("series") == "Lecture Notes"
    assert report.get("seriesTitle") == "Working papers"
    assert report.get("institution") == "FRB Cleveland"
    assert report.get("place") == "Cleveland, OH"


def test_report_without_institution_keeps_its_publisher() -> None:
    assert work_to_reference(work(type="report", publisher="RAND")).get("institution") == "RAND"


def test_dissertation() -> None:
    ref = work_to_reference(work(
        type="dissertation",
        degree=["Master of Science in Computer Science (MSCS)"],
        institution=[{"name": "The University of Iowa", "place": ["Iowa City, IA"]}],
        issued={"date-parts": [[None]]},
        approved={"date-parts": [[1958, 6]]},
        editor=[{"given": "E", "family": "Ditor", "sequence": "first"}],
    ))
    assert ref.item_type == "thesis"
    assert ref.get("thesisType") == "Master of Science in Computer Science"
    assert ref.get("university") == "The University of Iowa"
    assert ref.get("place") == "Iowa City, IA"
    assert ref.get("date") == "1958-06"
    assert names(ref) == [("contributor", "Ditor", "E", "")]  # theses have no editors


@pytest.mark.parametrize(("degree", "expected"), [
    ("PhD (Physics) " + "(" * 100_000, "PhD " + "(" * 100_000),  # each "(" scanned to the end
    ("PhD" + " " * 100_000 + "x (Physics)", "PhD" + " " * 100_000 + "x"),  # each space rescanned
    # the rest of the run
])
def test_a_hostile_degree_is_read_at_once(
    within: Callable[[float], AbstractContextManager[None]], degree: str, expected: str
) -> None:
    with within(2):
        ref = work_to_reference(work(type="dissertation", degree=[degree]))
    assert ref.get("thesisType") == expected


def test_blog_post_title_from_institution() -> None:
    ref = work_to_reference(work(type="posted-content", subtype="other",
                                 institution=[{"name": "QDR Blog"}]))
    assert ref.item_type == "blogPost"
    assert ref.get("blogTitle") == "QDR Blog"


def test_peer_review_without_author_is_anonymous() -> None:
    ref = work_to_reference(work(type="peer-review", author=[{"sequence": "first"}]))
    assert ref.creators == (Creator(name="Anonymous Reviewer"),)


# -- creators -------------------------------------------------------------------------------


def test_creators_in_sequence_order_with_roles() -> None:
    ref = work_to_reference(work(
        author=[
            {"sequence": "additional", "affiliation": [{"name": "Nowhere"}]},  # nameless
            {"given": "B", "family": "Second", "sequence": "additional"},
            {"given": "A", "family": "First", "sequence": "first",
             "ORCID": "https://orcid.org/0000-0002-1642-628X"},
            {"name": "The Consortium", "sequence": "additional"},
        ],
        editor=[{"given": "E", "family": "Editor", "sequence": "first"}],
        translator=[{"family": "Solo", "sequence": "first"}],
        chair=[{"given": "C", "family": "Chair", "sequence": "first"}],
    ))
    assert names(ref) == [
        ("author", "First", "A", ""), ("author", "Second", "B", ""),
        ("author", "", "", "The Consortium"), ("editor", "Editor", "E", ""),
        ("translator", "", "", "Solo"), ("contributor", "Chair", "C", ""),
    ]
    assert ref.creators[0].orcid == "0000-0002-1642-628X"


@pytest.mark.parametrize(
    ("family", "given", "expected"),
    [("SMITH", "JOHN", ("Smith", "John")), ("O'NEIL-DAY", "J. R.", ("O'Neil-Day", "J. R.")),
     ("van der Berg", "Anna", ("van der Berg", "Anna")), ("MÜLLER", "Jörg", ("Müller", "Jörg"))],
    ids=["all-caps", "hyphen-apostrophe", "particles-kept", "unicode"],
)
def test_all_caps_names_are_recapitalised(
    family: str, given: str, expected: tuple[str, str]
) -> None:
    ref = work_to_reference(work(author=[{"family": family, "given": given, "sequence": "first"}]))
    assert (ref.creators[0].last, ref.creators[0].first) == expected


def test_hostile_shapes_do_not_break_the_mapping() -> None:
    ref = work_to_reference({
        "DOI": "10.5555/ODD", "type": None, "title": [None], "author": [None, "x", {}],
        "issued": {"date-parts": [[None]]}, "published": [], "relation": {"x": "y"},
        "resource": [], "license": [None], "container-title": "not a list",
        "ISSN": [None, ""], "page": 7,
    })
    assert ref.item_type == "document"
    assert ref.fields == {"DOI": "10.5555/odd", "libraryCatalog": "Crossref"}
    assert ref.creators == ()


# -- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        ({"published-print": [[2017, 2]], "published-online": [[2016, 12, 30]]}, "2017-02"),
        ({"published-online": [[2016, 12, 30]], "issued": [[2016]]}, "2016-12-30"),
        ({"issued": [[None]], "published": [[2015, 5, 1]]}, "2015-05-01"),
        ({"posted": [[2020, 4, 7]]}, "2020-04-07"),
        ({"issued": [["2019", "11"]]}, "2019-11"),
        ({"issued": [[2019, 13, 40]]}, "2019"),
        ({"issued": [[None]]}, ""),
    ],
    ids=["print-first", "online-next", "null-issued", "posted", "strings", "bad-month", "none"],
)
def test_date_order_and_partial_dates(dates: dict[str, Any], expected: str) -> None:
    message = work(**{k: {"date-parts": v} for k, v in dates.items()})
    assert work_to_reference(message).get("date") == expected


# -- titles and markup ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "subtitle", "expected"),
    [
        (["Deep learning"], ["a review"], "Deep learning: a review"),
        (["Deep learning: a review"], ["A Review"], "Deep learning: a review"),
        ([], [], ""),
        ([], ["Only a subtitle"], "Only a subtitle"),
        (["  spaced \n  out  "], [], "spaced out"),
    ],
    ids=["joined", "contained", "empty", "subtitle-only", "whitespace"],
)
def test_title_and_subtitle(title: list[str], subtitle: list[str], expected: str) -> None:
    assert work_to_reference(work(title=title, subtitle=subtitle)).title == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"title": ["Deep learning: a review"]}, "Deep learning"),
        ({"title": ["Deep learning"], "subtitle": ["A review"]}, "Deep learning"),
        ({"title": ["No colon here"]}, None),
        ({"title": ["A: B"], "short-title": ["Given short"]}, "Given short"),
        ({"title": [": starts with a colon"]}, None),
    ],
    ids=["colon", "subtitle", "none", "recorded-short-title", "leading-colon"],
)
def test_short_title(fields: dict[str, Any], expected: str | None) -> None:
    assert work_to_reference(work(**fields)).fields.get("shortTitle") == expected


def test_repeated_issn_is_written_once() -> None:
    assert work_to_reference(work(ISSN=["1944-0413", "1944-0413"])).get("ISSN") == "1944-0413"


def test_empty_title_is_left_empty() -> None:
    assert "title" not in work_to_reference(work(title=[])).fields


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<mml:math><mml:msub><mml:mi>H</mml:mi><mml:mn>2</mml:mn></mml:msub></mml:math>O splits",
         "H<sub>2</sub>O splits"),
        ("Signal <mml:math><mml:msup><mml:mi>e</mml:mi><mml:mrow><mml:mo>-</mml:mo><mml:mi>x"
         "</mml:mi></mml:mrow></mml:msup></mml:math> decay", "Signal e<sup>-x</sup> decay"),
        ("<jats:italic>E. coli</jats:italic> and <jats:bold>B</jats:bold>",
         "<i>E. coli</i> and <b>B</b>"),
        ("CO<sub>2</sub> &amp;amp; <scp>Small Caps</scp>", "CO<sub>2</sub> & Small Caps"),
        ("p &lt; 0.05 in <![CDATA[raw]]> text", "p < 0.05 in raw text"),
        ("<mml:math><mml:mi>x</mml:mi><mml:annotation encoding='TeX'>x</mml:annotation>"
         "</mml:math>-ray", "x-ray"),
        ("stray </i> close", "stray close"),
        # a "<" that no ">" closes is text: html.parser read "<b in <i>" as a bold tag
        ("Survival when a<b in <i>vivo</i>", "Survival when a<b in <i>vivo</i>"),
        ("x<y<!--note--> and z", "x<y and z"),
    ],
    ids=["mathml-sub", "mathml-sup", "jats-rich", "entities", "cdata", "tex-annotation", "stray",
         "less-than", "less-than-before-comment"],
)
def test_clean_title(raw: str, expected: str) -> None:
    assert clean_title(raw) == expected


@pytest.mark.parametrize("raw", [
    "<i" * 100_000,  # html.parser looked for the end of each tag from each "<"
    "<!--" * 100_000,  # … and of each comment
    "<i>" * 50_000 + "</b>" * 50_000,  # each stray closing tag searched the open ones
], ids=["unclosed-tags", "unclosed-comments", "stray-closing-tags"])
def test_hostile_markup_is_read_at_once(
    within: Callable[[float], AbstractContextManager[None]], raw: str
) -> None:
    with within(2):
        title, abstract = clean_title(raw), clean_abstract(raw)
    assert "<b>" not in title and "</b>" not in abstract


def test_clean_abstract() -> None:
    raw = ("<jats:title>Abstract</jats:title>\n  <jats:sec><jats:title>Aims</jats:title>"
           "<jats:p>Masses &amp;lt;1 M⊙ with <jats:italic>x</jats:italic>\n   and y.</jats:p>"
           "</jats:sec><jats:p>Second   paragraph.</jats:p>")
    assert clean_abstract(raw) == "Aims\nMasses <1 M⊙ with x and y.\nSecond paragraph."


def test_doi_is_lower_cased_and_relations_keep_only_dois() -> None:
    message = work(DOI="10.1103/PhysRevB.110.245108", relation={
        "is-preprint-of": [{"id-type": "doi", "id": "10.1103/PHYSREVB.1", "asserted-by": "object"}],
        "has-review": [{"id-type": "uri", "id": "https://example.org/review"}],
        "is-version-of": [{"id-type": "doi", "id": "10.48550/arXiv.2401.00001"}],
    })
    ref = work_to_reference(message)
    assert ref.doi == "10.1103/physrevb.110.245108"
    assert ref.relations == {"is-preprint-of": ("10.1103/physrevb.1",),
                             "is-version-of": ("10.48550/arxiv.2401.00001",)}


def test_mapping_does_not_mutate_its_input() -> None:
    message = recorded("10.1038/srep16696")
    before = copy.deepcopy(message)
    work_to_reference(message)
    assert message == before
