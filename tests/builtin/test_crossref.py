"""The 'crossref' resolver through the real habanero client, over HTTP, against the fake."""

from __future__ import annotations

import dataclasses
import socket
import time
from typing import Any
from urllib.parse import quote_plus

import httpx2
import pytest
from fakes import faults
from fakes.crossref import MAILTO, FakeCrossref
from fakes.faults import FaultPlan

from refsync.builtin.crossref import MAX_REQUEST_LINE, CrossrefResolver, plan_batches
from refsync.config import Settings
from refsync.errors import CrossrefError, NotFoundError
from refsync.model import Reference
from refsync.plugins import Registry, make_plugin_manager

PLOS = "10.1371/journal.pone.0033693"
SREP = "10.1038/srep16696"


def make_resolver(settings: Settings, waits: list[float] | None = None,
                  **crossref: object) -> CrossrefResolver:
    """A resolver on the fake with quick backoff; keyword arguments change [crossref]. With
    ``waits``, the resolver notes its waits there instead of sleeping."""
    return CrossrefResolver(dataclasses.replace(settings.crossref, **crossref), backoff=0.01,
                            sleep=time.sleep if waits is None else waits.append)


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def resolver(crossref_settings: Settings, waits: list[float]) -> CrossrefResolver:
    return make_resolver(crossref_settings, waits)


def lookups(fake: FakeCrossref) -> list[str]:
    """Paths the resolver asked for, list requests as '/works'."""
    return [r.path for r in fake.requests]


def test_plugin_registers_the_resolver(crossref_settings: Settings) -> None:
    registry = Registry.from_plugin_manager(
        make_plugin_manager(entrypoints=False), crossref_settings
    )
    assert isinstance(registry.resolver("crossref"), CrossrefResolver)


def test_all_recorded_works_in_one_request_with_rows_set(
    crossref: FakeCrossref, resolver: CrossrefResolver
) -> None:
    dois = sorted(crossref.works)
    results = resolver.resolve(dois)
    assert all(isinstance(results[d], Reference) for d in dois)
    assert {d: results[d].doi for d in dois} == {d: d for d in dois}  # matched despite order
    (request,) = crossref.requests
    # Crossref's default page is 20 works; 29 asked for must come back as 29 (REST API docs: rows)
    assert int(request.param("rows")) >= len(dois) > 20


def test_hundred_dois_take_at_most_five_requests(
    crossref: FakeCrossref, resolver: CrossrefResolver
) -> None:
    dois = crossref.clone_works(100)
    results = resolver.resolve(dois)
    assert sum(isinstance(r, Reference) for r in results.values()) == 100
    assert len(crossref.requests) <= 5
    assert set(lookups(crossref)) == {"/works"}


def test_batch_size_setting_is_respected(
    crossref: FakeCrossref, crossref_settings: Settings
) -> None:
    dois = crossref.clone_works(45)
    make_resolver(crossref_settings, batch_size=10).resolve(dois)
    sizes = [len(r.param("filter").split(",")) for r in crossref.requests]
    assert sorted(sizes) == [5, 10, 10, 10, 10]


def test_long_dois_never_hit_the_414_limit(
    crossref: FakeCrossref, resolver: CrossrefResolver
) -> None:
    dois = crossref.clone_works(60, prefix="10.5555/" + "long-suffix-" * 12)
    results = resolver.resolve(dois)
    assert all(isinstance(results[d], Reference) for d in dois)
    assert len(crossref.requests) > 1
    assert max(len(r.request_line) for r in crossref.requests) <= MAX_REQUEST_LINE


def test_the_fake_does_answer_414_past_4096_bytes(crossref: FakeCrossref) -> None:
    response = httpx2.get(f"{crossref.url}/works", params={"filter": "doi:10.5555/" + "x" * 4100})
    assert response.status_code == 414


@pytest.mark.parametrize("batch_size", [1, 7, 60, 1000, 5000])
def test_planned_batches_fit_the_request_line(batch_size: int) -> None:
    dois = [f"10.5555/{'z' * (i % 300)}.{i}" for i in range(400)] + ["10.5555/a,b"]
    batches, singles = plan_batches(dois, batch_size, "/api/works")
    assert sorted([d for b in batches for d in b] + singles) == sorted(dois)
    assert "10.5555/a,b" in singles
    for batch in batches:
        assert 0 < len(batch) <= min(batch_size, 1000)
        query = f"filter={quote_plus(','.join('doi:' + d for d in batch))}&rows={len(batch)}"
        assert len(f"GET /api/works?{query} HTTP/1.1") <= MAX_REQUEST_LINE


