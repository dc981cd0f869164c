"""The built-in 'identifier' and 'title' matchers, as a plugin registry hands them out."""

from __future__ import annotations

import pytest

from refsync.builtin.matchers import IdentifierMatcher, TitleMatcher, read_match_settings
from refsync.config import Settings
from refsync.errors import ConfigError
from refsync.hookspecs import Match, Matcher
from refsync.matching.index import MatchIndex
from refsync.model import Creator, Reference
from refsync.plugins import Registry, make_plugin_manager

AUTHORS = (Creator("Lovelace", "Ada"),)


def ref(title: str, **fields: str) -> Reference:
    return Reference("journalArticle", {"title": title, "date": "1843", **fields}, AUTHORS)


def registry(settings: Settings | None = None) -> Registry:
    return Registry.from_plugin_manager(make_plugin_manager(entrypoints=False),
                                        settings or Settings())


def test_hook_register_matchers() -> None:
    matchers = registry().matchers
    assert sorted(matchers) == ["identifier", "title"]
    assert all(isinstance(m, Matcher) for m in matchers.values())


def test_identifier_matcher_speaks_only_about_identifiers() -> None:
    matcher = IdentifierMatcher()
    same = matcher.match(ref("Notes", DOI="10.1000/NOTES"), ref("Other", DOI="doi:10.1000/notes"))
    assert same == Match(1.0, "same DOI")
    assert matcher.match(ref("Notes", DOI="10.1000/a"), ref("Notes", DOI="10.1000/b")) == Match(
        0.0, "different DOIs")
    assert matcher.match(ref("Notes"), ref("Notes")) is None


def test_title_matcher_ignores_identifiers() -> None:
    verdict = TitleMatcher().match(ref("Notes on the analytical engine", DOI="10.1000/a"),
                                   ref("Notes on the Analytical Engine", DOI="10.1000/b"))
    assert verdict is not None and verdict.score >= 0.99
    assert verdict.reason == "title 1.00 + 1/1 authors + year"


def test_thresholds_come_from_plugin_settings() -> None:
    settings = Settings(plugins={"matchers": {"duplicate_threshold": 0.5}})
    title = registry(settings).matchers["title"]
    assert isinstance(title, TitleMatcher)
    assert title.settings.duplicate_threshold == 0.5
    with pytest.raises(ConfigError, match="treshold: unknown setting"):
        registry(Settings(plugins={"matchers": {"treshold": 1}}))
    with pytest.raises(ConfigError, match="year_tolerance: expected a number"):
        registry(Settings(plugins={"matchers": {"year_tolerance": "one"}}))
    assert read_match_settings({"max_block": "50"}).max_block == 50


def test_index_runs_built_ins_natively_and_third_party_matchers_on_blocked_pairs() -> None:
    calls: list[str] = []

    class Counting:
        name = "counting"

        def match(self, candidate: Reference, existing: Reference) -> Match | None:
            calls.append(existing.title)
            return None

    library = [ref("Notes on the analytical engine"), ref("Sketch of the engine")]
    index = MatchIndex(library, matchers=[*registry().matchers.values(), Counting()])
    assert index.matchers[0].name == "counting" and len(index.matchers) == 1
    found = index.find(ref("Notes on the Analytical Engine."))
    assert [r for r, _ in found] == [library[0]]
    assert "Notes on the analytical engine" in calls


def test_configured_thresholds_reach_the_index_through_the_registry() -> None:
    stored = ref("Notes on the analytical engine")
    later = Reference("journalArticle", {"title": "Notes on the analytical engine",
                                         "date": "1844"}, AUTHORS)
    lenient = registry().matchers.values()
    strict = registry(Settings(plugins={"matchers": {"duplicate_threshold": 0.999999}}))
    assert MatchIndex([stored], matchers=lenient).find(later)
    assert MatchIndex([stored], matchers=strict.matchers.values()).find(later) == []
