"""Use case: pasted DOIs (any form, or free text holding several) to References.

Goes through the cache, then the resolvers in order, asking each only for what is still
unknown. The cache comes in as a :class:`WorkStore` (``resolve.cache.WorkCache`` is the one the
app opens).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from refsync.errors import InvalidDOIError, NotFoundError, RefsyncError
from refsync.hookspecs import Resolver
from refsync.model import Reference
from refsync.model.doi import extract_dois, normalize_doi

__all__ = ["Resolution", "WorkStore", "resolve_inputs"]


class WorkStore(Protocol):
    """Works already resolved, per resolver: a fresh one costs no request."""

    def lookup(self, resolver: str, dois: Iterable[str]) -> Mapping[str, Reference | NotFoundError]:
        """The fresh records (or remembered not-founds) among ``dois``."""
        ...

    def store(self, resolver: str, results: Mapping[str, Reference | RefsyncError]) -> None: ...


#: DOIs handed to a resolver per call, so progress moves during long runs; a multiple of the
#: default Crossref batch (60) so chunking adds no request
PROGRESS_STEP = 300


@dataclass(frozen=True)
class Resolution:
    """The outcome for one DOI found in one input: a Reference or the error that stopped it."""

    input: str
    doi: str
    reference: Reference | None = None
    error: RefsyncError | None = None

    @property
    def ok(self) -> bool:
        return self.reference is not None


def resolve_inputs(
    inputs: Sequence[str],
    resolvers: Sequence[Resolver],
    cache: WorkStore | None,
    *,
    refresh: bool = False,
    progress: Callable[[int], None] | None = None,
) -> list[Resolution]:
    """Resolve every DOI in ``inputs``, in input order, fetching each distinct DOI once.

    :param inputs: DOIs in any form (``doi:``, ``https://doi.org/…``, URL-encoded) or free
        text; an input holding several DOIs gives one Resolution per DOI.
    :param resolvers: tried in order; the next one is asked only after ``NotFoundError``.
    :param cache: fresh cached works cost no request; results are stored back. ``None`` for none.
    :param refresh: ignore cached entries (results are still stored).
    :param progress: called with the number of DOIs just settled, as work proceeds.
    :returns: one Resolution per (input, DOI); an input without a DOI gets an
        ``InvalidDOIError`` naming it.
    """
    parsed = [(text, _dois_in(text)) for text in inputs]
    wanted = list(dict.fromkeys(d for _, dois in parsed if isinstance(dois, list) for d in dois))
    outcomes = _resolve(wanted, resolvers, cache, refresh, progress or (lambda _: None))
    resolutions = []
    for text, dois in parsed:
        if isinstance(dois, InvalidDOIError):
            resolutions.append(Resolution(text, "", error=dois))
            continue
        for doi in dois:
            outcome = outcomes[doi]
            if isinstance(outcome, Reference):
                resolutions.append(Resolution(text, doi, reference=outcome))
            else:
                resolutions.append(Resolution(text, doi, error=outcome))
    return resolutions


def _dois_in(text: str) -> list[str] | InvalidDOIError:
    try:
        return [normalize_doi(text)]
    except InvalidDOIError as exc:
        return extract_dois(text) or exc


def _resolve(
    dois: list[str],
    resolvers: Sequence[Resolver],
    cache: WorkStore | None,
    refresh: bool,
    progress: Callable[[int], None],
) -> dict[str, Reference | RefsyncError]:
    """Each DOI's final outcome: the first resolver's Reference, else the last error."""
    outcomes: dict[str, Reference | RefsyncError] = {
        doi: NotFoundError(f"No resolver is configured to look up '{doi}'.") for doi in dois
    }
    pending = dois
    for index, resolver in enumerate(resolvers):
        last = index == len(resolvers) - 1
        cached = {} if cache is None or refresh else cache.lookup(resolver.name, pending)
        missing = [d for d in pending if d not in cached]
        _settle(cached, outcomes, last, progress)
        for start in range(0, len(missing), PROGRESS_STEP):
            chunk = missing[start : start + PROGRESS_STEP]
            fetched = _complete(resolver, chunk, resolver.resolve(chunk))
            if cache is not None:
                cache.store(resolver.name, fetched)
            _settle(fetched, outcomes, last, progress)
        pending = [d for d in pending if isinstance(outcomes[d], NotFoundError)]
    if not resolvers and dois:
        progress(len(dois))
    return outcomes


def _complete(
    resolver: Resolver, asked: list[str], answer: Mapping[str, Reference | RefsyncError]
) -> dict[str, Reference | RefsyncError]:
    """A resolver's answer with an entry for every DOI asked (an omission means not found)."""
    return {
        doi: answer.get(doi) or NotFoundError(f"'{resolver.name}' does not know '{doi}'.")
        for doi in asked
    }


def _settle(
    found: Mapping[str, Reference | RefsyncError],
    outcomes: dict[str, Reference | RefsyncError],
    last: bool,
    progress: Callable[[int], None],
) -> None:
    """Record outcomes; a NotFoundError is final only when no resolver is left to ask."""
    settled = 0
    for doi, outcome in found.items():
        outcomes[doi] = outcome
        settled += last or not isinstance(outcome, NotFoundError)
    if settled:
        progress(settled)
