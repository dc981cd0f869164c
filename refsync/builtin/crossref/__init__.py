"""Built-in resolver 'crossref': DOIs to References through the Crossref REST API.

The only module that imports habanero. It batches DOIs into ``filter=doi:`` list requests, keeps
within the pool's limits, retries what is worth retrying, and translates habanero's and httpx2's
errors into CrossrefError (Crossref REST API docs at api.crossref.org: errors, filters, etiquette).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

import httpx2

from refsync.builtin.crossref.mapping import work_to_reference
from refsync.config import CrossrefSettings, Settings
from refsync.errors import CrossrefError, NotFoundError, RefsyncError
from refsync.hookspecs import Resolver, hookimpl
from refsync.model import Reference
from refsync.util.network import name_lookup_failed
from refsync.util.waits import Waits, announce_wait, server_wait

__all__ = ["CrossrefResolver", "plan_batches", "register_resolvers"]

log = logging.getLogger(__name__)

#: stay well under Jetty's 4096-byte request line, which answers 414 (CrossRef/rest-api-doc#251)
MAX_REQUEST_LINE = 3800
#: Crossref's largest page (``rows``; REST API docs)
MAX_ROWS = 1000
#: pool limits recorded June 2026: (requests per interval, interval s, concurrent), from the
#: x-rate-limit-* and x-concurrency-limit headers (REST API docs, etiquette)
POLITE_POOL = (10, 1.0, 3)
PUBLIC_POOL = (5, 1.0, 1)
#: statuses worth another attempt: rate limit and transient server trouble
#: (CrossRef/rest-api-doc, api_tips.md)
RETRY_STATUSES = {429, 500, 502, 503, 504}


@hookimpl
def register_resolvers(settings: Settings) -> list[Resolver]:
    """Offer the 'crossref' resolver, configured by ``[crossref]``."""
    return [CrossrefResolver(settings.crossref)]


def _habanero() -> Any:
    """habanero, imported on first use: every command makes the plugins' resolvers, and only
    resolving needs it (importing it was 40 to 90 ms of the start of every pull)."""
    import habanero  # type: ignore[import-untyped]

    return habanero


class CrossrefResolver:
    """Resolves DOIs with as few Crossref requests as the API allows.

    :param settings: the ``[crossref]`` settings (URL, mailto, timeout, batch size, retries).
    :param backoff: first wait in seconds after a failure without Retry-After; doubles each time.
    :param sleep: how to wait before a retry (tests pass a recorder); by default a wait that
        Ctrl-C in the calling thread ends in the worker threads too.
    """

    name = "crossref"

    def __init__(self, settings: CrossrefSettings, *, backoff: float = 1.0,
                 sleep: Callable[[float], None] | None = None) -> None:
        self.settings = settings
        self.backoff = backoff
        self._waits = Waits()
        self._sleep = sleep if sleep is not None else self._waits.sleep
        self._client: Any = None  # made by the first resolve: most commands never resolve
        self._throttle = _Throttle(*(POLITE_POOL if settings.mailto else PUBLIC_POOL))
        self._workers = self._throttle.concurrency

    def resolve(self, dois: Sequence[str]) -> dict[str, Reference | RefsyncError]:
        """Look up normalised DOIs: batches first, then one by one for what batches missed.

        :returns: an entry per DOI: its Reference, ``NotFoundError`` when Crossref answers 404,
            or ``CrossrefError`` when Crossref failed past the retries.
        """
        if self._client is None:  # here, before the worker threads share it
            self._client = _habanero().Crossref(
                base_url=self.settings.url.rstrip("/"),
                mailto=self.settings.mailto or None,
                timeout=self.settings.timeout,
            )
        wanted = list(dict.fromkeys(dois))
        results: dict[str, Reference | RefsyncError] = {}
        batches, singles = plan_batches(wanted, self.settings.batch_size, self._list_path)
        with ThreadPoolExecutor(self._workers, thread_name_prefix="crossref") as pool, \
                self._stopped_on_interrupt():
            for batch, outcome in zip(batches, pool.map(self._fetch_batch, batches), strict=True):
                if isinstance(outcome, _GaveUp) and outcome.trouble.status != 400:
                    results.update({doi: _error(doi, outcome) for doi in batch})
                    continue
                found = {} if isinstance(outcome, _GaveUp) else outcome
                results.update({doi: found[doi.lower()] for doi in batch if doi.lower() in found})
                singles.extend(doi for doi in batch if doi.lower() not in found)
            results.update(zip(singles, pool.map(self._fetch_one, singles), strict=True))
        return results

    @contextmanager
    def _stopped_on_interrupt(self) -> Iterator[None]:
        """Ctrl-C (or any failure) in the calling thread ends the workers' waits, before the
        executor joins them."""
        try:
            yield
        except BaseException:
            self._waits.stop()
            raise

    @property
    def _list_path(self) -> str:
        return urlsplit(self.settings.url).path.rstrip("/") + "/works"

    def _fetch_batch(self, batch: Sequence[str]) -> dict[str, Reference] | _GaveUp:
        url = self.settings.url.rstrip("/") + "/works"
        try:
            # filter passed by position: habanero's next major release renames the keyword
            # (``filter=`` becomes ``filters=`` on sckott/habanero's main branch)
            body = self._call(
                lambda: self._client.works(None, None, {"doi": list(batch)}, limit=len(batch)),
                url,
            )
        except _GaveUp as gave_up:
            return gave_up
        items = _message(body).get("items")
        works = [w for w in items if isinstance(w, Mapping)] if isinstance(items, list) else []
        return {str(w.get("DOI", "")).lower(): work_to_reference(w) for w in works}

    def _fetch_one(self, doi: str) -> Reference | RefsyncError:
        # habanero splits ids on whitespace and leaves '?' and '#' raw: escape them here
        path = quote(doi, safe="/:;()[]@!$&'*+,=")
        url = f"{self.settings.url.rstrip('/')}/works/{path}"
        try:
            body = self._call(lambda: self._client.works(ids=path), url)
        except _GaveUp as gave_up:
            return _error(doi, gave_up)
        message = _message(body)
        if not message.get("DOI"):
            return CrossrefError(
                f"Crossref answered for '{doi}' without a work in the response.",
                service="crossref", url=url,
            )
        return work_to_reference(message)

    def _call(self, request: Callable[[], Any], url: str) -> Any:
        """Run one habanero request with the throttle and the retry policy.

        :raises _GaveUp: when the request failed for good; it chains the original error.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                with self._throttle:
                    return request()
            except (httpx2.HTTPError, _habanero().RequestError, RuntimeError, ValueError) as exc:
                trouble = _diagnose(exc, url, self.settings.timeout)
                if trouble is None:
                    raise  # not a remote failure: a bug, keep its traceback
                trouble.attempts = attempt
                wait = self._wait(trouble, attempt)
                if wait > self.settings.max_wait:
                    trouble.reason += f"; it asked refsync to wait {wait:.0f} s"
                    trouble.retryable = False
                    trouble.hint = "try again later, or raise [crossref] max_wait"
                if not trouble.retryable or attempt > self.settings.retries:
                    raise _GaveUp(trouble) from exc
            self._throttle.learn(trouble.headers)
            announce_wait(log, "Crossref:", wait, trouble.reason)
            self._sleep(wait)

    def _wait(self, trouble: _Trouble, attempt: int) -> float:
        """Retry-After when given (429/503), else exponential backoff; a rate-limited pool is
        waited on for at least its interval (x-rate-limit-interval, REST API docs)."""
        if trouble.retry_after is not None:
            return trouble.retry_after
        wait = self.backoff * 2.0 ** (attempt - 1)
        if trouble.status == 429:
            wait = max(wait, _seconds(trouble.headers.get("x-rate-limit-interval")) or 0.0)
        return wait


