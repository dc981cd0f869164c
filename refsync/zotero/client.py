"""Adapter over pyzotero: the only module that imports it (and its HTTP stack, httpx2).

Owns the wire: which requests a sync sends, retries with backoff, and the translation of
pyzotero/httpx2 failures into :class:`ZoteroError` once, in :meth:`ZoteroClient._errors`.

Every response passes :meth:`ZoteroClient._inspect` before pyzotero sees it: the body is read
in full (a cut connection fails here, not in a JSON parser), the server's waits are taken off
(pyzotero would sleep them in full, and crash on an HTTP-date), statuses worth a retry and
pages that are not Zotero's JSON (a captive portal's HTML with 200) are raised as such. So
whatever a server or a proxy answers, the caller gets a result or one :class:`ZoteroError`.
Imports only the leaves of refsync (config, errors, util).
"""

from __future__ import annotations

import copy
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

import httpx2
from pyzotero import zotero as pyzotero
from pyzotero import zotero_errors as ze

from refsync.config import ZoteroSettings
from refsync.errors import (
    ConfigError,
    ZoteroAuthError,
    ZoteroDeleteLogExpiredError,
    ZoteroError,
    ZoteroVersionConflictError,
    ZoteroWriteUncertainError,
)
from refsync.util.network import causes, name_lookup_failed
from refsync.util.waits import Waits, announce_wait, server_wait

__all__ = [
    "LOCAL_USER_LIBRARY",
    "MAX_KEYS",
    "REGULAR_ITEMS",
    "Deleted",
    "Page",
    "WriteFailure",
    "WriteResult",
    "ZoteroClient",
    "default_library",
    "parse_library",
]

T = TypeVar("T")
_log = logging.getLogger("refsync")

#: itemType filter for bibliographic items only (model.schema.NOT_REFERENCES on the server's
#: side): a negated itemType also drops annotations, and regular items are never children
#: (Zotero Web API v3 docs, search parameters; dataserver Items::search)
REGULAR_ITEMS = "-attachment || note"
#: how the desktop's local API names the signed-in user's own library
LOCAL_USER_LIBRARY = "user:0"
#: the most objects one request may name (itemKey=) or write; the Web API v3 docs say 50 for
#: both (writes above it answer 413; the server takes 100 keys)
MAX_KEYS = 50
#: statuses worth another try: rate limit, server errors, maintenance (Zotero Web API v3 docs)
_RETRY_STATUSES = {429, 500, 502, 503, 504}
#: statuses with a meaning of their own for the callers, whichever request answered them
_TYPED_ERRORS: dict[int, type[ZoteroError]] = {
    401: ZoteroAuthError,
    403: ZoteroAuthError,
    412: ZoteroVersionConflictError,
}


def parse_library(text: str) -> tuple[str, int]:
    """Split ``'user:123'``/``'group:456'`` into the type and ID pyzotero wants.

    :raises ConfigError: for anything else, so a typo is caught before any request.
    """
    match = re.fullmatch(r"\s*(user|group)s?[:/](\d+)\s*", text or "")
    if not match:
        raise ConfigError(
            f"zotero.library: expected 'user:ID' or 'group:ID', got '{text}'",
            hint="find your user ID at https://www.zotero.org/settings/keys",
        )
    return match.group(1), int(match.group(2))


@dataclass(frozen=True)
class Page:
    """One response of a multi-object read: the objects and the library version it reflects."""

    objects: list[dict[str, Any]]
    total: int
    version: int


@dataclass(frozen=True)
class Deleted:
    """Keys erased since a version (``GET /deleted``); trashed items are *not* here."""

    items: list[str]
    collections: list[str]
    version: int


def default_library(settings: ZoteroSettings) -> str:
    """The configured library, else the signed-in user's library when going through the
    desktop's local API (which names it ``user:0``), else ``""``."""
    return settings.library or (LOCAL_USER_LIBRARY if settings.local else "")


@dataclass(frozen=True)
class WriteFailure:
    """One object the server refused: ``code`` is per object (400, 404, 409, 412, 428, 500)."""

    code: int
    message: str
    key: str = ""

    @property
    def already_exists(self) -> bool:
        """A create (``version: 0``) whose key the library holds: an earlier send landed.
        The dataserver answers 412 "... (expected 0, found N)" (checkJSONObjectVersion)."""
        return self.code == 412 and "expected 0" in self.message

    @property
    def permanent(self) -> bool:
        """Sending the object again cannot help: bad data, a missing parent or collection, a
        conflict of its own, too large."""
        return self.code in (400, 404, 409, 413)


