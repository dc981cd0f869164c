"""Loopback fake of the Zotero Web API v3 (and the desktop local API under ``/api``), plus fixtures.

Behaviour follows the Zotero Web API v3 docs and the dataserver sources (and Zotero's
server_localAPI.js for ``/api``): auth, paging, versions, 304s, write reports, write tokens,
and the blind spots (trash is not deletion; deleting a collection leaves member items' versions).
"""

from __future__ import annotations

import copy
import json
import random
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from refsync.config import Settings, ZoteroSettings

from .faults import FaultPlan
from .server import LoggedRequest, LoopbackServer

KEY_CHARS = "23456789ABCDEFGHIJKLMNPQRSTUVWXYZ"  # dataserver Zotero_ID::isValidKey
API_KEY = "FakeKey0123456789abcdefg"
USER_ID = 123
GROUP_ID = 456
# /itemFields as served in 2026 (web-library fixture item-fields.json) plus the fields of newer
# item types from zotero-schema (dataset, standard); pyzotero's update_item()
# checks payload keys against it before every PATCH.
ITEM_FIELDS = (
    "numPages numberOfVolumes abstractNote accessDate applicationNumber archive archiveID "
    "artworkSize assignee billNumber blogTitle bookTitle callNumber caseName citationKey code "
    "codeNumber codePages codeVolume committee company conferenceName country court DOI date "
    "dateDecided dateEnacted dictionaryTitle distributor docketNumber documentNumber edition "
    "encyclopediaTitle episodeNumber extra audioFileType filingDate firstPage videoRecordingFormat "
    "audioRecordingFormat forumTitle genre history ISBN ISSN institution issue issueDate "
    "issuingAuthority journalAbbreviation label language legalStatus legislativeBody "
    "libraryCatalog archiveLocation artworkMedium interviewMedium meetingName nameOfAct network "
    "pages patentNumber place postType priorityNumbers proceedingsTitle programmingLanguage "
    "programTitle publicLawNumber publicationTitle publisher references reportNumber reportType "
    "reporter reporterVolume repository rights runningTime scale section series seriesNumber "
    "seriesText seriesTitle session shortTitle studio subject system title presentationType "
    "thesisType mapType manuscriptType letterType url university versionNumber volume "
    "websiteTitle websiteType "
    # fields of newer item types (dataset, standard) in zotero-schema
    "format identifier number organization repositoryLocation status type"
).split()
# item types (web-library fixture item-types.json, plus the non-listed child/newer types)
ITEM_TYPES = (
    "artwork audioRecording bill blogPost book bookSection case conferencePaper dictionaryEntry "
    "document email encyclopediaArticle film forumPost hearing instantMessage interview "
    "journalArticle letter magazineArticle manuscript map newspaperArticle note patent podcast "
    "preprint presentation radioBroadcast report computerProgram statute tvBroadcast thesis "
    "videoRecording webpage attachment annotation dataset standard"
).split()
LIST_304 = {"items", "collections", "searches", "settings", "tags"}  # dataserver: 304 only on these
Response = tuple[int, dict[str, str], bytes]
Routed = tuple[int, dict[str, str], Any]  # body: JSON-able, text, or None


