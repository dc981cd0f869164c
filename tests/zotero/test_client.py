"""ZoteroClient: real pyzotero over HTTP against the loopback fake."""

from __future__ import annotations

import dataclasses
import os

import pytest
from fakes.zotero import API_KEY, FakeZotero
from support import Sleeps

from refsync.config import Settings
from refsync.errors import (
    ConfigError,
    ZoteroAuthError,
    ZoteroDeleteLogExpiredError,
    ZoteroError,
    ZoteroVersionConflictError,
)
from refsync.zotero.client import ZoteroClient, parse_library


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(zotero_settings: Settings, sleeps: Sleeps) -> ZoteroClient:
    return ZoteroClient(zotero_settings.zotero, os.environ["ZOTERO_API_KEY"], sleep=sleeps,
                        base_delay=0.01)


@pytest.mark.parametrize(("text", "expected"), [
    ("user:123", ("user", 123)), ("group:456", ("group", 456)), ("users/7", ("user", 7)),
])
def test_parse_library(text: str, expected: tuple[str, int]) -> None:
    assert parse_library(text) == expected


@pytest.mark.parametrize("text", ["", "user", "user:abc", "team:1"])
def test_parse_library_rejects_nonsense(text: str) -> None:
    with pytest.raises(ConfigError, match="user:ID"):
        parse_library(text)


def test_reads_pages_with_bearer_auth(zotero: FakeZotero, client: ZoteroClient) -> None:
    for i in range(130):
        zotero.add_item(title=f"T{i}")
    zotero.add_item(itemType="note", note="skipped")
    first = client.items()
    assert first is not None and len(first.objects) == 100 and first.total == 130
    assert first.version == 131
    second = client.items(start=100)
    assert second is not None and len(second.objects) == 30
    request = zotero.requests[0]
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.param("itemType") == "-attachment || note"
    assert request.param("includeTrashed") == "1"
    assert client.requests == 2


def test_bad_key_raises_auth_error_without_the_key(zotero_settings: Settings) -> None:
    secret = "SecretKey9876543210abcd"
    client = ZoteroClient(zotero_settings.zotero, secret)
    with pytest.raises(ZoteroAuthError) as caught:
        client.items()
    error = caught.value
    assert error.status == 403
    assert "user:123" in error.message and zotero_settings.zotero.url in error.message
    assert secret not in str(error) and secret not in (error.hint or "")
    for link in (error, error.__cause__):
        assert secret not in str(link)


def test_group_library(zotero: FakeZotero, zotero_settings: Settings) -> None:
    zotero.library("group:456").add_item(title="Group paper")
    client = ZoteroClient(zotero_settings.zotero, API_KEY, library="group:456")
    page = client.items()
    assert page is not None and page.objects[0]["data"]["title"] == "Group paper"
    assert zotero.requests[-1].path == "/groups/456/items"


def test_conditional_items_page(zotero: FakeZotero, client: ZoteroClient) -> None:
    zotero.add_item(title="A")
    assert client.items(since=1, if_modified_since=1) is None
    zotero.add_item(title="B")
    page = client.items(since=1, if_modified_since=1)
    assert page is not None and [o["data"]["title"] for o in page.objects] == ["B"]


def test_deleted_lists_erased_items_and_collections_not_trashed_ones(
        zotero: FakeZotero, client: ZoteroClient) -> None:
    coll = zotero.add_collection("C")
    a = zotero.add_item(title="A")
    b = zotero.add_item(title="B")
    zotero.trash(a)
    zotero.delete_item(b)
    zotero.delete_collection(coll)
    deleted = client.deleted(since=0)
    assert (deleted.items, deleted.collections, deleted.version) == ([b], [coll], 6)


def test_retries_503_with_retry_after(zotero: FakeZotero, client: ZoteroClient,
                                      sleeps: Sleeps) -> None:
    zotero.add_item(title="A")
    zotero.fail_next(503, retry_after=0.5, times=2)
    page = client.items()
    assert page is not None and len(page.objects) == 1
    assert sleeps == [0.5, 0.5] and client.requests == 3


def test_retries_503_without_retry_after_with_growing_delays(zotero: FakeZotero,
                                                             client: ZoteroClient,
                                                             sleeps: Sleeps) -> None:
    zotero.fail_next(503, times=3)
    assert client.items().version == 0
    assert sleeps == [0.01, 0.02, 0.04]


def test_gives_up_after_the_configured_retries(zotero: FakeZotero, client: ZoteroClient) -> None:
    zotero.fail_next(503, times=10)
    with pytest.raises(ZoteroError) as caught:
        client.items()
    assert caught.value.status == 503 and client.requests == 4  # 1 + settings.retries


