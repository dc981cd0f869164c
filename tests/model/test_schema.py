from __future__ import annotations

from refsync.model import Creator, Reference
from refsync.model.schema import CREATOR_TYPES, ITEM_FIELDS, fit_to_schema, primary_creator


def test_fields_a_type_lacks_move_to_extra_and_nothing_is_lost() -> None:
    ref = Reference("journalArticle", {"title": "T", "edition": "2", "extra": "PMID: 1"},
                    (Creator("Doe", "J", creator_type="bookAuthor"),))
    fitted = fit_to_schema(ref)
    assert set(fitted.fields) <= ITEM_FIELDS["journalArticle"]
    assert fitted.fields["extra"] == "PMID: 1\nedition: 2"
    assert fitted.creators[0].creator_type == "contributor"


def test_valid_records_and_unknown_types_are_left_alone() -> None:
    ok = Reference("book", {"title": "T", "edition": "2"}, (Creator("Doe", "J"),))
    assert fit_to_schema(ok) == ok
    odd = Reference("case", {"title": "T", "court": "X"})
    assert fit_to_schema(odd) == odd


def test_every_type_has_its_primary_creator_first() -> None:
    """The writable-roles table and the primary-creator table are one fact told twice."""
    assert CREATOR_TYPES["computerProgram"][0] == "programmer"
    assert CREATOR_TYPES["patent"][0] == "inventor"
    assert {t: roles[0] for t, roles in CREATOR_TYPES.items()} == {
        t: primary_creator(t) for t in CREATOR_TYPES}
    assert all("title" in fields for fields in ITEM_FIELDS.values())
