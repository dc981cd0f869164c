"""Loopback fake of the Crossref REST API, and the pytest fixtures that serve it.

Behaviour follows the Crossref REST API as recorded in June 2026 (routes, envelopes, plain-text
404s, 400/414 errors, filter batching, pools and rate-limit headers) so the real habanero client
cannot tell it from api.crossref.org.
Works come from tests/fixtures/crossref/works/*.json (real recordings, see SOURCES.md there).
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import re
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from refsync.config import CrossrefSettings, Settings

from .faults import FaultPlan
from .server import LoggedRequest, LoopbackServer

WORKS_DIR = Path(__file__).parent.parent / "fixtures" / "crossref" / "works"
MAILTO = "refsync-tests@example.org"

#: pool → (x-rate-limit-limit, x-concurrency-limit), recorded June 2026 from the live headers
POOLS = {"polite": (10, 3), "public": (5, 1)}
#: Jetty's request-line limit (CrossRef/rest-api-doc#251)
MAX_REQUEST_LINE = 4096
MAX_ROWS = 1000
DEFAULT_ROWS = 20

Response = tuple[int, dict[str, str], bytes]

_TOO_MANY = (
    b"<html><body><h1>429 Too Many Requests</h1>You have sent too many requests in a given "
    b"amount of time.</body></html>"
)
_MAILTO_IN_UA = re.compile(r"mailto:\S+@\S+", re.IGNORECASE)


@dataclass
class _Failure:
    status: int
    retry_after: float | None


def load_works(folder: Path = WORKS_DIR) -> dict[str, dict[str, Any]]:
    """The recorded work messages, keyed by lower-cased DOI."""
    works = {}
    for path in sorted(folder.glob("*.json")):
        message = json.loads(path.read_text(encoding="utf-8"))["message"]
        works[message["DOI"].lower()] = message
    return works


class FakeCrossref:
    """In-memory Crossref: ``handle(request)`` answers like api.crossref.org would.

    Tests steer it with :meth:`fail_next`, :meth:`truncate_next`, ``delay`` (seconds added to
    every response) and :meth:`clone_works`; ``requests`` is the server's log.
    """

    def __init__(self, works: Mapping[str, dict[str, Any]] | None = None) -> None:
        self._recorded = dict(works if works is not None else load_works())
        self._lock = threading.Lock()
        self.server: LoopbackServer | None = None
        self.reset()

    # -- test controls -------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the recorded works, no queued failures, no delay, empty request log."""
        with self._lock:
            self.works: dict[str, dict[str, Any]] = dict(self._recorded)
            self.unlisted: set[str] = set()
            self.delay = 0.0
            self.enforce_concurrency = True
            self.max_in_flight = 0
            self._failures: deque[_Failure] = deque()
            self._truncations = 0
            self._in_flight = dict.fromkeys(POOLS, 0)
            self._generation = getattr(self, "_generation", 0) + 1
        if self.server is not None:
            self.server.reset()

    def fail_next(self, status: int, retry_after: float | None = None, count: int = 1) -> None:
        """Answer the next ``count`` requests with ``status`` (429, 500, 503 …)."""
        with self._lock:
            self._failures.extend(_Failure(status, retry_after) for _ in range(count))

    def truncate_next(self, count: int = 1) -> None:
        """Cut the body of the next ``count`` answers in half and close the connection."""
        with self._lock:
            self._truncations += count

    def add_work(self, message: Mapping[str, Any]) -> str:
        """Serve one more work (a hostile record built by a test); returns its DOI."""
        doi = str(message["DOI"]).lower()
        self.works[doi] = dict(message)
        return doi

    def unlist(self, doi: str) -> None:
        """Keep a work out of list results while ``/works/{doi}`` still serves it, as when
        Crossref's search index lags behind a fresh deposit."""
        self.unlisted.add(doi.lower())

    def clone_works(self, count: int, prefix: str = "10.5555/bench.") -> list[str]:
        """Serve ``count`` copies of the recorded works under DOIs ``prefix + N`` (N from 1)."""
        originals = [self._recorded[d] for d in sorted(self._recorded)]
        dois = []
        for n in range(1, count + 1):
            clone = copy.deepcopy(originals[(n - 1) % len(originals)])
            clone["DOI"] = f"{prefix}{n}"
            clone["URL"] = f"https://doi.org/{prefix}{n}"
            # the landing page and full-text links name the original DOI: a clone has its own
            clone["resource"] = {"primary": {"URL": f"https://example.org/{prefix}{n}"}}
            clone.pop("link", None)
            clone.pop("relation", None)
            dois.append(self.add_work(clone))
        return dois

    @property
    def url(self) -> str:
        assert self.server is not None, "the fake is not being served"
        return self.server.url

    @property
    def requests(self) -> list[LoggedRequest]:
        return self.server.requests if self.server is not None else []

    # -- HTTP ----------------------------------------------------------------------------

    def handle(self, request: LoggedRequest) -> Response:
        pool = _pool(request)
        limit, concurrency = POOLS[pool]
        headers = {
            "x-rate-limit-limit": str(limit),
            "x-rate-limit-interval": "1s",
            "x-concurrency-limit": str(concurrency),
            "x-api-pool": pool,
            "access-control-allow-origin": "*",
        }
        with self._lock:
            generation = self._generation
            self._in_flight[pool] += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight[pool])
            crowded = self.enforce_concurrency and self._in_flight[pool] > concurrency
            failure = self._failures.popleft() if self._failures and not crowded else None
            truncate = self._truncations > 0 and not crowded and failure is None
            self._truncations -= truncate
            delay = self.delay
        try:
            if delay:
                time.sleep(delay)
            status, extra, body = self._answer(request, crowded, failure)
        finally:
            with self._lock:
                if generation == self._generation:
                    self._in_flight[pool] -= 1
        if truncate:
            extra["X-Fake-Truncate"] = "1"
        return status, headers | extra, body

    def _answer(self, request: LoggedRequest, crowded: bool, failure: _Failure | None) -> Response:
        line = getattr(request, "request_line", "")
        if len(line.encode("latin-1", "replace")) > MAX_REQUEST_LINE:
            return 414, {"content-type": "text/html"}, b"<h1>Bad Message 414</h1>URI Too Long"
        if crowded:
            return 429, {"content-type": "text/html"}, _TOO_MANY
        if failure is not None:
            return _failure_response(failure)
        path = request.path.removeprefix("/v1")
        if path in ("/works", "/works/"):
            return self._works_list(request)
        if path.startswith("/works/"):
            return self._work(request, unquote(path[len("/works/"):]))
        return 404, {"content-type": "text/plain"}, b"Resource not found."

    def _work(self, request: LoggedRequest, doi: str) -> Response:
        for name in ("select", "filter", "rows", "query"):
            if request.param(name) is not None:
                return _validation_failure(
                    "parameter-not-allowed", name, f"This route does not support {name}"
                )
        agency = doi.lower().endswith("/agency")
        doi = doi[: -len("/agency")] if agency else doi
        work = self.works.get(doi.lower())
        if work is None:
            return 404, {"content-type": "text/plain"}, b"Resource not found."
        if agency:
            message = {"DOI": work["DOI"], "agency": {"id": "crossref", "label": "Crossref"}}
            return _ok("work-agency", message)
        return _ok("work", work)

    def _works_list(self, request: LoggedRequest) -> Response:
        rows_text = request.param("rows", str(DEFAULT_ROWS)) or ""
        offset_text = request.param("offset", "0") or ""
        if not rows_text.isdigit() or int(rows_text) > MAX_ROWS:
            return _validation_failure(
                "integer-not-valid",
                rows_text,
                f"Integer specified as {rows_text} but must be a positive integer less than or "
                f"equal to {MAX_ROWS}. ",
            )
        if not offset_text.isdigit():
            return _validation_failure(
                "integer-not-valid", offset_text, f"Integer specified as {offset_text}"
            )
        wanted = []
        for clause in filter(None, (request.param("filter") or "").split(",")):
            name, _, value = clause.partition(":")
            if name != "doi":
                return _validation_failure(
                    "filter-not-available", name, f"Filter {name} specified but no such filter"
                )
            wanted.append(value.lower())
        found = [self.works[d] for d in dict.fromkeys(wanted)
                 if d in self.works and d not in self.unlisted]
        # result order is unspecified upstream (REST API docs): shuffle deterministically
        found.sort(key=lambda w: hashlib.sha1(w["DOI"].encode()).hexdigest())
        rows, offset = int(rows_text), int(offset_text)
        items = found[offset : offset + rows]
        select = request.param("select")
        if select:
            keep = select.split(",")
            items = [{k: v for k, v in w.items() if k in keep} for w in items]
        message = {
            "facets": {},
            "total-results": len(found),
            "items": items,
            "items-per-page": rows,
            "query": {"start-index": offset, "search-terms": request.param("query")},
        }
        return _ok("work-list", message)


