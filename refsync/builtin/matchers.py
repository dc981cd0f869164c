"""Built-in plugin 'matchers': the core's identifier rule and title evidence as named matchers.

Thresholds come from ``[plugins.matchers]`` (see ``refsync.match.MatchSettings``). Both derive
from ``CoreMatcher``, so ``MatchIndex`` runs them natively; plugins add further matchers.
"""

from __future__ import annotations

from collections.abc import Iterable

from refsync.config import Settings
from refsync.hookspecs import Matcher, hookimpl
from refsync.match import (
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
    match_settings = MatchSettings.from_mapping(settings.plugin_config("matchers"))
    return [IdentifierMatcher(match_settings), TitleMatcher(match_settings)]