def plan_batches(
    dois: Sequence[str], batch_size: int, path: str = "/works"
) -> tuple[list[list[str]], list[str]]:
    """Split DOIs into list requests that fit Crossref's limits, and DOIs to ask one by one.

    A batch holds at most ``batch_size`` (and 1000) DOIs and keeps the request line
    ``GET <path>?filter=doi:…&rows=N HTTP/1.1`` under 3,800 bytes as httpx2 encodes it. DOIs
    holding a comma cannot be put in a filter list, so they are asked for alone.

    :returns: (batches, singles)
    """
    size = max(1, min(batch_size, MAX_ROWS))
    fixed = len(f"GET {path}?filter=&rows={size} HTTP/1.1")
    batches: list[list[str]] = []
    singles: list[str] = []
    current: list[str] = []
    length = fixed
    for doi in dois:
        if "," in doi:
            singles.append(doi)
            continue
        cost = len(quote_plus(f"doi:{doi}", safe="")) + (3 if current else 0)  # %2C joins
        if current and (len(current) >= size or length + cost > MAX_REQUEST_LINE):
            batches.append(current)
            current, length, cost = [], fixed, cost - 3
        if fixed + cost > MAX_REQUEST_LINE:
            singles.append(doi)
            continue
        current.append(doi)
        length += cost
    if current:
        batches.append(current)
    return batches, singles