def _pool(request: LoggedRequest) -> str:
    """Polite when a contact address comes as ``mailto=`` or inside the User-Agent (REST API
    docs, etiquette)."""
    agents = request.headers.get("user-agent", "") + request.headers.get("x-user-agent", "")
    polite = request.param("mailto") or _MAILTO_IN_UA.search(agents)
    return "polite" if polite else "public"


def _ok(message_type: str, message: Any) -> Response:
    body = {"status": "ok", "message-type": message_type, "message-version": "1.0.0",
            "message": message}
    return 200, {"content-type": "application/json"}, json.dumps(body).encode()


def _validation_failure(kind: str, value: str, text: str) -> Response:
    body = {"status": "failed", "message-type": "validation-failure",
            "message": [{"type": kind, "value": value, "message": text}]}
    return 400, {"content-type": "application/json;charset=utf-8"}, json.dumps(body).encode()


def _failure_response(failure: _Failure) -> Response:
    headers: dict[str, str] = {}
    if failure.retry_after is not None:
        headers["retry-after"] = f"{failure.retry_after:g}"
    if failure.status == 429:
        return 429, headers | {"content-type": "text/html"}, _TOO_MANY
    if failure.status == 400:
        return _validation_failure("parameter-not-allowed", "filter", "Invalid filter")
    if failure.status == 500:
        # shape of Crossref's occasional JSON exception body (REST API docs, errors)
        body = {"status": "error", "message-type": "exception", "message-version": "1.0.0",
                "message": {"name": "class java.lang.NullPointerException",
                            "description": "java.lang.NullPointerException"}}
        return 500, headers | {"content-type": "application/json"}, json.dumps(body).encode()
    text = {503: b"<h1>503 Service Unavailable</h1>"}.get(failure.status, b"Server error")
    return failure.status, headers | {"content-type": "text/html"}, text


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def crossref_server() -> Iterator[LoopbackServer]:
    """One fake Crossref for the whole session; use ``crossref`` for a clean state."""
    fake = FakeCrossref()
    server = LoopbackServer(fake)
    fake.server = server
    yield server
    server.close()


@pytest.fixture
def crossref(crossref_server: LoopbackServer) -> FakeCrossref:
    """The fake Crossref, reset: recorded works only, nothing queued, empty request log."""
    fake: FakeCrossref = crossref_server.app
    fake.reset()
    crossref_server.faults.clear()
    return fake


@pytest.fixture
def crossref_faults(crossref: FakeCrossref, crossref_server: LoopbackServer) -> FaultPlan:
    """Faults in front of the fake Crossref, none planned yet."""
    return crossref_server.faults


@pytest.fixture
def crossref_settings(crossref: FakeCrossref, tmp_path: Path) -> Settings:
    """Settings aimed at the fake, polite (mailto set), quick to time out, private cache."""
    base = Settings()
    return dataclasses.replace(
        base,
        crossref=dataclasses.replace(
            CrossrefSettings(), url=crossref.url, mailto=MAILTO, timeout=2.0, retries=2
        ),
        cache_dir=tmp_path / "cache",
    )
