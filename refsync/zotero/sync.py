"""The one-way sync that brings a :class:`~refsync.zotero.mirror.Mirror` up to its library's
version with as few requests as the Web API allows: one when nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from queue import SimpleQueue
from typing import Any

from refsync.errors import ZoteroDeleteLogExpiredError, ZoteroError
from refsync.zotero.client import Page, ZoteroClient
from refsync.zotero.mirror import Changes, Mirror

__all__ = ["SyncStats", "sync_mirror"]

#: pages fetched at once; the dataserver allows 5 requests in flight per key
WORKERS = 4
#: how often a sync starts over when the library changes under it (the desktop sync engine restarts)
ATTEMPTS = 3


@dataclass(frozen=True)
class SyncStats:
    """What one :func:`sync_mirror` did; ``requests`` counts HTTP requests, retries included."""

    library: str
    version: int
    requests: int
    unchanged: bool = False
    full: bool = False
    items_updated: int = 0
    items_deleted: int = 0
    collections_updated: int = 0
    collections_deleted: int = 0
    restarts: int = 0

    def summary(self) -> str:
        """One line for ``refsync -v``: what the sync fetched and what it cost."""
        if self.unchanged:
            done = "unchanged"
        else:
            done = (f"{'full listing, ' if self.full else ''}{self.items_updated} items and "
                    f"{self.collections_updated} collections fetched, {self.items_deleted} items "
                    f"and {self.collections_deleted} collections deleted")
        return (f"library {self.library} at version {self.version}: {done} "
                f"({self.requests} requests)")


class _LibraryMoved(Exception):
    """Responses of one sync disagreed on the library version: something was written meanwhile."""


def sync_mirror(client: ZoteroClient, mirror: Mirror) -> SyncStats:
    """Bring ``mirror`` up to the library's current version (Zotero Web API v3 syncing docs).

    First sync: page all regular items (trash included) 100 at a time, then collections.
    Later syncs: one conditional request for items changed since the mirror's version — a 304
    ends the sync — then changed collections and ``/deleted``. Through the local API, which has
    no ``/deleted`` and whose versions miss unsynced edits (server_localAPI.js), every sync
    lists everything and compares keys. Nothing is written until every response is in, and
    all responses must report one library version, else the sync starts over.

    :raises ZoteroError: on failures after retries, or if the library keeps changing.
    """
    if client.library != mirror.library:
        raise ValueError(f"client is for '{client.library}', mirror for '{mirror.library}'")
    return _sync(client, mirror)


def _sync(client: ZoteroClient, mirror: Mirror) -> SyncStats:
    before = client.requests
    for attempt in range(ATTEMPTS):
        try:
            changes = _fetch(client, mirror.version)
        except _LibraryMoved:
            continue
        if changes is None:
            return SyncStats(mirror.library, mirror.version or 0, client.requests - before,
                             unchanged=True, restarts=attempt)
        items_gone, colls_gone = mirror.apply(changes)
        return SyncStats(mirror.library, changes.version, client.requests - before,
                         full=changes.full, items_updated=len(changes.items),
                         items_deleted=items_gone, collections_updated=len(changes.collections),
                         collections_deleted=colls_gone, restarts=attempt)
    raise ZoteroError(f"Zotero library '{client.library}' kept changing during the sync.",
                      service="zotero", url=client.url, hint="try again in a moment")


def _fetch(client: ZoteroClient, since: int | None) -> Changes | None:
    if client.local:
        # the local API has no default limit: one request each lists everything
        items = _all(client, client.items(limit=None),
                     lambda c, start: c.items(start=start, limit=None))
        colls = _all(client, client.collections(limit=None),
                     lambda c, start: c.collections(start=start, limit=None))
        return Changes(_agree(items, colls), full=True, items=_data(items),
                        collections=_data(colls))
    if since is None:
        items = _all(client, client.items(), lambda c, start: c.items(start=start))
        colls = _all(client, client.collections(), lambda c, start: c.collections(start=start))
        return Changes(_agree(items, colls), full=True, items=_data(items),
                        collections=_data(colls))
    # the conditional "anything new?" probe doubles as the first page of changes
    first = client.items(since=since, if_modified_since=since)
    if first is None:
        return None
    items = _all(client, first, lambda c, start: c.items(since=since, start=start))
    colls = _all(client, client.collections(since=since),
                 lambda c, start: c.collections(since=since, start=start))
    try:
        deleted = client.deleted(since)
    except ZoteroDeleteLogExpiredError:
        # the desktop client then does a full sync (syncAPIClient.js getDeleted), and so do we
        return _fetch(client, None)
    version = _agree(items, colls, [Page([], 0, deleted.version)])
    return Changes(version, full=False, items=_data(items), collections=_data(colls),
                    deleted_items=deleted.items, deleted_collections=deleted.collections)


def _all(client: ZoteroClient, first: Page | None,
         fetch: Callable[[ZoteroClient, int], Page | None]) -> list[Page]:
    """The remaining pages after ``first``, fetched ``WORKERS`` at a time.

    Round trips, not bytes, dominate a first sync (500 pages for 50,000 items), and the
    dataserver lets one key have 5 requests in flight; each thread needs its own pyzotero.
    """
    assert first is not None  # only conditional requests answer None
    step = len(first.objects)
    starts = list(range(step, first.total, step)) if step else []
    if first.total > step and not starts:
        raise _LibraryMoved
    twins = [client.fork() for _ in range(min(WORKERS, len(starts)))]
    idle: SimpleQueue[ZoteroClient] = SimpleQueue()
    for twin in twins:
        idle.put(twin)

    def one(start: int) -> Page | None:
        twin = idle.get()
        try:
            return fetch(twin, start)
        finally:
            idle.put(twin)

    pool = ThreadPoolExecutor(max(len(twins), 1), thread_name_prefix="refsync-zotero")
    try:
        pages = [first, *pool.map(one, starts)]
    except BaseException:
        client.cancel()  # Ctrl-C: the twins must not sit out a Retry-After first
        raise
    finally:
        pool.shutdown(cancel_futures=True)
        for twin in twins:
            twin.close()
    # offsets shift when the library changes under the paging: start over
    if any(p is None or p.version != first.version for p in pages) or sum(
            len(p.objects) for p in pages if p) != first.total:
        raise _LibraryMoved
    return [p for p in pages if p]


def _agree(*groups: list[Page]) -> int:
    versions = {page.version for pages in groups for page in pages}
    if len(versions) != 1:
        raise _LibraryMoved
    return versions.pop()


def _data(pages: list[Page]) -> list[dict[str, Any]]:
    return [obj.get("data", obj) for page in pages for obj in page.objects]
