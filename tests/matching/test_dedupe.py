"""The dedupe use case: what an import would duplicate, and which library records are one."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from support import FIXTURES

from refsync.hookspecs import Match
from refsync.matching.index import MatchSettings
from refsync.matching.library import duplicate_groups, find_existing
from refsync.model import Creator, Reference

HINTON = (Creator("Hinton", "Geoffrey"),)


def article(title: str, year: str = "2012", **fields: str) -> Reference:
    return Reference("journalArticle", {"title": title, "date": year, **fields}, HINTON)


LIBRARY = [
    article("ImageNet classification with deep convolutional neural networks",
            DOI="10.1145/3065386"),
    article("A fast learning algorithm for deep belief nets", year="2006"),
    article("Dropout: a simple way to prevent neural networks from overfitting", year="2014"),
]


def test_import_reports_existing_records_and_new_ones() -> None:
    candidates = [
        article("Imagenet Classification with Deep Convolutional Neural Networks",
                DOI="https://doi.org/10.1145/3065386"),
        article("A fast learning algorithm for deep belief nets", year="2006"),
        article("Distilling the knowledge in a neural network", year="2015"),
    ]
    found = find_existing(candidates, LIBRARY)
    assert [e.candidate for e in found] == candidates
    assert [e.duplicate is None for e in found] == [False, False, True]
    assert found[0].duplicate == (LIBRARY[0], found[0].matches[0][1])
    assert found[0].duplicate[1].reason == "same DOI"
    assert found[2].duplicate is None and found[2].matches == ()


def test_a_batch_listing_one_work_twice_creates_it_once() -> None:
    twice = [article("Deep residual learning for image recognition", year="2016"),
             article("Deep Residual Learning for Image Recognition.", year="2016")]
    found = find_existing(twice, LIBRARY)
    assert [(e.duplicate, e.same_as) for e in found] == [(None, None), (None, 0)]


def test_trashed_items_are_not_matched() -> None:
    trashed = replace(LIBRARY[1], deleted=True)
    found = find_existing([LIBRARY[1]], [trashed])
    assert found[0].duplicate is None and found[0].same_as is None


def test_related_versions_are_reported_but_do_not_block_the_import() -> None:
    preprint = Reference("preprint", {"title": "Dropout: a simple way to prevent neural "
                                      "networks from overfitting", "date": "2013"}, HINTON)
    (found,) = find_existing([preprint], LIBRARY)
    assert found.duplicate is None
    assert [(ref, d.kind) for ref, d in found.matches] == [(LIBRARY[2], "related")]


class SameKey:
    """A plugin matcher that trusts a shared citation key in Extra."""

    name = "citekey"

    def match(self, candidate: Reference, existing: Reference) -> Match | None:
        key = candidate.get("extra")
        return Match(1.0, "same citation key") if key and key == existing.get("extra") else None


def test_plugin_matchers_from_the_registry_are_consulted() -> None:
    library = [article("Deep belief networks tutorial", year="2006",
                       extra="Citation Key: hinton2006")]
    candidate = article("A fast learning algorithm for deep belief nets", year="2006",
                        extra="Citation Key: hinton2006")
    assert find_existing([candidate], library)[0].duplicate is None
    (found,) = find_existing([candidate], library, matchers=[SameKey()])
    assert found.duplicate is not None
    assert found.duplicate[1].reason == "citekey: same citation key"


def test_duplicate_groups_in_a_library() -> None:
    library = [*LIBRARY, article("A Fast Learning Algorithm for Deep Belief Nets.", year="2006"),
               replace(LIBRARY[0], deleted=True)]
    groups = duplicate_groups(library)
    assert [g.items for g in groups] == [(LIBRARY[1], library[3])]
    assert groups[0].reason == "title 1.00 + 1/1 authors + year"


def test_settings_change_the_verdict() -> None:
    candidate = article("A fast learning algorithm for deep belief networks", year="2007")
    assert find_existing([candidate], LIBRARY)[0].duplicate is not None
    strict = MatchSettings(duplicate_threshold=0.99995)
    assert find_existing([candidate], LIBRARY, settings=strict)[0].duplicate is None


DEDUP = FIXTURES / "dedup"


def load(name: str) -> dict[str, list[Any]]:
    data: dict[str, list[Any]] = json.loads((DEDUP / name).read_text(encoding="utf-8"))
    return data


def test_dblp_records_imported_into_an_acm_library() -> None:
    sample = load("dblp_acm_sample.json")
    library = [Reference.from_dict(r) for r in sample["library"]]
    candidates = [Reference.from_dict(r) for r in sample["candidates"]]
    position = {id(ref): n for n, ref in enumerate(library)}
    found = {(i, position[id(e.duplicate[0])])
             for i, e in enumerate(find_existing(candidates, library)) if e.duplicate}
    truth = {tuple(pair) for pair in sample["pairs"]}
    assert found <= truth  # no paper is ever taken for another
    assert len(found) >= 0.95 * len(truth)


def test_cora_citations_grouped_without_mixing_works() -> None:
    sample = load("cora_sample.json")
    records = [Reference.from_dict(r) for r in sample["records"]]
    labels = sample["clusters"]
    groups = duplicate_groups(records)
    for group in groups:  # every set holds one labelled work only
        assert len({labels[i] for i in group.positions}) == 1
    grouped = sum(len(g.positions) for g in groups)
    clustered = sum(1 for label in labels if labels.count(label) > 1)
    assert grouped >= 0.6 * clustered
