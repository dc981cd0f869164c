"""resolve_inputs: pasted DOIs to References through cache and resolvers, as a user runs it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import pytest
from fakes.crossref import FakeCrossref

from refsync.builtin.crossref import CrossrefResolver
from refsync.config import Settings
from refsync.errors import CrossrefError, InvalidDOIError, NotFoundError, RefsyncError
from refsync.model import Reference
from refsync.resolve import Resolution, resolve_inputs
from refsync.resolve.cache import WorkCache

PLOS = "10.1371/journal.pone.0033693"
SREP = "10.1038/srep16696"
UNKNOWN = "10.5555/never-registered"


@pytest.fixture
def resolver(crossref_settings: Settings) -> CrossrefResolver:
    return CrossrefResolver(crossref_settings.crossref, backoff=0.01)


@pytest.fixture
def cache(crossref_settings: Settings) -> Iterator[WorkCache]:
    with WorkCache.from_settings(crossref_settings) as work_cache:
        yield work_cache


class LocalResolver:
    """A second resolver, as a plugin would provide, knowing a fixed set of works."""

    name = "local"

    def __init__(self, *dois: str) -> None:
        self.known = {d: Reference("document", {"DOI": d, "title": f"local {d}"}) for d in dois}
        self.asked: list[list[str]] = []

    def resolve(self, dois: Sequence[str]) -> Mapping[str, Reference | RefsyncError]:
        self.asked.append(list(dois))
        return {d: self.known.get(d) or NotFoundError(f"local: no '{d}'") for d in dois}


FORMS = [
    PLOS,
    "10.1371/JOURNAL.PONE.0033693",
    f"doi:{PLOS}",
    f"DOI: {PLOS}",
    f"https://doi.org/{PLOS}",
    f"http://dx.doi.org/{PLOS}",
    "https://doi.org/10.1371%2Fjournal.pone.0033693",
    f"<{PLOS}>",
    f"({PLOS}).",
    f"  {PLOS}\n",
]


@pytest.mark.parametrize("text", FORMS, ids=range(len(FORMS)))
def test_every_doi_form_resolves(
    text: str, crossref: FakeCrossref, resolver: CrossrefResolver
) -> None:
    (resolution,) = resolve_inputs([text], [resolver], None)
    assert resolution.input == text and resolution.doi == PLOS
    assert resolution.ok and resolution.reference is not None
    assert resolution.reference.doi == PLOS


def test_free_text_yields_each_doi_in_order(
    crossref: FakeCrossref, resolver: CrossrefResolver
) -> None:
    text = f"see Sadasivan et al. (https://doi.org/{PLOS}) and doi:{SREP}; also {UNKNOWN}."
    results = resolve_inputs([text, "not a doi at all", SREP], [resolver], None)
    assert [(r.input, r.doi) for r in results] == [
        (text, PLOS), (text, SREP), (text, UNKNOWN), ("not a doi at all", ""), (SREP, SREP)
    ]
    assert [r.ok for r in results] == [True, True, False, False, True]
    assert isinstance(results[2].error, NotFoundError)
    assert isinstance(results[3].error, InvalidDOIError)
    assert "'not a doi at all'" in results[3].error.message


def test_repeated_dois_are_fetched_once(crossref: FakeCrossref, resolver: CrossrefResolver) -> None:
    results = resolve_inputs([PLOS, f"doi:{PLOS}", PLOS.upper(), SREP], [resolver], None)
    assert all(r.ok for r in results)
    (request,) = crossref.requests
    assert sorted(request.param("filter").split(",")) == [f"doi:{SREP}", f"doi:{PLOS}"]


def test_warm_cache_costs_no_request(
    crossref: FakeCrossref, resolver: CrossrefResolver, cache: WorkCache
) -> None:
    dois = crossref.clone_works(30) + [UNKNOWN]
    first = resolve_inputs(dois, [resolver], cache)
    made = len(crossref.requests)
    second = resolve_inputs(dois, [resolver], cache)
    assert len(crossref.requests) == made  # nothing new, 404 included
    assert [r.reference for r in second] == [r.reference for r in first]
    assert isinstance(second[-1].error, NotFoundError)


def test_refresh_bypasses_the_cache(
    crossref: FakeCrossref, resolver: CrossrefResolver, cache: WorkCache
) -> None:
    resolve_inputs([PLOS], [resolver], cache)
    resolve_inputs([PLOS], [resolver], cache, refresh=True)
    assert len(crossref.requests) == 2


def test_failures_are_not_cached(
    crossref: FakeCrossref, resolver: CrossrefResolver, cache: WorkCache
) -> None:
    crossref.fail_next(500, count=3)
    (failed,) = resolve_inputs([PLOS], [resolver], cache)
    assert isinstance(failed.error, CrossrefError)
    (retried,) = resolve_inputs([PLOS], [resolver], cache)
    assert retried.ok


def test_one_unknown_doi_does_not_spoil_the_rest(
    crossref: FakeCrossref, resolver: CrossrefResolver
) -> None:
    results = resolve_inputs([PLOS, UNKNOWN, SREP], [resolver], None)
    assert [r.ok for r in results] == [True, False, True]
    assert "'10.5555/never-registered'" in str(results[1].error)


def test_next_resolver_is_asked_only_for_what_the_first_does_not_know(
    crossref: FakeCrossref, resolver: CrossrefResolver
) -> None:
    local = LocalResolver(UNKNOWN)
    results = resolve_inputs([PLOS, UNKNOWN], [resolver, local], None)
    assert [r.reference.get("title")[:5] for r in results if r.reference] == ["Methy", "local"]
    assert local.asked == [[UNKNOWN]]


def test_resolvers_are_tried_in_order(crossref: FakeCrossref, resolver: CrossrefResolver) -> None:
    local = LocalResolver(PLOS)
    (result,) = resolve_inputs([PLOS], [local, resolver], None)
    assert result.reference is not None and result.reference.get("title") == f"local {PLOS}"
    assert crossref.requests == []


def test_a_remote_failure_does_not_fall_through(
    crossref: FakeCrossref, resolver: CrossrefResolver
) -> None:
    crossref.fail_next(500, count=3)
    local = LocalResolver(PLOS)
    (result,) = resolve_inputs([PLOS], [resolver, local], None)
    assert isinstance(result.error, CrossrefError)
    assert local.asked == []


def test_progress_counts_every_distinct_doi(
    crossref: FakeCrossref, resolver: CrossrefResolver, cache: WorkCache
) -> None:
    dois = crossref.clone_works(300)
    resolve_inputs(dois[:100], [resolver], cache)
    steps: list[int] = []
    resolve_inputs(dois + dois[:5] + [UNKNOWN], [resolver], cache, progress=steps.append)
    assert sum(steps) == 301 and len(steps) >= 2


def test_no_resolver_means_not_found() -> None:
    (result,) = resolve_inputs([PLOS], [], None)
    assert isinstance(result.error, NotFoundError)


def test_resolution_is_a_plain_value() -> None:
    assert Resolution("x", "", error=InvalidDOIError("bad")).ok is False
