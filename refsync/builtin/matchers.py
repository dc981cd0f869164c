"""Built-in plugin 'matchers': the core's identifier rule and title evidence as named matchers.

Thresholds come from ``[plugins.matchers]`` (see ``refsync.matching.index.MatchSettings``).
Both derive from ``CoreMatcher``, so ``MatchIndex`` runs them natively; plugins add further
matchers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from refsync.config import Settings, read_table
from refsync.hookspecs import Matcher, hookimpl
from refsync.matching.index import (
    CoreMatcher,
    Decision,
    MatchSettings,
    compare_fields,
    compare_identifiers,
)
from refsync.model import Reference


class IdentifierMatcher(CoreMatcher):
    """Same DOI, ISBN (books), PMID, PMCID or arXiv id → same work; different ones → not."""

    name = "identifier"

    def decide(self, candidate: Reference, existing: Reference) -> Decision | None:
        return compare_identifiers(candidate, existing)


class TitleMatcher(CoreMatcher):
    """Normalised title, creators, year, container and item type weighed together."""

    name = "title"

    def decide(self, candidate: Reference, existing: Reference) -> Decision | None:
        return compare_fields(candidate, existing, self.settings)


@hookimpl
def register_matchers(settings: Settings) -> Iterable[Matcher]:
    """Both core matchers, sharing the thresholds of ``[plugins.matchers]``."""
    match_settings = read_match_settings(settings.plugin_config("matchers"))
    return [IdentifierMatcher(match_settings), TitleMatcher(match_settings)]


def read_match_settings(table: Mapping[str, Any],
                        source: str = "[plugins.matchers]") -> MatchSettings:
    """Thresholds from a settings table, checked as refsync checks its own settings.

    :raises ConfigError: naming the key that is unknown or not a number.
    """
    return read_table(MatchSettings, table, source)