@dataclass(frozen=True)
class WriteResult:
    """A multi-object write report, by index of the submitted list (dataserver Results)."""

    version: int
    successful: dict[int, dict[str, Any]] = field(default_factory=dict)
    unchanged: dict[int, str] = field(default_factory=dict)
    failed: dict[int, WriteFailure] = field(default_factory=dict)


class _Retry(Exception):
    def __init__(self, status: int | None, retry_after: float | None, text: str) -> None:
        super().__init__(text)
        self.status, self.retry_after, self.text = status, retry_after, text


@dataclass
class _Shared:
    """What a client and its forks have in common: the request count and the pause."""

    requests: int = 0
    backoff_until: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    waits: Waits = field(default_factory=Waits)

    def count(self, request: httpx2.Request) -> None:
        with self.lock:
            self.requests += 1


class ZoteroClient:
    """One Zotero library over the Web API, or over Zotero desktop's local API.

    :param settings: the ``[zotero]`` settings; ``url`` (or ``local_url``) becomes pyzotero's
        ``endpoint``, which is how the tests aim it at a loopback fake.
    :param api_key: the key from the keyring or environment (with the local API: Zotero 10's
        local key, for writes); never read here, never logged.
    :param library: ``'user:ID'`` or ``'group:ID'``; defaults to ``settings.library``
        (:func:`default_library`).
    :param sleep: how to wait between retries (tests pass a recorder); by default a wait
        that :meth:`cancel` ends.
    :param base_delay: first wait after a failure without ``Retry-After``; doubles per attempt.
    """

    def __init__(
        self,
        settings: ZoteroSettings,
        api_key: str | None = None,
        *,
        library: str | None = None,
        sleep: Callable[[float], None] | None = None,
        base_delay: float = 1.0,
    ) -> None:
        self.local = settings.local
        self.library = library or default_library(settings)
        self._kind, self._ident = parse_library(self.library)
        self.url = (settings.local_url if self.local else settings.url).rstrip("/")
        self._settings = settings
        self._api_key = api_key or ""
        self._base_delay = base_delay
        self._shared = _Shared()
        self._sleep = sleep if sleep is not None else self._shared.waits.sleep
        self._http, self._zot = self._connect()
        self._prefix = f"/{self._kind}s/{self._ident}"

    def _connect(self) -> tuple[httpx2.Client, pyzotero.Zotero]:
        http = httpx2.Client(
            timeout=self._settings.timeout,
            follow_redirects=True,
            trust_env=not self.local,  # the local API is on loopback: never via a proxy
            event_hooks={"request": [self._shared.count, self._own_timeout],
                         "response": [self._inspect]},
        )
        key = self._api_key or None
        # a local API key (Zotero 10 writes) is unrelated to zotero.org keys and travels in
        # Zotero-API-Key, only on writes (server_localAPI.js 10.0)
        zot = pyzotero.Zotero(self._ident, self._kind, None if self.local else key,
                              local=self.local, client=http,
                              local_api_key=key if self.local else None)
        zot.endpoint = self.url
        return http, zot

    def fork(self) -> ZoteroClient:
        """A twin for another thread (pyzotero keeps per-request state on its instance) that
        shares this client's request count and ``Backoff`` pause; close it after use."""
        twin = copy.copy(self)
        twin._http, twin._zot = twin._connect()
        return twin

    def cancel(self) -> None:
        """End the waits of this client and its forks at once (with KeyboardInterrupt): for
        whoever catches Ctrl-C while forks wait in other threads."""
        self._shared.waits.stop()

    @property
    def requests(self) -> int:
        """HTTP requests sent so far by this client and its forks, retries included."""
        return self._shared.requests

    def close(self) -> None:
        """Close the HTTP connections (pyzotero only does so when garbage-collected)."""
        self._http.close()

    def __enter__(self) -> ZoteroClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- reads

    def items(
        self,
        *,
        since: int | None = None,
        start: int = 0,
        limit: int | None = 100,
        include_trashed: bool = True,
        item_type: str | None = REGULAR_ITEMS,
        if_modified_since: int | None = None,
    ) -> Page | None:
        """One page of items, newest first; ``None`` when ``if_modified_since`` is current.

        ``limit=None`` asks for everything at once, which only the local API honours.
        """
        # pyzotero reads limit=None as "send no limit" (and a missing one as 100)
        params: dict[str, Any] = {"start": start, "limit": limit}
        if since is not None:
            params["since"] = since
        if include_trashed:
            params["includeTrashed"] = 1
        if item_type:
            params["itemType"] = item_type
        if if_modified_since is not None:
            return self._conditional("items", "/items", params, if_modified_since)
        return self._call("items", lambda: self._page(self._zot.items, params))

    def collections(self, *, since: int | None = None, start: int = 0,
                    limit: int | None = 100) -> Page:
        """One page of collections (trashed ones carry ``data.deleted``)."""
        params: dict[str, Any] = {"start": start, "limit": limit}
        if since is not None:
            params["since"] = since
        return self._call("collections", lambda: self._page(self._zot.collections, params))

    def deleted(self, since: int) -> Deleted:
        """Items and collections erased after version ``since`` (the Web API only)."""
        if self.local:
            raise ZoteroError(f"Zotero's local API at '{self.url}' has no /deleted endpoint.",
                              service="zotero", url=self.url)
        try:
            body = self._call("deleted", lambda: self._zot.deleted(since=since))
        except ZoteroError as exc:
            if exc.status != 409:
                raise
            raise ZoteroDeleteLogExpiredError(
                f"Zotero no longer lists what was deleted from library '{self.library}' since "
                f"version {since}.", service="zotero", url=self.url, status=409) from exc
        return Deleted(list(body.get("items", [])), list(body.get("collections", [])),
                       self._version())

    def key_info(self) -> dict[str, Any]:
        """``GET /keys/current``: the key's user ID and access (pyzotero's ``key_info`` puts
        the key in the URL, where it would reach logs and error messages)."""
        return self._call("key lookup", lambda: self._get("/keys/current", {}, {}).json())

    # ---------------------------------------------------------------- writes

    def create_items(self, items: Sequence[Mapping[str, Any]], *,
                     library_version: int | None = None) -> WriteResult:
        """Create or update up to 50 items in one POST with a fresh ``Zotero-Write-Token``.

        :param library_version: sent as ``If-Unmodified-Since-Version``; the whole request
            fails with a 412 :class:`ZoteroError` if the library moved on since.
        :returns: the per-index report; objects can fail one by one.
        """
        if len(items) > MAX_KEYS:
            raise ValueError(f"at most {MAX_KEYS} items per request, got {len(items)}")
        payload = [dict(item) for item in items]
        report = self._call("write", lambda: self._zot.create_items(
            payload, last_modified=library_version), idempotent=False)
        return self._report(report)

    # ---------------------------------------------------------------- plumbing

    def _page(self, method: Callable[..., Any], params: dict[str, Any]) -> Page:
        objects = _listed(method(**params))
        return Page(objects, _header_int(self._last().headers, "total-results", len(objects)),
                    self._version())

    def _last(self) -> httpx2.Response:
        """pyzotero keeps the last response on ``request``; read its headers from there."""
        assert self._zot.request is not None, "no request made yet"
        return self._zot.request

    def _version(self) -> int:
        return _header_int(self._last().headers, "last-modified-version")

    def _get(self, path: str, params: dict[str, Any], headers: dict[str, str]) -> httpx2.Response:
        """A GET pyzotero cannot make (conditional); same client, same headers as pyzotero."""
        response = self._http.get(
            f"{self.url}{path}", params={**params, "locale": self._zot.locale},
            headers={**self._zot.default_headers(), **headers})
        # httpx2's raise_for_status() raises on 304, so look first
        if response.status_code != 304 and response.status_code >= 400:
            self._fail(response.status_code, _gist(response), None)
        return response

    def _conditional(self, what: str, path: str, params: dict[str, Any],
                     known: int | None) -> Page | None:
        query = {"format": "json", **{k: v for k, v in params.items() if v is not None}}
        headers = {} if known is None else {"If-Modified-Since-Version": str(known)}

        def fetch() -> Page | None:
            response = self._get(self._prefix + path, query, headers)
            if response.status_code == 304:
                return None
            objects = _listed(response.json())
            return Page(objects, _header_int(response.headers, "total-results", len(objects)),
                        _header_int(response.headers, "last-modified-version"))

        return self._call(what, fetch)

    def _own_timeout(self, request: httpx2.Request) -> None:
        """``zotero.timeout`` for every request: pyzotero passes its own fixed timeout to each
        read, which would make a dead server cost minutes."""
        request.extensions["timeout"] = httpx2.Timeout(self._settings.timeout).as_dict()

    def _inspect(self, response: httpx2.Response) -> None:
        """Read the whole answer and judge it before pyzotero does (see the module docstring).

        ``Backoff`` on any response pauses every request after it (Zotero Web API v3 docs; the
        desktop client's syncAPIClient.js does the same).
        """
        response.read()  # a reset or a body cut short raises here, as an httpx2 TransportError
        headers = response.headers
        backoff = server_wait(headers.pop("backoff", None))
        retry_after = server_wait(headers.pop("retry-after", None))
        if backoff is not None:
            shared = self._shared
            shared.backoff_until = max(shared.backoff_until, time.monotonic() + backoff)
        status = response.status_code
        if status in _RETRY_STATUSES:
            raise _Retry(status, retry_after if retry_after is not None else backoff,
                         _gist(response))
        if 200 <= status < 300 and _is_html(response):
            raise _Retry(None, None, f"the answer was {_gist(response)}, not Zotero's JSON")

    def _call(self, what: str, fn: Callable[[], T], *, idempotent: bool = True) -> T:
        """Run ``fn`` with retries for 429/5xx and timeouts.

        pyzotero retries a 429 that carries ``Retry-After`` itself, but raises on 503 and on
        timeouts; the desktop client waits and retries both, so do we. Writes are retried only
        when the server surely did nothing (429, 503): a fresh write token on a retry after a
        timeout or 500 could create duplicates (Zotero Web API v3 docs, write tokens).
        """
        delay = self._base_delay
        for attempt in range(self._settings.retries + 1):
            if (pause := self._shared.backoff_until - time.monotonic()) > 0:
                self._wait(pause, "asked for a pause (Backoff)", None)
            # pyzotero clears its per-call query parameters only after a *successful* read; after
            # a failure they leak into the next call (a 'since' from /deleted into a full listing)
            self._zot.url_params = None
            try:
                with self._errors(what, idempotent):
                    return fn()
            except _Retry as retry:
                if not idempotent and retry.status not in (429, 503):
                    self._fail(retry.status, f"{retry.text}; the write may have landed",
                               retry, hint="run the command again: refsync first checks what "
                                           "landed", typed=ZoteroWriteUncertainError)
                if attempt == self._settings.retries:
                    tries = f"gave up after {attempt + 1} attempts" if attempt else "gave up"
                    self._fail(retry.status, f"{retry.text}; {tries}", retry)
                if retry.retry_after is not None:
                    self._wait(retry.retry_after, f"answered {retry.status}", retry)
                else:
                    self._wait(delay, f"failed ({retry.text})", None)
                    delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, seconds: float, why: str, retry: _Retry | None) -> None:
        """Sit out a server-asked or backoff wait, told to the user; a server-asked one longer
        than ``zotero.max_wait`` ends the command instead."""
        if seconds > self._settings.max_wait:
            until = time.strftime("%H:%M", time.localtime(time.time() + seconds))
            raise ZoteroError(
                f"Zotero at '{self.url}' {why} and asked refsync to wait {seconds:.0f} s "
                f"(until {until}).", service="zotero", url=self.url,
                status=retry.status if retry else None, retry_after=seconds,
                hint="try again then, or raise [zotero] max_wait")
        announce_wait(_log, "Zotero", seconds, why)
        self._sleep(seconds)

    @contextmanager
    def _errors(self, what: str, idempotent: bool) -> Iterator[None]:
        """Translate pyzotero and httpx2 failures once (style guide: translate at the adapter).

        A read that failed in transit is tried again; a write is not, as the server may have
        acted on it (the write journal settles it on the next run).
        """
        try:
            yield
        except ze.UnsupportedParamsError as exc:
            if self.local and what == "write":
                raise ZoteroError(
                    f"Zotero's local API at '{self.url}' is read-only.",
                    service="zotero", url=self.url,
                    hint="writes through the local API need Zotero 10; or use the Web API",
                ) from exc
            status, text = self._answer(exc)
            self._fail(status or 400, text, exc)
        except ze.PyZoteroError as exc:
            status, text = self._answer(exc)
            self._fail(status, text, exc)
        except ValueError as exc:  # JSON cut short with an honest Content-Length
            raise _Retry(None, None, "the answer was not complete JSON") from exc
        except httpx2.TimeoutException as exc:
            raise _Retry(None, None, f"no answer within {self._settings.timeout:g} s") from exc
        except httpx2.ConnectError as exc:
            if name_lookup_failed(exc):
                self._fail(None, "", exc, message=f"Cannot look up the host of '{self.url}'.",
                           hint="check the network connection and [zotero] url")
            hint = "is Zotero running with its local API enabled?" if self.local else None
            self._fail(None, "", exc, message=f"Cannot reach Zotero at '{self.url}' "
                                               f"({type(exc).__name__}).", hint=hint)
        except httpx2.TransportError as exc:  # reset, or closed before the answer was complete
            raise _Retry(None, None, f"the connection broke ({type(exc).__name__})") from exc

    def _answer(self, exc: ze.PyZoteroError) -> tuple[int | None, str]:
        """The status and body of the response pyzotero raised ``exc`` for: the
        httpx2.HTTPStatusError it raises from, else the last response it kept."""
        cause = exc.__cause__
        response = (cause.response if isinstance(cause, httpx2.HTTPStatusError)
                    else self._zot.request)
        if response is None or response.status_code < 400:
            return None, type(exc).__name__
        return response.status_code, _gist(response)

    def _fail(self, status: int | None, text: str, exc: BaseException | None, *,
              message: str = "", hint: str | None = None,
              typed: type[ZoteroError] | None = None) -> NoReturn:
        """Raise the one :class:`ZoteroError` for a failure. The server's words are kept to
        their first line, the API key masked in them, and a foreign exception that quotes the
        key is not chained (``--debug`` prints chained tracebacks)."""
        detail = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
        cause = exc
        if self._api_key:
            detail = detail.replace(self._api_key, "***")
            if exc is not None and any(self._api_key in str(c) for c in causes(exc)):
                cause = None
        code = f"{status} " if status else ""
        typed = typed or _TYPED_ERRORS.get(status or 0, ZoteroError)
        if typed is ZoteroAuthError:
            raise ZoteroAuthError(
                f"Zotero refused access to library '{self.library}' at '{self.url}' "
                f"({code}{detail}).".replace(" ()", ""),
                service="zotero", url=self.url, status=status,
                hint="check the API key (keyring or ZOTERO_API_KEY) and that it can read "
                     "this library",
            ) from cause
        raise typed(
            message or f"Zotero request for library '{self.library}' at '{self.url}' failed "
                       f"({code}{detail}).",
            service="zotero", url=self.url, status=status, hint=hint,
            retry_after=getattr(exc, "retry_after", None),
        ) from cause

    def _report(self, report: Any) -> WriteResult:
        if not isinstance(report, Mapping):
            raise _Retry(None, None, "the write report was not Zotero's JSON")
        failed = {
            int(i): WriteFailure(int(f.get("code", 0)), str(f.get("message", "")),
                                 str(f.get("key", "")))
            for i, f in report.get("failed", {}).items()
        }
        successful = {
            int(i): (obj.get("data", obj) if isinstance(obj, Mapping) else {"key": obj})
            for i, obj in (report.get("successful") or report.get("success") or {}).items()
        }
        return WriteResult(
            version=self._version(),
            successful=successful,
            unchanged={int(i): str(k) for i, k in report.get("unchanged", {}).items()},
            failed=failed,
        )


def _gist(response: httpx2.Response) -> str:
    """A server's answer in a few words for an error line: an HTML page (a proxy's or a
    captive portal's) is named as such instead of quoted."""
    if _is_html(response):
        return "an HTML page (a proxy or captive portal?)"
    first = response.text.strip().splitlines()[0] if response.text.strip() else ""
    return first[:200]


def _is_html(response: httpx2.Response) -> bool:
    """Zotero never answers in HTML; proxies, captive portals and load balancers do."""
    return ("html" in response.headers.get("content-type", "")
            or response.content.lstrip()[:1] == b"<")


def _listed(objects: Any) -> list[dict[str, Any]]:
    if not isinstance(objects, list):
        raise _Retry(None, None, "the answer was not a list of Zotero objects")
    return objects


def _header_int(headers: Mapping[str, str], name: str, default: int = 0) -> int:
    try:
        return int(headers.get(name, default))
    except ValueError:
        raise _Retry(None, None, f"the answer's {name} header was not a number") from None
