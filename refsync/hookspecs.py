"""The plugin contract: the hooks refsync calls and the small protocols their objects satisfy.

Every extension point has one shape: a ``register_<things>(settings)`` hook returns objects with
a ``name`` that users select in settings. Built-ins are registered exactly like third-party
plugins (see ``plugins.DEFAULT_PLUGINS``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import pluggy

from refsync.errors import RefsyncError
from refsync.model import Reference

if TYPE_CHECKING:  # named in signatures only: the contract does not load settings
    import click

    from refsync.config import Settings

__all__ = [
    "EntryExporter",
    "Exporter",
    "KeyFormatter",
    "Match",
    "Matcher",
    "Resolver",
    "hookimpl",
    "hookspec",
]

hookspec = pluggy.HookspecMarker("refsync")
hookimpl = pluggy.HookimplMarker("refsync")


@runtime_checkable
class Resolver(Protocol):
    """Turns normalised DOIs into records, batching as its service allows."""

    name: str

    def resolve(self, dois: Sequence[str]) -> Mapping[str, Reference | RefsyncError]:
        """Look up many DOIs at once.

        :returns: an entry per DOI it was asked for: the record, or the error for that DOI
            (``NotFoundError`` when the service does not know it, so the next resolver is tried).
        """
        ...


@runtime_checkable
class Exporter(Protocol):
    """Writes records out in one format (``bibtex``, ``csljson`` …)."""

    name: str
    suffix: str

    def export(self, entries: Mapping[str, Reference]) -> str:
        """Render entries keyed by citation key, in the mapping's order, as one document."""
        ...


@runtime_checkable
class EntryExporter(Exporter, Protocol):
    """An exporter whose document is a run of independent entries, as a .bib is.

    ``pull`` merges such a file entry by entry, so the author's hand edits to one entry survive
    Zotero's changes to the others; any other exporter's file is rewritten whole.
    """

    def render_entries(self, entries: Mapping[str, Reference]) -> dict[str, str]:
        """Each entry's text by key, in the mapping's order; ``export`` joins them."""
        ...


@runtime_checkable
class KeyFormatter(Protocol):
    """Proposes a base citation key; the core sanitises it and adds collision suffixes."""

    name: str

    def format_key(self, ref: Reference) -> str: ...


@dataclass(frozen=True)
class Match:
    """A matcher's verdict: ``score`` in [0, 1] and a reason a person can read."""

    score: float
    reason: str


@runtime_checkable
class Matcher(Protocol):
    """Decides whether two records are the same work."""

    name: str

    def match(self, candidate: Reference, existing: Reference) -> Match | None: ...


@hookspec
def register_resolvers(settings: Settings) -> Iterable[Resolver]:  # type: ignore[empty-body]
    """Return resolvers; ``settings.resolvers`` selects them by name and sets their order.

    :param settings: the merged settings of this run.
    """


@hookspec
def register_exporters(settings: Settings) -> Iterable[Exporter]:  # type: ignore[empty-body]
    """Return exporters; a target's ``format`` or ``--format`` selects one by name.

    :param settings: the merged settings of this run.
    """


@hookspec
def register_key_formatters(settings: Settings) -> Iterable[KeyFormatter]:  # type: ignore[empty-body]
    """Return citation-key formulas; ``settings.citekey`` selects one by name.

    :param settings: the merged settings of this run.
    """


@hookspec
def register_matchers(settings: Settings) -> Iterable[Matcher]:  # type: ignore[empty-body]
    """Return duplicate matchers; all registered matchers are consulted.

    :param settings: the merged settings of this run.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add click commands to the ``refsync`` command group.

    :param cli: the root command group, after the built-in commands are attached.
    """
