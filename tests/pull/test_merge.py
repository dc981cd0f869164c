from __future__ import annotations

import pytest

from refsync.errors import BibParseError
from refsync.pull.merge import entry_hash, merge_entries, split_bib

A = "@article{a,\n  title = {A},\n}\n"
B = "@article{b,\n  title = {B},\n}\n"
B_ZOTERO = B.replace("{B}", "{B from Zotero}")
B_HAND = B.replace("{B}", "{B by hand}")
BASE = {"a": entry_hash(A), "b": entry_hash(B)}


def test_hand_edit_of_an_entry_zotero_did_not_change_is_kept() -> None:
    result = merge_entries({"a": A, "b": B_HAND}, BASE, {"a": A, "b": B})
    assert result.entries == {"a": A, "b": B_HAND}
    assert result.kept_hand_edits == ["b"] and not result.conflicts


def test_zotero_change_of_an_untouched_entry_is_taken() -> None:
    result = merge_entries({"a": A, "b": B}, BASE, {"a": A, "b": B_ZOTERO})
    assert result.entries["b"] == B_ZOTERO


def test_both_changing_one_entry_is_a_conflict() -> None:
    result = merge_entries({"a": A, "b": B_HAND}, BASE, {"a": A, "b": B_ZOTERO})
    assert result.conflicts == ["b"]


def test_same_change_on_both_sides_is_no_conflict() -> None:
    result = merge_entries({"a": A, "b": B_ZOTERO}, BASE, {"a": A, "b": B_ZOTERO})
    assert not result.conflicts and result.entries["b"] == B_ZOTERO


def test_hand_added_entries_survive_and_removed_items_go() -> None:
    extra = "@misc{coauthor,\n  title = {Theirs},\n}\n"
    result = merge_entries({"a": A, "b": B, "coauthor": extra}, BASE, {"a": A})
    assert sorted(result.entries) == ["a", "coauthor"]


def test_split_keeps_strings_and_reports_broken_entries_by_line() -> None:
    blocks = split_bib("% header\n@string{nrc = {Nat Rev Cancer}}\n" + A + B, "refs.bib")
    assert blocks.header == "% header\n" and len(blocks.extras) == 1
    assert list(blocks.entries) == ["a", "b"]
    with pytest.raises(BibParseError, match=r"refs\.bib:5: unbalanced braces in '@article\{b'"):
        split_bib(A + "\n" + "@article{b,\n title = {x}\n", "refs.bib")


def test_escaped_braces_do_not_count_as_unbalanced() -> None:
    assert "x" in split_bib("@misc{x,\n  title = {a \\{ b},\n}\n", "r.bib").entries


def test_a_key_used_twice_is_reported() -> None:
    with pytest.raises(BibParseError, match="used twice"):
        split_bib(A + A, "refs.bib")