def test_rate_limit_429_is_waited_out(zotero: FakeZotero, client: ZoteroClient) -> None:
    zotero.fail_next(429, retry_after=0.1)
    assert client.items() is not None
    zotero.fail_next(429, retry_after=0.1)
    assert client.items().version == 0
    assert client.requests == 4


def test_backoff_header_pauses_the_next_request(zotero: FakeZotero, client: ZoteroClient,
                                                sleeps: Sleeps) -> None:
    zotero.backoff_next(0.8)
    client.items()
    client.items()
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 0.8


def test_timeouts_are_retried(zotero: FakeZotero, zotero_settings: Settings,
                              sleeps: Sleeps) -> None:
    settings = dataclasses.replace(zotero_settings.zotero, timeout=0.2)
    client = ZoteroClient(settings, API_KEY, sleep=sleeps, base_delay=0.01)
    zotero.delay_next(0.5)
    assert client.items(if_modified_since=0) is None  # refsync's own GET; empty library: 304
    assert sleeps == [0.01] and client.requests == 2


def test_unreachable_server(zotero_settings: Settings) -> None:
    settings = dataclasses.replace(zotero_settings.zotero, url="http://127.0.0.1:9")
    with pytest.raises(ZoteroError, match="Cannot reach Zotero at 'http://127.0.0.1:9'"):
        ZoteroClient(settings, API_KEY).items()


def test_key_info_uses_keys_current(zotero: FakeZotero, client: ZoteroClient) -> None:
    assert client.key_info()["userID"] == 123
    assert zotero.requests[-1].path == "/keys/current"


def test_create_items_returns_per_index_results(zotero: FakeZotero,
                                                client: ZoteroClient) -> None:
    coll = zotero.add_collection("C")
    result = client.create_items([{"itemType": "book", "title": "A", "collections": [coll]},
                                  {"itemType": "book", "collections": ["ZZZZZZZZ"]}],
                                 library_version=1)
    assert result.version == 2 and result.successful[0]["title"] == "A"
    assert result.failed[1].code == 409 and not result.unchanged
    token = zotero.requests[-1].headers["zotero-write-token"]
    assert len(token) == 32
    assert zotero.requests[-1].headers["if-unmodified-since-version"] == "1"


def test_create_items_refuses_stale_library_version(zotero: FakeZotero,
                                                    client: ZoteroClient) -> None:
    zotero.add_item(title="A")
    with pytest.raises(ZoteroVersionConflictError) as caught:
        client.create_items([{"itemType": "book"}], library_version=0)
    assert caught.value.status == 412
    with pytest.raises(ValueError, match="at most 50"):
        client.create_items([{"itemType": "book"}] * 51)


def test_local_api(zotero: FakeZotero, zotero_settings: Settings) -> None:
    zotero.add_item(title="A")
    settings = dataclasses.replace(zotero_settings.zotero, local=True, library="")
    client = ZoteroClient(settings, "LocalKeyForWritesOnly")
    assert client.library == "user:0"
    page = client.items(limit=None)
    assert page is not None and len(page.objects) == 1
    assert zotero.requests[-1].path == "/api/users/0/items"
    assert "authorization" not in zotero.requests[-1].headers
    assert "zotero-api-key" not in zotero.requests[-1].headers
    with pytest.raises(ZoteroError, match="no /deleted"):
        client.deleted(since=0)
    with pytest.raises(ZoteroError, match="read-only") as caught:
        client.create_items([{"itemType": "book"}])
    assert "Zotero 10" in (caught.value.hint or "")


def test_writes_retry_only_when_the_server_surely_did_nothing(zotero: FakeZotero,
                                                              client: ZoteroClient) -> None:
    zotero.fail_next(503, retry_after=0.1, path="/items")
    assert client.create_items([{"itemType": "book"}]).successful[0]["itemType"] == "book"
    zotero.fail_next(500, path="/items")
    with pytest.raises(ZoteroError) as caught:
        client.create_items([{"itemType": "book"}])
    assert caught.value.status == 500
    posts = [r for r in zotero.requests if r.method == "POST"]
    assert len(posts) == 3 and len(zotero.items) == 1


def test_a_failed_call_leaves_no_parameters_behind(zotero: FakeZotero,
                                                   client: ZoteroClient) -> None:
    zotero.add_item(title="A")
    zotero.fail_next(400, path="/deleted")
    with pytest.raises(ZoteroError):
        client.deleted(since=1)
    page = client.items()
    assert page is not None and len(page.objects) == 1
    assert zotero.requests[-1].param("since") is None


def test_deletions_older_than_the_servers_log_are_a_typed_error(
        zotero: FakeZotero, client: ZoteroClient) -> None:
    zotero.fail_next(409, path="/deleted", body="'since' is older than the delete log")
    with pytest.raises(ZoteroDeleteLogExpiredError, match="no longer lists what was deleted"):
        client.deleted(3)