# -- failures -------------------------------------------------------------------------------


@dataclass
class _Trouble:
    """What went wrong with one request, read from whichever exception habanero raised."""

    reason: str
    url: str
    status: int | None = None
    retryable: bool = True
    retry_after: float | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    attempts: int = 1
    hint: str | None = None  # what to do, when the reason alone does not say it


class _GaveUp(Exception):
    """Internal: a request failed for good; ``__cause__`` is habanero's or httpx2's error."""

    def __init__(self, trouble: _Trouble) -> None:
        super().__init__(trouble.reason)
        self.trouble = trouble


def _diagnose(exc: Exception, url: str, timeout: float) -> _Trouble | None:
    """Read a habanero/httpx2 failure; None when the exception is not a remote failure.

    habanero raises httpx2.HTTPStatusError for non-JSON error bodies (404, 429, 5xx),
    RequestError for JSON ones (400) and for a 200 that is not JSON, and on list requests wraps
    transport errors in RuntimeError (habanero 2.9.2 ``request_class.py``).
    """
    if isinstance(exc, RuntimeError) and isinstance(exc.__cause__, httpx2.HTTPError):
        exc = exc.__cause__
    if isinstance(exc, _habanero().RequestError):
        context = exc.__context__
        response = context.response if isinstance(context, httpx2.HTTPStatusError) else None
        status = int(exc.status_code)
        return _Trouble(
            f"Crossref rejected the request (HTTP {status}: {exc.error})" if status >= 400
            else "the answer was not JSON (a proxy or captive portal?)",
            str(response.request.url) if response is not None else url,
            status=status,
            retryable=status in RETRY_STATUSES or status < 400,
            headers=dict(response.headers) if response is not None else {},
        )
    if isinstance(exc, httpx2.HTTPStatusError):
        response = exc.response
        status = response.status_code
        return _Trouble(
            f"HTTP {status} {response.reason_phrase}".rstrip(),
            str(response.request.url),
            status=status,
            retryable=status in RETRY_STATUSES,
            retry_after=server_wait(response.headers.get("retry-after")),
            headers=dict(response.headers),
        )
    if isinstance(exc, httpx2.TimeoutException):
        return _Trouble(f"no answer within {timeout:g} s", _url_of(exc, url))
    if isinstance(exc, httpx2.RemoteProtocolError):
        return _Trouble("the connection closed before the answer was complete", _url_of(exc, url))
    if isinstance(exc, httpx2.TransportError):
        if name_lookup_failed(exc):
            return _Trouble(f"cannot look up the host '{urlsplit(_url_of(exc, url)).hostname}'",
                            _url_of(exc, url), retryable=False,
                            hint="check the network connection and [crossref] url")
        return _Trouble(f"the connection failed ({exc})", _url_of(exc, url))
    if isinstance(exc, json.JSONDecodeError):
        return _Trouble("the answer was not valid JSON", url)
    return None