def test_what_a_batch_misses_is_looked_up_alone(
    crossref: FakeCrossref, resolver: CrossrefResolver
) -> None:
    crossref.unlist(SREP)
    results = resolver.resolve([PLOS, SREP])
    assert isinstance(results[SREP], Reference) and results[SREP].doi == SREP
    assert lookups(crossref) == ["/works", f"/works/{SREP}"]


def test_odd_characters_survive_the_single_lookup(
    crossref: FakeCrossref, resolver: CrossrefResolver
) -> None:
    odd = "10.1002/(sici)1097-4636(199706)35:4<463::aid-jbm6>3.0.co;2-#1?x y"
    crossref.add_work({"DOI": odd, "type": "journal-article", "title": ["Odd"]})
    crossref.unlist(odd)
    assert resolver.resolve([odd])[odd].title == "Odd"


def test_unknown_doi_is_not_found_while_others_resolve(
    crossref: FakeCrossref, resolver: CrossrefResolver
) -> None:
    results = resolver.resolve([PLOS, "10.5555/nobody-registered-this"])
    assert isinstance(results[PLOS], Reference)
    error = results["10.5555/nobody-registered-this"]
    assert isinstance(error, NotFoundError)
    assert "'10.5555/nobody-registered-this'" in error.message


def test_429_waits_as_retry_after_says_then_succeeds(
    crossref: FakeCrossref, resolver: CrossrefResolver, waits: list[float]
) -> None:
    crossref.fail_next(429, retry_after=1)
    results = resolver.resolve([PLOS])
    assert isinstance(results[PLOS], Reference)
    assert waits == [1.0]
    assert len(crossref.requests) == 2


def test_503_is_retried(crossref: FakeCrossref, resolver: CrossrefResolver) -> None:
    crossref.fail_next(503, retry_after=0)
    assert isinstance(resolver.resolve([PLOS])[PLOS], Reference)


def test_500s_are_retried_then_reported(crossref: FakeCrossref, resolver: CrossrefResolver) -> None:
    crossref.fail_next(500, count=3)
    error = resolver.resolve([PLOS])[PLOS]
    assert isinstance(error, CrossrefError)
    assert len(crossref.requests) == 3  # first try + retries=2
    assert error.status == 500 and error.service == "crossref"
    assert f"'{PLOS}'" in error.message and "3 attempts" in error.message
    assert error.url.startswith(crossref.url + "/works")
    assert "Traceback" not in str(error) and "\n" not in str(error)
    assert isinstance(error.__cause__, httpx2.HTTPStatusError)


def test_400_from_a_batch_falls_back_to_single_lookups(
    crossref: FakeCrossref, resolver: CrossrefResolver
) -> None:
    crossref.fail_next(400)
    results = resolver.resolve([PLOS, SREP])
    assert all(isinstance(r, Reference) for r in results.values())
    assert sorted(lookups(crossref)) == ["/works", f"/works/{SREP}", f"/works/{PLOS}"]


def test_slow_answers_time_out_into_crossref_error(
    crossref: FakeCrossref, crossref_settings: Settings
) -> None:
    crossref.delay = 0.6
    error = make_resolver(crossref_settings, timeout=0.2, retries=1).resolve([PLOS])[PLOS]
    assert isinstance(error, CrossrefError)
    assert "no answer within 0.2 s" in error.message
    assert error.hint and "timeout" in error.hint


def test_a_truncated_answer_is_retried(crossref: FakeCrossref, resolver: CrossrefResolver) -> None:
    crossref.truncate_next()
    assert isinstance(resolver.resolve([PLOS])[PLOS], Reference)
    assert len(crossref.requests) == 2


def test_truncated_every_time_is_reported(
    crossref: FakeCrossref, resolver: CrossrefResolver
) -> None:
    crossref.truncate_next(3)
    error = resolver.resolve([PLOS])[PLOS]
    assert isinstance(error, CrossrefError)
    assert "closed before the answer was complete" in error.message


