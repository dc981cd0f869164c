from __future__ import annotations

import json

import pytest

from refsync.model import Creator, PartialDate, Reference, parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2017-02-09", PartialDate(2017, 2, 9)), ("02/2017", PartialDate(2017, 2)),
     ("2012", PartialDate(2012)), ("March 5, 2012", PartialDate(2012, 3, 5)),
     ("5 March 2012", PartialDate(2012, 3, 5)), ("Spring 2001", PartialDate(2001)),
     ("2020-00-00", PartialDate(2020)), ("2011-03-04T10:00:00Z", PartialDate(2011, 3, 4)),
     ("", PartialDate()), ("n.d.", PartialDate())],
    ids=["iso", "month-year", "year", "us-long", "long", "season", "zero-parts", "timestamp",
         "empty", "no-date"],
)
def test_dates_as_zotero_users_type_them(text: str, expected: PartialDate) -> None:
    assert parse_date(text) == expected


def test_record_survives_the_cache_round_trip_with_orcids_and_relations() -> None:
    ref = Reference("journalArticle", {"title": "T", "date": "2012", "DOI": "10.1/x"},
                    (Creator("Doe", "Jane", orcid="0000-0001-2345-6789"),
                     Creator(name="World Health Organization")),
                    key="ABCD2345", version=7, library="user:1", tags=("a",),
                    relations={"has-preprint": ("10.1101/x",)})
    again = Reference.from_dict(json.loads(json.dumps(ref.as_dict())))
    assert again == ref


def test_zotero_item_data_round_trip_keeps_corporate_names_single_field() -> None:
    data = {"itemType": "report", "title": "R", "creators": [
        {"creatorType": "author", "name": "World Health Organization"},
        {"creatorType": "editor", "firstName": "J.", "lastName": "Doe"}],
        "tags": [{"tag": "who"}], "collections": ["C1"], "key": "K", "version": 3,
        "dateAdded": "2020-01-01T00:00:00Z"}
    ref = Reference.from_zotero(data, library="group:9")
    assert ref.creators[0].is_single_field and ref.creators[1].family == "Doe"
    assert ref.to_zotero()["creators"] == data["creators"]
    assert "dateAdded" not in ref.fields


def test_completed_by_fills_gaps_and_keeps_own_values() -> None:
    mine = Reference("journalArticle", {"title": "Mine", "DOI": "10.1/x"})
    crossref = Reference("journalArticle", {"title": "Theirs", "volume": "5"},
                         (Creator("Doe", "J"),))
    done = mine.completed_by(crossref)
    assert done.fields == {"title": "Mine", "volume": "5", "DOI": "10.1/x"}
    assert done.creators == crossref.creators