class HTTPFailure(Exception):
    """Ends a request early with a status and plain-text body (the dataserver's error style)."""

    def __init__(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(text)
        self.status, self.text, self.headers = status, text, headers or {}


@dataclass
class Fault:
    status: int
    headers: dict[str, str]
    body: str
    times: int
    after: int
    path: str


@dataclass
class FakeLibrary:
    """One library's objects and version bookkeeping; helpers are the tests' building blocks."""

    kind: str  # "user" | "group"
    id: int
    rng: random.Random
    version: int = 0
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    collections: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: list[tuple[str, str, int]] = field(default_factory=list)  # (type, key, version)
    _cache: dict[Any, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def prefix(self) -> str:
        return f"/{self.kind}s/{self.id}"

    def new_key(self) -> str:
        while (key := "".join(self.rng.choices(KEY_CHARS, k=8))) in self.items or (
            key in self.collections
        ):
            pass
        return key

    def bump(self) -> int:
        """Each written object gets its own library version (per-object bumps since 2026-03)."""
        self.version += 1
        self._cache.clear()
        return self.version

    @staticmethod
    def stamp(version: int) -> str:
        return f"2026-01-{1 + version // 86400 % 28:02d}T{version // 3600 % 24:02d}:" \
               f"{version // 60 % 60:02d}:{version % 60:02d}Z"

    # ---- helpers for tests (each is one write, as the desktop client would make it) ----
    def add_item(self, **data: Any) -> str:
        data.setdefault("itemType", "journalArticle")
        key = data.pop("key", None) or self.new_key()
        self.store_item(key, _normalise_item(data))
        return key

    def update_item(self, key: str, **changes: Any) -> None:
        self.store_item(key, {**self.items[key], **_normalise_item(changes)})

    def store_item(self, key: str, data: dict[str, Any]) -> dict[str, Any]:
        self.items[key] = self.build_item(key, data, self.bump())
        return self.items[key]

    def build_item(self, key: str, data: dict[str, Any], version: int) -> dict[str, Any]:
        """Item data in the dataserver's property order (Item::toJSON)."""
        old = self.items.get(key, {})
        item: dict[str, Any] = {"key": key, "version": version}
        if data.get("parentItem"):
            item["parentItem"] = data["parentItem"]
        item["itemType"] = data.get("itemType", old.get("itemType", "journalArticle"))
        item["title"] = data.get("title", "")
        item["creators"] = data.get("creators", [])
        reserved = {"key", "version", "parentItem", "itemType", "title", "creators", "deleted",
                    "tags", "collections", "relations", "dateAdded", "dateModified"}
        item.update({k: v for k, v in data.items() if k not in reserved})
        if data.get("deleted"):
            item["deleted"] = 1  # items use the integer 1 (Item::toJSON)
        item["tags"] = data.get("tags", [])
        if not data.get("parentItem"):  # collections only on top-level items
            item["collections"] = list(data.get("collections", []))
        item["relations"] = data.get("relations", {})
        item["dateAdded"] = old.get("dateAdded") or self.stamp(version)
        item["dateModified"] = self.stamp(version)
        return item

    def trash(self, key: str) -> None:
        self.update_item(key, deleted=1)

    def restore(self, key: str) -> None:
        self.store_item(key, {k: v for k, v in self.items[key].items() if k != "deleted"})

    def delete_item(self, key: str) -> None:
        """Erase an item (and its children): this, not trashing, is what /deleted reports."""
        for child in [k for k, v in self.items.items() if v.get("parentItem") == key]:
            self.delete_item(child)
        del self.items[key]
        self.deleted.append(("items", key, self.bump()))

    def add_collection(self, name: str, parent: str | None = None, key: str | None = None) -> str:
        key = key or self.new_key()
        self.store_collection(key, {"name": name, "parentCollection": parent or False})
        return key

    def store_collection(self, key: str, data: dict[str, Any]) -> dict[str, Any]:
        version = self.bump()
        coll = {"key": key, "version": version, "name": data["name"],
                "parentCollection": data.get("parentCollection") or False,
                "relations": data.get("relations", {})}
        if data.get("deleted"):
            coll["deleted"] = True  # collections use a boolean (Collection::toJSON)
        self.collections[key] = coll
        return coll

    def rename_collection(self, key: str, name: str) -> None:
        self.store_collection(key, {**self.collections[key], "name": name})

    def delete_collection(self, key: str) -> None:
        """Erase a collection and its subcollections.

        Member items lose the key **without** a version bump: the dataserver's blind spot.
        """
        for sub in [k for k, c in self.collections.items() if c["parentCollection"] == key]:
            self.delete_collection(sub)
        del self.collections[key]
        for item in self.items.values():
            if key in item.get("collections", ()):
                item["collections"] = [c for c in item["collections"] if c != key]
        self.deleted.append(("collections", key, self.bump()))

    def add_to_collection(self, item: str, coll: str) -> None:
        self.update_item(item, collections=[*self.items[item]["collections"], coll])

    def remove_from_collection(self, item: str, coll: str) -> None:
        kept = [c for c in self.items[item]["collections"] if c != coll]
        self.update_item(item, collections=kept)

    def tag(self, item: str, *tags: str) -> None:
        have = [t["tag"] for t in self.items[item]["tags"]]
        self.update_item(item, tags=have + [t for t in tags if t not in have])

    def untag(self, item: str, *tags: str) -> None:
        self.update_item(item, tags=[t for t in self.items[item]["tags"] if t["tag"] not in tags])

    def delete_tags(self, *tags: str) -> None:
        version = self.bump()
        for item in self.items.values():
            item["tags"] = [t for t in item["tags"] if t["tag"] not in tags]
        self.deleted.extend(("tags", t, version) for t in tags)

    def child_counts(self) -> dict[str, int]:
        """Per-version cache: rendering a page must not scan 50,000 items per item."""
        counts: dict[str, int] | None = self._cache.get("numChildren")
        if counts is None:
            counts = {}
            for data in self.items.values():
                if data.get("parentItem"):
                    counts[data["parentItem"]] = counts.get(data["parentItem"], 0) + 1
            self._cache["numChildren"] = counts
        return counts

    # ---- JSON the API serves ----
    def library_json(self, base: str) -> dict[str, Any]:
        return {"type": self.kind, "id": self.id, "name": f"Fake {self.kind} {self.id}",
                "links": {"alternate": {"href": f"https://www.zotero.org/{self.kind}s/{self.id}",
                                        "type": "text/html"}}}

    def item_json(self, key: str, base: str) -> dict[str, Any]:
        data = self.items[key]
        meta: dict[str, Any] = {}
        creators = [c.get("lastName") or c.get("name", "") for c in data.get("creators", [])]
        if creators:
            meta["creatorSummary"] = (
                creators[0] if len(creators) == 1 else
                f"{creators[0]} and {creators[1]}" if len(creators) == 2 else
                f"{creators[0]} et al."
            )
        if m := re.search(r"\d{4}", str(data.get("date", ""))):
            meta["parsedDate"] = m.group(0)
        meta["numChildren"] = self.child_counts().get(key, 0)
        links: dict[str, Any] = {
            "self": {"href": f"{base}{self.prefix}/items/{key}", "type": "application/json"}}
        if data.get("parentItem"):
            links["up"] = {"href": f"{base}{self.prefix}/items/{data['parentItem']}",
                           "type": "application/json"}
        return {"key": key, "version": data["version"], "library": self.library_json(base),
                "links": links, "meta": meta, "data": copy.deepcopy(data)}

    def collection_json(self, key: str, base: str) -> dict[str, Any]:
        data = self.collections[key]
        links: dict[str, Any] = {
            "self": {"href": f"{base}{self.prefix}/collections/{key}", "type": "application/json"}}
        if data["parentCollection"]:
            links["up"] = {"href": f"{base}{self.prefix}/collections/{data['parentCollection']}",
                           "type": "application/json"}
        meta = {
            "numCollections": sum(1 for c in self.collections.values()
                                  if c["parentCollection"] == key),
            "numItems": sum(1 for i in self.items.values() if key in i.get("collections", ())),
        }
        return {"key": key, "version": data["version"], "library": self.library_json(base),
                "links": links, "meta": meta, "data": copy.deepcopy(data)}


def _normalise_item(data: dict[str, Any]) -> dict[str, Any]:
    """Let tests write ``tags=["a"]`` and ``deleted=True``; store the API's shapes."""
    out = dict(data)
    if "tags" in out:
        out["tags"] = [t if isinstance(t, dict) else {"tag": t} for t in out["tags"]]
    if "deleted" in out:
        out["deleted"] = 1 if out["deleted"] else 0
    return out


class FakeZotero:
    """The app behind :class:`LoopbackServer`; helper calls go to the default user library.

    ``zotero.library("group:456")`` reaches the group library. The local API (Zotero 7–9:
    read-only, no auth, no ``/deleted``, no default limit) is served under ``/api`` with
    user ID 0 standing for the default user library.
    """

    def __init__(self, seed: int = 1) -> None:
        self.lock = threading.RLock()
        self.reset(seed)

    def reset(self, seed: int = 1) -> None:
        """Fresh state: one user library (123), one group (456), one full-access key."""
        with self.lock:
            rng = random.Random(seed)
            self.libraries = {
                "user:123": FakeLibrary("user", USER_ID, rng),
                "group:456": FakeLibrary("group", GROUP_ID, rng),
            }
            self.keys: dict[str, dict[str, Any]] = {}
            self.add_key(API_KEY)
            self.write_tokens: set[tuple[str, str]] = set()
            self.faults: list[Fault] = []
            self.extra_headers: list[dict[str, str]] = []
            self.slow_methods: list[tuple[str, float]] = []
            self.requests: list[LoggedRequest] = []
            self.scheduled: list[tuple[int, Callable[[], None]]] = []
            self.latency = 0.0  # seconds added to every response: a network round trip
            self.failing_objects: set[int] = set()  # indexes the next multi-object write fails
            self.local_enabled = True

    def __getattr__(self, name: str) -> Any:
        # helpers (add_item, trash, …) act on the default user library
        return getattr(self.__dict__["libraries"]["user:123"], name)

    def library(self, name: str = "user:123") -> FakeLibrary:
        return self.libraries[name]

    def add_key(self, key: str, *, write: bool = True, groups: bool = True) -> None:
        access: dict[str, Any] = {"user": {"library": True, "files": True, "notes": True,
                                           "write": write}}
        if groups:
            access["groups"] = {"all": {"library": True, "write": write}}
        self.keys[key] = {"key": key, "userID": USER_ID, "username": "fake",
                          "displayName": "Fake User", "access": access}

    def fail_next(self, status: int = 503, *, retry_after: float | None = None,
                  backoff: float | None = None, times: int = 1, after: int = 0,
                  path: str = "", body: str = "") -> None:
        """Answer the next ``times`` requests (whose path contains ``path``, after letting
        ``after`` of them through) with ``status``, as an overloaded or rate-limiting server."""
        headers: dict[str, str] = {}
        if retry_after is not None:
            headers["Retry-After"] = f"{retry_after:g}"
        if backoff is not None:
            headers["Backoff"] = f"{backoff:g}"
        text = body or {429: "Request rate limit exceeded", 503: "Service unavailable"}.get(
            status, "Server error")
        self.faults.append(Fault(status, headers, text, times, after, path))

    def delay_next(self, seconds: float, *, times: int = 1, method: str = "") -> None:
        """Make the next responses (to ``method`` requests only, if given) slow, to trigger
        client timeouts; the request itself is still carried out, as on a real server."""
        if method:
            self.slow_methods.extend((method, seconds) for _ in range(times))
        else:
            self.extra_headers.extend({"X-Fake-Delay": f"{seconds:g}"} for _ in range(times))

    def fail_objects(self, *indexes: int) -> None:
        """Make the next multi-object write fail these objects with the dataserver's per-object
        500 (not written) while the others succeed: a partial batch failure."""
        self.failing_objects = set(indexes)

    def backoff_next(self, seconds: float) -> None:
        """Add a ``Backoff`` header to the next response (server under load)."""
        self.extra_headers.append({"Backoff": f"{seconds:g}"})

    def schedule(self, after: int, action: Callable[[], None]) -> None:
        """Run ``action`` (say, an edit) once ``after`` more requests have been answered: a
        library that changes in the middle of a client's sync."""
        self.scheduled.append((len(self.requests) + after, action))

    def to_snapshot(self, library: str = "user:123") -> dict[str, Any]:
        """The library as a snapshot document (Zotero objects, trashed ones included)."""
        lib = self.libraries[library]
        base = "https://api.zotero.org"
        return {"library": library, "version": lib.version,
                "collections": [lib.collection_json(k, base) for k in sorted(lib.collections)],
                "items": [lib.item_json(k, base) for k in sorted(lib.items)]}

    # ---- HTTP ----
    def handle(self, request: LoggedRequest) -> Response:
        with self.lock:
            self.requests.append(request)
            fault = self._take_fault(request.path)
            if fault:
                return fault.status, {**fault.headers, "Content-Type": "text/plain"}, \
                    fault.body.encode()
            extra = self.extra_headers.pop(0) if self.extra_headers else {}
            slow = next((s for s in self.slow_methods if s[0] == request.method), None)
            if slow:
                self.slow_methods.remove(slow)
                extra = {**extra, "X-Fake-Delay": f"{slow[1]:g}"}
            try:
                status, headers, body = self._route(request)
            except HTTPFailure as exc:
                status, headers, body = exc.status, {**exc.headers,
                                                     "Content-Type": "text/plain"}, exc.text
            for due, action in [s for s in self.scheduled if s[0] <= len(self.requests)]:
                self.scheduled.remove((due, action))
                action()
            headers = {"Zotero-API-Version": "3", "Zotero-Schema-Version": "41", **headers,
                       **extra}
            if self.latency:
                headers.setdefault("X-Fake-Delay", f"{self.latency:g}")
            if isinstance(body, str):
                return status, headers, body.encode()
            if body is None:
                return status, headers, b""
            headers.setdefault("Content-Type", "application/json")
            return status, headers, json.dumps(body).encode()

    def _take_fault(self, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.path not in path:
                continue
            if fault.after:
                fault.after -= 1
                return None
            fault.times -= 1
            if fault.times <= 0:
                self.faults.remove(fault)
            return fault
        return None

    def _route(self, request: LoggedRequest) -> Routed:
        return _Request(self, request).dispatch()


class _ObjectFailure(Exception):
    """One object of a multi-object write failed; reported under ``failed`` (dataserver Results)."""

    def __init__(self, code: int, message: str, **data: Any) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


ITEM_PROPS = {"key", "version", "parentItem", "itemType", "creators", "tags", "collections",
              "relations", "deleted", "dateAdded", "dateModified", "inPublications", "note",
              "linkMode", "contentType", "charset", "filename", "md5", "mtime", "path",
              "annotationType", "annotationText", *ITEM_FIELDS}
LINK_PARAMS = ("collectionKey", "direction", "format", "include", "includeTrashed", "itemKey",
               "itemType", "limit", "q", "qmode", "since", "sort", "start", "style", "tag")


def _comparable(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if k not in ("version", "dateAdded", "dateModified")}
    if not out.get("deleted"):
        out.pop("deleted", None)
    return out


def _escape(text: str) -> str:
    """PHP htmlspecialchars with ENT_QUOTES, as the dataserver applies to failure messages."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#039;"))


class _Request:
    """Routing, parameter parsing and rendering for one request."""

    def __init__(self, app: FakeZotero, req: LoggedRequest) -> None:
        self.app, self.req, self.q = app, req, req.query
        self.method, self.headers = req.method, req.headers
        self.local = req.path == "/api" or req.path.startswith("/api/")
        self.path = req.path[4:] if self.local else req.path
        host = req.headers.get("host", "127.0.0.1")
        self.base = f"http://{host}" + ("/api" if self.local else "")

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.q.get(name)
        return values[0] if values else default

    def int_param(self, name: str, message: str) -> int | None:
        value = self.param(name)
        if value is None or value == "":
            return None
        if not value.lstrip("-").isdigit():
            raise HTTPFailure(400, message)
        return int(value)

    # ---- auth (dataserver ApiController) ----
    def api_key(self) -> str | None:
        header, query = self.headers.get("zotero-api-key"), self.param("key")
        if header and query and header != query:
            raise HTTPFailure(400, "Zotero-API-Key header and 'key' parameter differ")
        if header or query:
            return header or query
        auth = self.headers.get("authorization", "")
        if auth[:6].lower() == "bearer":
            match = re.fullmatch(r"bearer +([a-z0-9]+)", auth, re.IGNORECASE)
            if not match:
                raise HTTPFailure(400, "Invalid Authorization header format")
            return match.group(1)
        return None

    def key_info(self) -> dict[str, Any] | None:
        key = self.api_key()
        if key is None:
            return None
        if key not in self.app.keys:
            raise HTTPFailure(403, "Invalid key")
        return self.app.keys[key]

    def library(self, kind: str, ident: str) -> FakeLibrary:
        num = int(ident) if ident.isdigit() else 0
        if self.local and kind == "users":
            if num not in (0, USER_ID):
                raise HTTPFailure(400, "Only data for the logged-in user is available locally "
                                       f"-- use userID 0 or {USER_ID}")
            return self.app.libraries["user:123"]
        if num <= 0:
            raise HTTPFailure(400, f"Invalid {kind[:-1]} ID")
        lib = self.app.libraries.get(f"{kind[:-1]}:{num}")
        if lib is None and kind == "groups":
            raise HTTPFailure(404, "Group not found")
        if self.local:
            assert lib is not None
            return lib
        info = self.key_info()
        write = self.method not in ("GET", "HEAD", "OPTIONS")
        if info is None:
            raise HTTPFailure(403, "An API key is required for write requests." if write
                              else "Forbidden")
        access = info["access"]
        if kind == "users":
            perm = access.get("user") if info["userID"] == num else None
        else:
            groups = access.get("groups", {})
            perm = groups.get(str(num)) or groups.get("all")
        if lib is None or not perm or not perm.get("library"):
            raise HTTPFailure(403, "Forbidden")
        if write and not perm.get("write"):
            raise HTTPFailure(403, "Write access denied")
        return lib

    # ---- routing ----
    def dispatch(self) -> Routed:
        parts = [p for p in self.path.split("/") if p]
        if self.local:
            if not self.app.local_enabled:
                raise HTTPFailure(403, "Local API is not enabled")
            if self.req.path == "/api/":
                return 200, {"Content-Type": "text/plain"}, "Nothing to see here."
            # Zotero 7–9 local API is read-only (server_localAPI.js 7.0)
            if self.method not in ("GET", "HEAD"):
                raise HTTPFailure(400, "Endpoint does not support method")
        if parts[:1] == ["keys"] and len(parts) == 2 and not self.local:
            return self.keys(parts[1])
        if parts == ["itemFields"]:
            return 200, {}, [{"field": f, "localized": f} for f in ITEM_FIELDS]
        if parts == ["itemTypes"]:
            return 200, {}, [{"itemType": t, "localized": t} for t in ITEM_TYPES]
        if parts == ["items", "new"] and not self.local:  # the local API has no templates
            return self.template()
        if len(parts) == 3 and parts[0] == "users" and parts[2] == "groups":
            self.library(parts[0], parts[1])  # the same access check as the user's library
            return 200, {}, [{"id": lib.id, "version": 1, "data": {"id": lib.id, "version": 1,
                                                                    "name": f"Fake group {lib.id}",
                                                                    "type": "Private"}}
                             for lib in self.app.libraries.values() if lib.kind == "group"]
        if len(parts) < 2 or parts[0] not in ("users", "groups"):
            raise HTTPFailure(404, "Not found")
        lib = self.library(parts[0], parts[1])
        rest = parts[2:]
        if self.method in ("GET", "HEAD"):
            single = len(rest) == 2 and rest[1] not in ("top", "trash", "tags")
            since = self.headers.get("if-modified-since-version")
            if rest[:1] and rest[0] in LIST_304 and not single and since is not None:
                if lib.version <= int(since):  # whole-library version, lists only
                    return 304, {}, None
            return self.read(lib, rest)
        return self.write(lib, rest)

    def template(self) -> Routed:
        """A simplified ``/items/new`` (the real one lists every field of the type)."""
        item_type = self.param("itemType") or ""
        if item_type not in ITEM_TYPES:
            raise HTTPFailure(400, f"Invalid item type '{item_type}'")
        creators = [] if item_type in ("note", "attachment", "annotation") else [
            {"creatorType": "author", "firstName": "", "lastName": ""}]
        fields = {f: "" for f in ("title", "abstractNote", "date", "DOI", "url", "extra")}
        return 200, {}, {"itemType": item_type, "creators": creators, **fields, "tags": [],
                         "collections": [], "relations": {}}

    def keys(self, which: str) -> Routed:
        if which == "current":
            info = self.key_info()
            if info is None:
                raise HTTPFailure(403, "Forbidden")
            if self.method == "DELETE":
                del self.app.keys[info["key"]]
                return 204, {}, None
        elif which not in self.app.keys:
            raise HTTPFailure(404, f"Key '{which}' not found")
        else:
            info = self.app.keys[which]
        return 200, {}, copy.deepcopy(info)

    def read(self, lib: FakeLibrary, rest: list[str]) -> Routed:
        head, tail = (rest[0] if rest else ""), rest[1:]
        if head == "items":
            if tail in ([], ["top"], ["trash"]):
                return self.item_list(lib, tail[0] if tail else "all")
            if len(tail) == 2 and tail[1] == "children":
                return self.item_list(lib, "children", tail[0])
            if len(tail) == 1:
                if tail[0] not in lib.items:
                    raise HTTPFailure(404, "Item not found")
                return 200, {"Last-Modified-Version": str(lib.items[tail[0]]["version"])}, \
                    lib.item_json(tail[0], self.base)
        if head == "collections":
            if tail in ([], ["top"]):
                return self.collection_list(lib, tail[0] if tail else "all")
            if tail and tail[0] not in lib.collections:
                raise HTTPFailure(404, "Collection not found")
            if len(tail) == 1:
                return 200, {"Last-Modified-Version": str(lib.collections[tail[0]]["version"])}, \
                    lib.collection_json(tail[0], self.base)
            if tail[1:] == ["collections"]:
                return self.collection_list(lib, "sub", tail[0])
            if tail[1:] in (["items"], ["items", "top"]):
                return self.item_list(lib, "coll" + ("top" if len(tail) == 3 else ""), tail[0])
        if head == "tags" and not tail:
            return self.tag_list(lib)
        if head == "deleted" and not tail and not self.local:  # no /deleted locally
            since = self.int_param("since", "Invalid value for 'since' parameter")
            if since is None:
                raise HTTPFailure(400, "'since' parameter must be provided")
            out: dict[str, list[str]] = {k: [] for k in
                                         ("collections", "items", "searches", "tags", "settings")}
            for kind, key, version in lib.deleted:
                if version > since and key not in out[kind]:
                    out[kind].append(key)
            return 200, {"Last-Modified-Version": str(lib.version)}, out
        raise HTTPFailure(404, "Not found")

    # ---- multi-object reads ----
    def item_list(self, lib: FakeLibrary, route: str, ref: str = "") -> Routed:
        if len(self.q.get("itemType", ())) > 1:
            raise HTTPFailure(400, "Cannot specify 'itemType' more than once")
        keys = self.cached(lib, lambda: self.select_items(lib, route, ref))
        return self.page(lib, keys, lambda k: lib.item_json(k, self.base),
                         lambda k: lib.items[k]["version"], "itemKey" in self.q)

    def select_items(self, lib: FakeLibrary, route: str, ref: str) -> list[str]:
        items = lib.items
        with_trash = route == "trash" or self.param("includeTrashed") in ("1", "true")
        since = self.int_param("since", "Invalid value for 'since' parameter")
        if since is None:
            since = self.int_param("newer", "Invalid value for 'since' parameter")
        children: dict[str, list[str]] = {}
        for key, data in items.items():
            if data.get("parentItem"):
                children.setdefault(data["parentItem"], []).append(key)
        if route in ("all", "trash"):
            candidates = list(items)
        elif route == "children":
            candidates = children.get(ref, [])
        elif route == "top":
            candidates = [k for k, d in items.items() if not d.get("parentItem")]
        else:  # collection: direct members (+ their children unless /top)
            candidates = [k for k, d in items.items() if ref in d.get("collections", ())]
            if route == "coll":
                candidates += [c for k in candidates for c in children.get(k, [])]
        predicates = self.predicates()
        top = route in ("top", "colltop")
        out = []
        for key in candidates:
            data = items[key]
            if (route == "trash" and not data.get("deleted")) or (
                    data.get("deleted") and not with_trash):
                continue
            if since is not None and data["version"] <= since:
                continue
            family = [data] + ([items[c] for c in children.get(key, [])] if top else [])
            if all(any(p(d) for d in family) for p in predicates):
                out.append(key)
        return self.sorted(out, items, item=True)

    def predicates(self) -> list[Callable[[dict[str, Any]], bool]]:
        preds: list[Callable[[dict[str, Any]], bool]] = []
        sep = r"\s*\|\|\s*" if self.local else r"\s+\|\|\s+"  # web needs spaces around ||
        if self.param("itemKey") is not None:
            wanted = {k for k in (self.param("itemKey") or "").split(",") if k}
            preds.append(lambda d: d["key"] in wanted)
        if (value := self.param("itemType")) is not None:
            negate = value.startswith("-")
            types = {t.strip() for t in re.split(sep, value.lstrip("-"))}
            if negate:  # a negated itemType also drops annotations (Items::search)
                preds.append(lambda d: d["itemType"] not in types | {"annotation"})
            else:
                preds.append(lambda d: d["itemType"] in types)
        for value in self.q.get("tag", ()):
            alternatives = []
            for alt in re.split(sep, value):
                negate = alt.startswith("-")
                name = alt[1:] if negate else alt.replace("\\-", "-", 1)
                alternatives.append((negate, name))

            def tag_pred(d: dict[str, Any], alts: list[tuple[bool, str]] = alternatives) -> bool:
                have = {t["tag"] for t in d.get("tags", ())}
                return any((name not in have) if neg else (name in have) for neg, name in alts)

            preds.append(tag_pred)
        return preds

    def sorted(self, keys: list[str], objs: dict[str, dict[str, Any]], item: bool) -> list[str]:
        sort = self.param("sort") or self.param("order") or ("dateModified" if item else "name")
        if sort not in {"dateModified", "dateAdded", "title", "creator", "itemType", "date",
                        "name", "publicationTitle", "publisher", "version"}:
            raise HTTPFailure(400, "Invalid 'sort' value")
        direction = self.param("direction") or ("desc" if sort.startswith("date") else "asc")
        if direction not in ("asc", "desc"):
            raise HTTPFailure(400, "Invalid 'direction' value")
        field_name = "dateModified" if not item and sort.startswith("date") else sort

        def sort_key(key: str) -> tuple[Any, ...]:
            data = objs[key]
            return (str(data.get(field_name, "")).lower(), data["version"], key)

        return sorted(keys, key=sort_key, reverse=direction == "desc")

    def cached(self, lib: FakeLibrary, compute: Callable[[], list[str]]) -> list[str]:
        """Paging 50,000 items must not re-filter the library per page: cache per version."""
        ignored = {"start", "limit", "format", "locale", "key", "include", "timeout"}
        cache_key = (self.local, self.path,
                     tuple(sorted((k, tuple(v)) for k, v in self.q.items() if k not in ignored)))
        if cache_key not in lib._cache:
            lib._cache[cache_key] = compute()
        keys: list[str] = lib._cache[cache_key]
        return keys

    def page(self, lib: FakeLibrary, keys: list[str], render: Callable[[str], Any],
             version: Callable[[str], int], by_key: bool) -> Routed:
        fmt = self.param("format") or "json"
        if fmt not in ("json", "keys", "versions"):
            raise HTTPFailure(400, f"Invalid 'format' value '{fmt}'")
        default = 0 if fmt in ("keys", "versions") or self.local else 25
        limit = self.int_param("limit", "Invalid 'limit' value") or default
        if limit < 0:
            limit = default
        if not self.local:
            if by_key:
                limit = 100  # itemKey/collectionKey force limit=100 (Zotero_API)
            elif fmt == "json":
                limit = min(limit, 100)  # silently clamped, not an error (Zotero_API)
        start = max(self.int_param("start", "Invalid 'start' value") or 0, 0)
        chunk = keys[start:start + limit] if limit else keys[start:]
        headers = {"Total-Results": str(len(keys)), "Last-Modified-Version": str(lib.version),
                   "Link": self.links(start, limit, len(keys), default)}
        if fmt == "keys":
            return 200, {**headers, "Content-Type": "text/plain"}, "".join(f"{k}\n" for k in chunk)
        if fmt == "versions":
            return 200, headers, {k: version(k) for k in chunk}
        return 200, headers, [render(k) for k in chunk]

    def links(self, start: int, limit: int, total: int, default: int) -> str:
        """``Link`` as the dataserver builds it: non-default params, sorted, absolute."""

        def url(at: int) -> str:
            params: list[tuple[str, str]] = []
            for name in LINK_PARAMS:
                values = list(self.q.get(name, ()))
                if name == "start":
                    values = [str(at)] if at else []
                elif name == "limit":
                    values = [str(limit)] if limit != default else []
                elif (name, values) in (("format", ["json"]), ("includeTrashed", ["0"])):
                    values = []
                params += [(name, v) for v in values]
            return f"{self.base}{self.path}" + (f"?{urlencode(params)}" if params else "")

        rels = []
        if limit:
            if start > 0:
                rels += [(url(0), "first"), (url(max(start - limit, 0)), "prev")]
            if start + limit < total:
                rels.append((url(start + limit), "next"))
            last = total - (total % limit) if total % limit else max(total - limit, 0)
            if last != start:
                rels.append((url(last), "last"))
        rels.append((f"https://www.zotero.org{self.path}", "alternate"))
        return ", ".join(f'<{u}>; rel="{r}"' for u, r in rels)

    def collection_list(self, lib: FakeLibrary, route: str, ref: str = "") -> Routed:
        def compute() -> list[str]:
            since = self.int_param("since", "Invalid value for 'since' parameter")
            wanted = self.param("collectionKey")
            out = []
            for key, data in lib.collections.items():
                parent = data["parentCollection"]
                if (route == "top" and parent) or (route == "sub" and parent != ref):
                    continue
                if since is not None and data["version"] <= since:
                    continue
                if wanted is not None and key not in wanted.split(","):
                    continue
                out.append(key)
            return self.sorted(out, lib.collections, item=False)

        keys = self.cached(lib, compute)
        return self.page(lib, keys, lambda k: lib.collection_json(k, self.base),
                         lambda k: lib.collections[k]["version"], "collectionKey" in self.q)

    def tag_list(self, lib: FakeLibrary) -> Routed:
        counts: dict[tuple[str, int], int] = {}
        for data in lib.items.values():
            if not data.get("deleted"):
                for tag in data.get("tags", ()):
                    ident = (tag["tag"], tag.get("type", 0))
                    counts[ident] = counts.get(ident, 0) + 1
        rows = {f"{name}\0{kind}": {"tag": name, "links": {}, "meta": {"type": kind,
                                                                     "numItems": n},
                                    "version": lib.version}
                for (name, kind), n in counts.items()}
        return self.page(lib, sorted(rows), lambda k: rows[k], lambda k: lib.version, False)

    # ---- writes ----
    def body(self) -> Any:
        try:
            return json.loads(self.req.body or b"null")
        except ValueError:
            raise HTTPFailure(400, "Syntax error, malformed JSON") from None

    def write(self, lib: FakeLibrary, rest: list[str]) -> Routed:
        token = self.headers.get("zotero-write-token")
        key = self.api_key()
        if token is not None:  # checked before anything else
            if not 5 <= len(token) <= 32:
                raise HTTPFailure(400, "Write token must be 5-32 characters in length")
            if (key, token) in self.app.write_tokens:
                raise HTTPFailure(412, "Write token already used")
        status, headers, body = self.write_route(lib, rest)
        if token is not None and status in (200, 204):
            self.app.write_tokens.add((key or "", token))
        return status, headers, body

    def since_header(self) -> int | None:
        value = self.headers.get("if-unmodified-since-version")
        return int(value) if value is not None and value.isdigit() else None

    def check_library(self, lib: FakeLibrary, required: bool) -> None:
        since = self.since_header()
        if since is None and required:
            raise HTTPFailure(428, "If-Unmodified-Since-Version must be provided for delete "
                                   "requests")
        if since is not None and lib.version > since:
            raise HTTPFailure(412, "Library has been modified since specified version "
                                   f"(expected {since}, found {lib.version})",
                              {"Last-Modified-Version": str(lib.version)})

    def write_route(self, lib: FakeLibrary, rest: list[str]) -> Routed:
        kind = rest[0] if rest else ""
        objs = lib.items if kind == "items" else lib.collections
        done = {"Last-Modified-Version": str(lib.version)}
        if kind in ("items", "collections") and len(rest) == 1:
            if self.method == "POST":
                return self.multi_write(lib, kind)
            if self.method == "DELETE":
                self.check_library(lib, required=True)
                param = "itemKey" if kind == "items" else "collectionKey"
                for key in (self.param(param) or "").split(","):
                    if key in objs:
                        (lib.delete_item if kind == "items" else lib.delete_collection)(key)
                return 204, {"Last-Modified-Version": str(lib.version)}, None
        if kind in ("items", "collections") and len(rest) == 2:
            key = rest[1]
            if self.method == "DELETE":
                if key not in objs:
                    raise HTTPFailure(404, "Not found")
                since = self.since_header()
                if since is None:
                    raise HTTPFailure(428, "If-Unmodified-Since-Version must be provided for "
                                           "delete requests")
                if objs[key]["version"] > since:
                    raise self.stale(kind, since, objs[key]["version"])
                (lib.delete_item if kind == "items" else lib.delete_collection)(key)
                return 204, {"Last-Modified-Version": str(lib.version)}, None
            if self.method in ("PUT", "PATCH"):
                return self.single_write(lib, kind, key)
        if kind == "collections" and rest[2:3] == ["items"] and rest[1] in lib.collections:
            if self.method == "POST":
                for item in self.req.body.decode().split():
                    lib.add_to_collection(item, rest[1])
                return 204, {"Last-Modified-Version": str(lib.version)}, None
            if self.method == "DELETE" and len(rest) == 4 and rest[3] in lib.items:
                lib.remove_from_collection(rest[3], rest[1])
                return 204, {"Last-Modified-Version": str(lib.version)}, None
        if rest == ["tags"] and self.method == "DELETE":
            self.check_library(lib, required=True)
            names = re.split(r"\s+\|\|\s+", self.param("tag") or "")
            lib.delete_tags(*[n for n in names if n])
            return 204, {"Last-Modified-Version": str(lib.version)}, None
        raise HTTPFailure(405, "Method not allowed", {"Allow": "GET, HEAD", **done})

    @staticmethod
    def stale(kind: str, expected: int, found: int) -> HTTPFailure:
        noun = "Item" if kind == "items" else "Collection"
        return HTTPFailure(412, f"{noun} has been modified since specified version "
                                f"(expected {expected}, found {found})",
                           {"Last-Modified-Version": str(found)})

    def multi_write(self, lib: FakeLibrary, kind: str) -> Routed:
        body = self.body()
        if not isinstance(body, list):
            raise HTTPFailure(400, "Uploaded data must be a JSON array")
        if len(body) > 50:
            raise HTTPFailure(413, f"Cannot add more than 50 {kind} at a time")
        self.check_library(lib, required=False)
        header_ok = self.since_header() is not None
        failing, self.app.failing_objects = self.app.failing_objects, set()
        report: dict[str, dict[str, Any]] = {"successful": {}, "success": {}, "unchanged": {},
                                             "failed": {}}
        for index, obj in enumerate(body):
            i = str(index)
            key = obj.get("key") if isinstance(obj, dict) else None
            try:
                if not isinstance(obj, dict):
                    raise _ObjectFailure(400, "Invalid value for index 0 in uploaded data; "
                                              "expected JSON object")
                if index in failing:
                    raise _ObjectFailure(500, "An error occurred")
                if key and "version" not in obj and not header_ok:
                    raise _ObjectFailure(428, "Either If-Unmodified-Since-Version or 'version' "
                                              "property must be provided for 'key'-based writes")
                key, changed = self.apply(lib, kind, key, obj, replace=False)
            except _ObjectFailure as exc:
                failure = {"key": key, "code": exc.code, "message": _escape(exc.message)}
                if not key:
                    del failure["key"]
                if exc.data:
                    failure["data"] = exc.data
                report["failed"][i] = failure
                continue
            if changed:
                render = lib.item_json if kind == "items" else lib.collection_json
                report["successful"][i] = render(key, self.base)
                report["success"][i] = key
            else:
                report["unchanged"][i] = key
        return 200, {"Last-Modified-Version": str(lib.version)}, report

    def single_write(self, lib: FakeLibrary, kind: str, key: str) -> Routed:
        obj = self.body()
        if not isinstance(obj, dict):
            raise HTTPFailure(400, "Uploaded data must be a JSON object")
        if obj.get("key") and obj["key"] != key:
            raise HTTPFailure(409, f"'key' property in JSON does not match {kind[:-1]} key of "
                                   "request")
        header, in_body = self.since_header(), obj.get("version")
        if header is not None and in_body is not None and header != int(in_body):
            raise HTTPFailure(400, "If-Unmodified-Since-Version does not match 'version' property")
        expected = header if header is not None else in_body
        objs = lib.items if kind == "items" else lib.collections
        noun = "Item" if kind == "items" else "Collection"
        if key not in objs:
            if self.method == "PATCH" and expected is None:
                raise HTTPFailure(404, f"{noun} not found (to create, use "
                                       "If-Unmodified-Since-Version: 0, JSON 'version' 0, or PUT "
                                       "method)")
            if expected:
                raise HTTPFailure(412, f"{noun} not found (expected version {expected})")
        elif expected is None:
            raise HTTPFailure(428, "Either If-Unmodified-Since-Version or object version "
                                   "property must be provided for key-based writes")
        elif objs[key]["version"] > int(expected):
            raise self.stale(kind, int(expected), objs[key]["version"])
        if self.method == "PUT" and key in objs and kind == "items":
            for prop in ("itemType", "tags", "relations", "collections"):
                if prop not in obj and not objs[key].get("parentItem"):
                    raise HTTPFailure(400, f"'{prop}' property not provided")
        try:
            self.apply(lib, kind, key, {**obj, "version": objs[key]["version"] if key in objs
                                         else 0}, replace=self.method == "PUT")
        except _ObjectFailure as exc:
            raise HTTPFailure(exc.code, exc.message) from None
        return 204, {"Last-Modified-Version": str(lib.version)}, None

    def apply(self, lib: FakeLibrary, kind: str, key: str | None, obj: dict[str, Any],
              replace: bool) -> tuple[str, bool]:
        """Validate and store one object; returns its key and whether it changed
        (dataserver checkJSONObjectVersion)."""
        objs = lib.items if kind == "items" else lib.collections
        noun = "Item" if kind == "items" else "Collection"
        existing = objs.get(key) if key else None
        if key and "version" in obj:
            version = int(obj["version"] or 0)
            if existing is None and version > 0:
                raise _ObjectFailure(404, f"{noun} doesn't exist (expected version {version}; "
                                          "use 0 instead)")
            if existing is not None and version != existing["version"]:
                raise _ObjectFailure(412, f"{noun} has been modified since specified version "
                                          f"(expected {version}, found {existing['version']})")
        data = {k: v for k, v in obj.items() if k not in ("key", "version")}
        merged = data if existing is None or replace else {**existing, **data}
        if kind == "items":
            for prop in data:
                if prop not in ITEM_PROPS:
                    raise _ObjectFailure(400, f"Invalid property '{prop}'")
            if "itemType" not in merged:
                raise _ObjectFailure(400, "'itemType' property not provided")
            if merged["itemType"] not in ITEM_TYPES:
                raise _ObjectFailure(400, f"'{merged['itemType']}' is not a valid itemType")
            for coll in merged.get("collections", ()):
                if coll not in lib.collections:
                    raise _ObjectFailure(409, f"Collection {coll} not found", collection=coll)
            parent = merged.get("parentItem")
            if parent and parent not in lib.items:
                raise _ObjectFailure(409, f"Parent item {parent} not found", parentItem=parent)
            merged = _normalise_item(merged)
        else:
            if not merged.get("name"):
                raise _ObjectFailure(400, "Collection name cannot be empty")
            parent = merged.get("parentCollection")
            if parent and parent not in lib.collections:
                raise _ObjectFailure(409, f"Parent collection {parent} not found",
                                     collection=parent)
            merged["parentCollection"] = parent or False
        key = key or lib.new_key()
        if existing is not None:
            after = (lib.build_item(key, merged, existing["version"]) if kind == "items"
                     else {**merged, "key": key})
            if _comparable(existing) == _comparable(after):
                return key, False
        (lib.store_item if kind == "items" else lib.store_collection)(key, merged)
        return key, True


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def zotero_server() -> Iterator[LoopbackServer]:
    server = LoopbackServer(FakeZotero())
    yield server
    server.close()


@pytest.fixture
def zotero(zotero_server: LoopbackServer) -> FakeZotero:
    """The fake with a fresh library and an empty request log."""
    app: FakeZotero = zotero_server.app
    app.reset()
    zotero_server.reset()
    app.url = zotero_server.url  # type: ignore[attr-defined]
    return app


@pytest.fixture
def zotero_faults(zotero: FakeZotero, zotero_server: LoopbackServer) -> FaultPlan:
    """Faults in front of the fake Zotero, none planned yet."""
    return zotero_server.faults


@pytest.fixture
def zotero_settings(zotero: FakeZotero, zotero_server: LoopbackServer,
                    monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    """Settings aimed at the fake (user library 123), with a dummy key in ZOTERO_API_KEY."""
    monkeypatch.setenv("ZOTERO_API_KEY", API_KEY)
    return Settings(
        zotero=ZoteroSettings(url=zotero_server.url, library="user:123",
                              local_url=f"{zotero_server.url}/api", timeout=5.0, retries=3),
        cache_dir=tmp_path / "cache",
    )