def test_mailto_goes_in_the_user_agent_and_earns_the_polite_pool(
    crossref: FakeCrossref, resolver: CrossrefResolver
) -> None:
    resolver.resolve([PLOS])
    (request,) = crossref.requests
    assert f"mailto:{MAILTO}" in request.headers["user-agent"]
    assert crossref.handle(request)[1]["x-api-pool"] == "polite"


def test_without_mailto_one_request_at_a_time(
    crossref: FakeCrossref, crossref_settings: Settings
) -> None:
    dois = crossref.clone_works(40)
    crossref.delay = 0.05
    results = make_resolver(crossref_settings, mailto="", batch_size=5).resolve(dois)
    assert all(isinstance(r, Reference) for r in results.values())
    assert crossref.max_in_flight == 1
    assert "mailto" not in crossref.requests[0].headers["user-agent"]


def test_polite_pool_runs_up_to_three_at_once(
    crossref: FakeCrossref, crossref_settings: Settings
) -> None:
    dois = crossref.clone_works(40)
    crossref.delay = 0.1
    results = make_resolver(crossref_settings, batch_size=5).resolve(dois)
    assert all(isinstance(r, Reference) for r in results.values())
    assert 1 < crossref.max_in_flight <= 3


def test_429_without_retry_after_waits_the_rate_limit_interval(
    crossref: FakeCrossref, resolver: CrossrefResolver, waits: list[float]
) -> None:
    crossref.fail_next(429)
    assert isinstance(resolver.resolve([PLOS])[PLOS], Reference)
    assert waits == [1.0]  # x-rate-limit-interval: 1s, not the 0.01 s backoff


def test_hostile_record_served_over_http_still_resolves(
    crossref: FakeCrossref, resolver: CrossrefResolver
) -> None:
    doi = crossref.add_work({
        "DOI": "10.5555/Hostile", "type": "proceedings-article", "title": [],
        "author": [{"sequence": "additional", "affiliation": []},
                   {"family": "ONLY-FAMILY", "sequence": "first"}],
        "issued": {"date-parts": [[None]]},
        "subtitle": ["<mml:math><mml:msup><mml:mi>x</mml:mi><mml:mn>2</mml:mn></mml:msup>"
                     "</mml:math> &amp;amp; more"],
    })
    ref = resolver.resolve([doi])[doi]
    assert isinstance(ref, Reference)
    assert ref.item_type == "conferencePaper"
    assert ref.title == "x<sup>2</sup> & more"
    assert [c.name for c in ref.creators] == ["Only-Family"]
    assert "date" not in ref.fields


@pytest.mark.parametrize("fault", faults.transient(), ids=lambda f: f.name)
def test_one_fault_of_any_kind_is_survived(crossref_faults: FaultPlan,
                                           resolver: CrossrefResolver,
                                           fault: faults.Fault) -> None:
    crossref_faults.add(fault)
    assert isinstance(resolver.resolve([PLOS])[PLOS], Reference)
    assert crossref_faults.hits == [fault.name]


@pytest.mark.parametrize("fault", faults.transient(), ids=lambda f: f.name)
def test_a_persistent_fault_is_one_crossref_error_per_doi(crossref_faults: FaultPlan,
                                                          resolver: CrossrefResolver,
                                                          fault: faults.Fault) -> None:
    crossref_faults.add(faults.always(fault))
    error = resolver.resolve([PLOS])[PLOS]
    assert isinstance(error, CrossrefError) and PLOS in error.message
    assert "\n" not in error.message and "<" not in error.message


def test_a_wait_beyond_max_wait_is_not_sat_out(crossref_faults: FaultPlan,
                                               resolver: CrossrefResolver,
                                               waits: list[float]) -> None:
    crossref_faults.add(faults.rate_limited("3600"))
    error = resolver.resolve([PLOS])[PLOS]
    assert isinstance(error, CrossrefError) and "wait 3600 s" in error.message
    assert waits == [] and "max_wait" in (error.hint or "")


def test_no_network_is_said_at_once_without_retries(crossref_settings: Settings,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", offline)  # the machine, not a client library
    waits: list[float] = []
    resolver = make_resolver(crossref_settings, waits, url="https://api.crossref.org")
    error = resolver.resolve([PLOS])[PLOS]
    assert isinstance(error, CrossrefError)
    assert "cannot look up the host 'api.crossref.org'" in error.message
    assert waits == [] and "network" in (error.hint or "")
