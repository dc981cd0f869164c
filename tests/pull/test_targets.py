from __future__ import annotations

import pytest

from refsync.config import Target
from refsync.errors import NotFoundError
from refsync.model import Collection, Reference
from refsync.pull.targets import select_items

COLLECTIONS = [
    Collection("PAPERS01", "Papers"),
    Collection("NEURO001", "neuro-immune", parent="PAPERS01"),
    Collection("DEEP0001", "pain", parent="NEURO001"),
    Collection("OTHER001", "teaching"),
]


def ref(key: str, colls: tuple[str, ...] = (), tags: tuple[str, ...] = (),
        item_type: str = "journalArticle", deleted: bool = False) -> Reference:
    return Reference(item_type, {"title": key}, key=key, collections=colls, tags=tags,
                     deleted=deleted)


ITEMS = [
    ref("A", ("NEURO001",), ("neuro-immune", "review")),
    ref("B", ("NEURO001",), ("neuro-immune",)),
    ref("C", ("DEEP0001",), ("pain",)),
    ref("D", ("OTHER001",), ("review",)),
    ref("E", ("NEURO001",), ("neuro-immune",), item_type="note"),
    ref("F", ("NEURO001",), ("neuro-immune",), deleted=True),
    ref("G", ("NEURO001",), (), item_type="webpage"),
]


def keys(target: Target) -> list[str]:
    return sorted(r.key for r in select_items(target, ITEMS, COLLECTIONS))


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (Target(collection="neuro-immune"), ["A", "B", "G"]),
        (Target(collection="NEURO001"), ["A", "B", "G"]),
        (Target(collection="Papers/neuro-immune"), ["A", "B", "G"]),
        (Target(collection="neuro-immune", subcollections=True), ["A", "B", "C", "G"]),
        (Target(collection="Papers", subcollections=True), ["A", "B", "C", "G"]),
        (Target(collection="Papers"), []),
        (Target(tags=("review",)), ["A", "D"]),
        (Target(tags=("neuro-immune", "review")), ["A"]),
        (Target(tags=("pain || review",)), ["A", "C", "D"]),
        (Target(tags=("neuro-immune", "-review")), ["B"]),
        (Target(collection="neuro-immune", tags=("review",)), ["A"]),
        (Target(collection="neuro-immune", exclude_types=("webpage",)), ["A", "B"]),
    ],
    ids=["name", "key", "path", "subcollections", "parent-deep", "parent-shallow", "tag",
         "tag-and", "tag-or", "tag-not", "collection-and-tag", "exclude-type"],
)
def test_targets_select_the_items_a_user_expects(target: Target, expected: list[str]) -> None:
    assert keys(target) == expected


def test_notes_attachments_and_trashed_items_never_selected() -> None:
    chosen = keys(Target())
    assert "E" not in chosen and "F" not in chosen


def test_unknown_collection_lists_closest_names() -> None:
    with pytest.raises(NotFoundError, match=r"no collection 'neuro-imune'.*'Papers/neuro-immune'"):
        keys(Target(collection="neuro-imune"))


def test_unknown_tag_lists_closest_names() -> None:
    with pytest.raises(NotFoundError, match=r"tag 'neuroimmune'.*'neuro-immune'"):
        keys(Target(tags=("neuroimmune",)))


def test_ambiguous_collection_name_asks_for_a_path() -> None:
    rows = [*COLLECTIONS, Collection("DUP00001", "pain", parent="OTHER001")]
    with pytest.raises(NotFoundError, match="ambiguous"):
        select_items(Target(collection="pain"), ITEMS, rows)