def _error(doi: str, gave_up: _GaveUp) -> RefsyncError:
    """The error a caller sees for one DOI; chains habanero's original exception."""
    trouble = gave_up.trouble
    error: RefsyncError
    if trouble.status == 404:
        error = NotFoundError(
            f"Crossref does not know the DOI '{doi}'.",
            hint="check the DOI; DOIs registered elsewhere (DataCite, mEDRA) are not in Crossref",
        )
    else:
        tries = f" after {trouble.attempts} attempts" if trouble.attempts > 1 else ""
        error = CrossrefError(
            f"Crossref could not resolve '{doi}': {trouble.reason}{tries} ('{trouble.url}').",
            service="crossref",
            url=trouble.url,
            status=trouble.status,
            retry_after=trouble.retry_after,
            hint=_hint(trouble),
        )
    error.__cause__ = gave_up.__cause__
    return error


def _hint(trouble: _Trouble) -> str | None:
    if trouble.hint:
        return trouble.hint
    if trouble.status == 429:
        return "set [crossref] mailto to use the polite pool, or try again later"
    if trouble.status is None and trouble.reason.startswith("no answer"):
        return "raise [crossref] timeout, or try again later"
    if trouble.retryable:
        return "Crossref is having trouble; try again later"
    return None


def _url_of(exc: httpx2.HTTPError, default: str) -> str:
    try:
        return str(exc.request.url)
    except RuntimeError:  # httpx2 raises when the error carries no request
        return default


def _message(body: Any) -> Mapping[str, Any]:
    message = body.get("message") if isinstance(body, Mapping) else None
    return message if isinstance(message, Mapping) else {}


def _seconds(value: str | None) -> float | None:
    """An interval header such as ``1s`` (x-rate-limit-interval, REST API docs)."""
    try:
        return float(value.strip().removesuffix("s")) if value else None
    except ValueError:
        return None


# -- pacing -----------------------------------------------------------------------------------


class _Throttle:
    """Keeps requests within a pool's concurrency and rate, shared by the resolver's threads.

    Starts from the limits documented for the pool and adopts the ones Crossref announces in
    headers (habanero returns only the body of successes, so error responses are where refsync
    can read them).
    """

    def __init__(self, limit: int, interval: float, concurrency: int) -> None:
        self.limit, self.interval, self.concurrency = limit, interval, concurrency
        self._cond = threading.Condition()
        self._starts: deque[float] = deque()
        self._in_flight = 0

    def __enter__(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                while self._starts and now - self._starts[0] >= self.interval:
                    self._starts.popleft()
                if self._in_flight < self.concurrency and len(self._starts) < self.limit:
                    break
                full = len(self._starts) >= self.limit
                self._cond.wait(self.interval - (now - self._starts[0]) if full else None)
            self._in_flight += 1
            self._starts.append(now)

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with self._cond:
            self._in_flight -= 1
            self._cond.notify_all()

    def learn(self, headers: Mapping[str, str]) -> None:
        lowered = {k.lower(): v for k, v in headers.items()}
        with self._cond:
            for name, attr, cast in (("x-rate-limit-limit", "limit", int),
                                     ("x-concurrency-limit", "concurrency", int),
                                     ("x-rate-limit-interval", "interval", _seconds)):
                try:
                    value = cast(lowered[name])
                except (KeyError, ValueError):
                    continue
                if value:
                    setattr(self, attr, value)
            self._cond.notify_all()
