"""CSL-JSON and Zotero JSON exporters, and the schema tables they share with the .bib writer."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager

from support import ZOTERO_TYPES

from refsync.builtin.jsonformats import (
    CSL_TYPE,
    CslJsonExporter,
    ZoteroJsonExporter,
    register_exporters,
)
from refsync.config import Settings
from refsync.model import Creator, Reference
from refsync.model.schema import base_fields, primary_creator

CHAPTER = Reference(
    "bookSection",
    {"title": "A chapter", "bookTitle": "The book", "publisher": "Pub", "place": "Oslo",
     "date": "2019-03", "pages": "1-10", "DOI": "10.1/x", "accessDate": "2020-01-02",
     "series": "Lecture Notes", "extra": "Original note"},
    (Creator("Doe", "Jane"), Creator(name="ACME Lab"), Creator("Roe", "R", creator_type="editor"),
     Creator("Poe", "P", creator_type="seriesEditor")),
    key="ABCD1234",
)


def test_every_zotero_item_type_has_a_csl_type() -> None:
    assert set(ZOTERO_TYPES) <= set(CSL_TYPE)


def test_base_fields_map_type_specific_names_and_read_extra() -> None:
    thesis = Reference("thesis", {"university": "MIT", "thesisType": "PhD",
                                  "extra": "DOI: 10.1/t\nPublisher: ignored"})
    assert base_fields(thesis) == {"publisher": "MIT", "type": "PhD", "DOI": "10.1/t",
                                   "extra": "DOI: 10.1/t\nPublisher: ignored"}


def test_primary_creator() -> None:
    assert primary_creator("computerProgram") == "programmer"
    assert primary_creator("journalArticle") == "author"


def test_csljson_item() -> None:
    [item] = json.loads(CslJsonExporter().export({"doe2019": CHAPTER}))
    assert item == {
        "id": "doe2019", "citation-key": "doe2019", "type": "chapter", "title": "A chapter",
        "container-title": "The book",
        "publisher": "Pub", "publisher-place": "Oslo", "event-place": "Oslo",
        "issued": {"date-parts": [[2019, 3]]}, "accessed": {"date-parts": [[2020, 1, 2]]},
        "page": "1-10", "DOI": "10.1/x", "collection-title": "Lecture Notes",
        "note": "Original note",
        "author": [{"family": "Doe", "given": "Jane"}, {"literal": "ACME Lab"}],
        "editor": [{"family": "Roe", "given": "R"}],
        "collection-editor": [{"family": "Poe", "given": "P"}],
    }


def test_csljson_primary_creators_become_authors_and_odd_dates_stay_literal() -> None:
    program = Reference("computerProgram", {"title": "Tool", "date": "Spring term"},
                        (Creator("Coder", "C", creator_type="programmer"),))
    [item] = json.loads(CslJsonExporter().export({"tool": program}))
    assert item["type"] == "software"
    assert item["author"] == [{"family": "Coder", "given": "C"}]
    assert item["issued"] == {"literal": "Spring term"}


def test_zotero_json_carries_the_citation_key() -> None:
    [item] = json.loads(ZoteroJsonExporter().export({"doe2019": CHAPTER}))
    assert item["citationKey"] == "doe2019"
    assert item["itemType"] == "bookSection" and item["bookTitle"] == "The book"
    assert Reference.from_zotero(item).creators == CHAPTER.creators


def test_exports_are_deterministic_json_with_a_final_newline() -> None:
    for exporter in (CslJsonExporter(), ZoteroJsonExporter()):
        text = exporter.export({"b": CHAPTER, "a": CHAPTER})
        assert text.endswith("]\n") and text == exporter.export({"b": CHAPTER, "a": CHAPTER})
        assert [i.get("id", i.get("citationKey")) for i in json.loads(text)] == ["b", "a"]
        assert exporter.export({}) == "[]\n"


def test_plugin_registers_both() -> None:
    assert [(e.name, e.suffix) for e in register_exporters(Settings())] == [
        ("csljson", ".json"), ("json", ".json")]


def test_long_runs_of_whitespace_in_extra_are_read_at_once(
    within: Callable[[float], AbstractContextManager[None]],
) -> None:
    """Extra is free text: its "Label: value" pattern used to split a run of spaces every way
    (quadratic; 100k spaces took over 5 s) and rescan blank lines from each line start."""
    run = " " * 100_000
    extra = (f"Publisher{run}x\nDOI: 10.1000/abc{run}x\n" + "\n" * 100_000
             + "x\nPublisher Place: Paris")
    with within(2):
        fields = base_fields(Reference("book", {"extra": extra}))
    assert fields["DOI"] == f"10.1000/abc{run}x"
    assert fields["place"] == "Paris"
    assert "publisher" not in fields


def test_an_empty_label_in_extra_does_not_take_the_next_line() -> None:
    """Zotero reads Extra line by line: "Publisher:" with nothing after it has no value, and the
    line after it ("DOI: ...") is an entry of its own, not the publisher's name."""
    extra = "Original Date:\nDOI: 10.1000/abc\nPublisher:  \nPublisher Place: Paris"
    fields = base_fields(Reference("book", {"extra": extra}))
    assert fields["DOI"] == "10.1000/abc"
    assert fields["place"] == "Paris"
    assert "publisher" not in fields
