"""The Zotero fake behaves like the dataserver where clients can tell."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest
from fakes.zotero import API_KEY, FakeZotero
from pyzotero import zotero as pyzotero


@pytest.fixture
def http(zotero: FakeZotero) -> httpx2.Client:
    return httpx2.Client(base_url=zotero.url, headers={"Zotero-API-Key": API_KEY})


@pytest.fixture
def zot(zotero: FakeZotero) -> pyzotero.Zotero:
    client = pyzotero.Zotero(123, "user", API_KEY)
    client.endpoint = zotero.url
    return client


@pytest.mark.parametrize("auth", [
    {"headers": {"Zotero-API-Key": API_KEY}},
    {"headers": {"Authorization": f"Bearer {API_KEY}"}},
    {"params": {"key": API_KEY}},
], ids=["zotero-api-key", "bearer", "query"])
def test_accepts_the_three_ways_to_send_a_key(zotero: FakeZotero, auth: dict[str, Any]) -> None:
    response = httpx2.get(f"{zotero.url}/users/123/items", **auth)
    assert response.status_code == 200


@pytest.mark.parametrize(("headers", "status", "text"), [
    ({"Zotero-API-Key": "WRONG"}, 403, "Invalid key"),
    ({}, 403, "Forbidden"),
    ({"Authorization": "Bearer not-a-key!"}, 400, "Invalid Authorization header format"),
], ids=["bad-key", "no-key", "malformed-bearer"])
def test_refuses_bad_credentials(zotero: FakeZotero, headers: dict[str, str], status: int,
                                 text: str) -> None:
    response = httpx2.get(f"{zotero.url}/users/123/items", headers=headers)
    assert (response.status_code, response.text) == (status, text)


def test_keys_current_describes_the_key_without_private_fields(http: httpx2.Client) -> None:
    info = http.get("/keys/current").json()
    assert info["userID"] == 123 and info["access"]["user"]["write"] is True
    assert "name" not in info


def test_paging_defaults_to_25_clamps_to_100_and_links_next_and_last(
        zotero: FakeZotero, http: httpx2.Client) -> None:
    for i in range(130):
        zotero.add_item(title=f"T{i}")
    assert len(http.get("/users/123/items").json()) == 25
    response = http.get("/users/123/items", params={"limit": 500})
    assert len(response.json()) == 100
    assert response.headers["Total-Results"] == "130"
    assert response.headers["Last-Modified-Version"] == "130"
    links = httpx2.Response(200, headers={"Link": response.headers["Link"]}).links
    assert "start=100" in links["next"]["url"] and "limit=100" in links["next"]["url"]
    assert "start=100" in links["last"]["url"]
    assert len(http.get("/users/123/items", params={"limit": 100, "start": 100}).json()) == 30
    keys = http.get("/users/123/items", params={"format": "keys"})
    assert keys.text.endswith("\n") and len(keys.text.split()) == 130
    assert len(http.get("/users/123/items", params={"format": "versions"}).json()) == 130


def test_pyzotero_everything_pages_through_the_library(zotero: FakeZotero,
                                                       zot: pyzotero.Zotero) -> None:
    for i in range(230):
        zotero.add_item(title=f"T{i}")
    assert len(zot.everything(zot.items())) == 230
    assert len(zotero.requests) == 3
    assert zotero.requests[0].headers["authorization"] == f"Bearer {API_KEY}"


def test_item_type_and_tag_filters(zotero: FakeZotero, http: httpx2.Client) -> None:
    book = zotero.add_item(itemType="book", tags=["a", "b"])
    article = zotero.add_item(itemType="journalArticle", tags=["a"])
    note = zotero.add_item(itemType="note", tags=["b"])

    def keys(**params: str) -> set[str]:
        return set(http.get("/users/123/items", params={"format": "keys", **params}).text.split())

    assert keys(itemType="book || journalArticle") == {book, article}
    assert keys(itemType="-attachment || note") == {book, article}
    assert keys(tag="a") == {book, article}
    assert keys(tag=["a", "b"]) == {book}  # type: ignore[arg-type]  (repeat = AND)
    assert keys(tag="b || nothing") == {book, note}
    assert keys(tag="-a") == {note}
    assert keys(tag="a||b") == set()  # without spaces it is one literal tag
    assert http.get("/users/123/items", params=[("itemType", "book"),
                                               ("itemType", "note")]).status_code == 400


def test_top_collections_and_children(zotero: FakeZotero, http: httpx2.Client) -> None:
    parent_coll = zotero.add_collection("Parent")
    sub = zotero.add_collection("Sub", parent=parent_coll)
    paper = zotero.add_item(title="Paper", collections=[parent_coll])
    nested = zotero.add_item(title="Nested", collections=[sub])
    child = zotero.add_item(itemType="note", parentItem=paper, tags=["todo"])

    def keys(path: str, **params: str) -> set[str]:
        return set(http.get(path, params={"format": "keys", **params}).text.split())

    assert keys("/users/123/items/top") == {paper, nested}
    assert keys(f"/users/123/collections/{parent_coll}/items") == {paper, child}
    assert keys(f"/users/123/collections/{parent_coll}/items/top") == {paper}
    assert keys("/users/123/items/top", tag="todo") == {paper}  # a child's match lifts its parent
    assert keys(f"/users/123/collections/{parent_coll}/collections") == {sub}
    assert keys("/users/123/collections/top") == {parent_coll}
    collection = http.get(f"/users/123/collections/{parent_coll}").json()
    assert collection["data"]["parentCollection"] is False
    assert collection["meta"] == {"numCollections": 1, "numItems": 1}
    assert "collections" not in http.get(f"/users/123/items/{child}").json()["data"]


def test_if_modified_since_version_gives_304_on_lists_only(zotero: FakeZotero,
                                                           http: httpx2.Client) -> None:
    key = zotero.add_item(title="A")
    current = {"If-Modified-Since-Version": str(zotero.version)}
    assert http.get("/users/123/items/top", headers=current).status_code == 304
    assert http.get("/users/123/collections", headers=current).status_code == 304
    assert http.get(f"/users/123/items/{key}", headers=current).status_code == 200
    older = {"If-Modified-Since-Version": str(zotero.version - 1)}
    assert http.get("/users/123/items", headers=older).status_code == 200


def test_trash_is_not_deletion(zotero: FakeZotero, http: httpx2.Client) -> None:
    key = zotero.add_item(title="A")
    before = zotero.version
    zotero.trash(key)
    assert http.get("/users/123/items", params={"format": "keys"}).text == ""
    trashed = http.get("/users/123/items", params={"since": before, "includeTrashed": 1}).json()
    assert trashed[0]["data"]["deleted"] == 1 and trashed[0]["version"] == before + 1
    assert http.get("/users/123/items/trash", params={"format": "keys"}).text == f"{key}\n"
    assert http.get("/users/123/deleted", params={"since": before}).json()["items"] == []
    zotero.delete_item(key)
    assert http.get("/users/123/deleted", params={"since": before}).json()["items"] == [key]
    assert http.get("/users/123/deleted").status_code == 400


def test_deleting_a_collection_leaves_member_versions_alone(zotero: FakeZotero,
                                                           http: httpx2.Client) -> None:
    coll = zotero.add_collection("C")
    sub = zotero.add_collection("S", parent=coll)
    key = zotero.add_item(title="A", collections=[coll])
    version = zotero.items[key]["version"]
    since = zotero.version
    zotero.delete_collection(coll)
    item = http.get(f"/users/123/items/{key}").json()
    assert item["version"] == version and item["data"]["collections"] == []
    assert http.get("/users/123/items", params={"since": since, "format": "keys"}).text == ""
    deleted = http.get("/users/123/deleted", params={"since": since}).json()
    assert set(deleted["collections"]) == {coll, sub}


def test_removing_from_a_collection_is_invisible_in_that_collections_changes(
        zotero: FakeZotero, http: httpx2.Client) -> None:
    coll = zotero.add_collection("C")
    key = zotero.add_item(title="A", collections=[coll])
    since = zotero.version
    zotero.remove_from_collection(key, coll)
    changed = {"since": since, "format": "keys"}
    assert http.get(f"/users/123/collections/{coll}/items", params=changed).text == ""
    assert http.get("/users/123/items", params=changed).text == f"{key}\n"


def test_multi_object_write_report(zotero: FakeZotero, http: httpx2.Client) -> None:
    existing = zotero.add_item(title="Old")
    body = [{"itemType": "book", "title": "New"},
            {"key": existing, "version": zotero.items[existing]["version"], "title": "Old"},
            {"key": existing, "version": 0, "title": "Clash"},
            {"key": "ABCD2345", "itemType": "book"},
            {"itemType": "book", "collections": ["ZZZZZZZZ"]}]
    response = http.post("/users/123/items", json=body)
    report = response.json()
    assert set(report) == {"successful", "success", "unchanged", "failed"}
    assert report["success"] == {"0": report["successful"]["0"]["key"]}
    assert report["unchanged"] == {"1": existing}
    assert report["failed"]["2"]["code"] == 412
    assert report["failed"]["3"]["code"] == 428
    assert report["failed"]["4"] == {"code": 409, "message": "Collection ZZZZZZZZ not found",
                                     "data": {"collection": "ZZZZZZZZ"}}
    assert response.headers["Last-Modified-Version"] == str(zotero.version)


def test_each_object_in_a_post_gets_its_own_version(http: httpx2.Client) -> None:
    report = http.post("/users/123/items", json=[{"itemType": "book"}] * 3).json()
    assert [report["successful"][i]["version"] for i in "012"] == [1, 2, 3]
    too_many = http.post("/users/123/items", json=[{"itemType": "book"}] * 51)
    assert too_many.status_code == 413


def test_write_token_and_library_preconditions(zotero: FakeZotero, http: httpx2.Client) -> None:
    token = {"Zotero-Write-Token": "a" * 32}
    assert http.post("/users/123/items", json=[{"itemType": "book"}], headers=token).is_success
    again = http.post("/users/123/items", json=[{"itemType": "book"}], headers=token)
    assert (again.status_code, again.text) == (412, "Write token already used")
    stale = http.post("/users/123/items", json=[{"itemType": "book"}],
                      headers={"If-Unmodified-Since-Version": "0"})
    assert stale.status_code == 412 and stale.headers["Last-Modified-Version"] == "1"


def test_single_object_patch_put_delete(zotero: FakeZotero, http: httpx2.Client) -> None:
    key = zotero.add_item(title="A")
    url = f"/users/123/items/{key}"
    assert http.patch(url, json={"title": "B"}).status_code == 428
    done = http.patch(url, json={"title": "B"}, headers={"If-Unmodified-Since-Version": "1"})
    assert done.status_code == 204 and done.headers["Last-Modified-Version"] == "2"
    stale = http.patch(url, json={"title": "C"}, headers={"If-Unmodified-Since-Version": "1"})
    assert stale.status_code == 412 and stale.headers["Last-Modified-Version"] == "2"
    assert http.put(url, json={"version": 2, "itemType": "book"}).status_code == 400
    assert http.patch(url, json={"deleted": 1, "version": 2}).status_code == 204
    assert zotero.items[key]["deleted"] == 1
    assert http.delete(url).status_code == 428
    assert http.delete(url, headers={"If-Unmodified-Since-Version": "3"}).status_code == 204
    assert key not in zotero.items


def test_pyzotero_writes_against_the_fake(zotero: FakeZotero, zot: pyzotero.Zotero) -> None:
    coll = zot.create_collections([{"name": "Thesis"}])["success"]["0"]
    created = zot.create_items([{"itemType": "book", "title": "T", "collections": [coll]}])
    item = zot.item(created["success"]["0"])
    item["data"]["title"] = "Changed"
    assert zot.update_item(item["data"]) is True
    assert zotero.items[item["key"]]["title"] == "Changed"
    assert zot.deletefrom_collection(coll, zot.item(item["key"])) is True
    assert zotero.items[item["key"]]["collections"] == []


def test_rate_limit_with_retry_after_is_survived_by_pyzotero(zotero: FakeZotero,
                                                            zot: pyzotero.Zotero) -> None:
    zotero.add_item(title="A")
    zotero.fail_next(429, retry_after=0.1)
    assert len(zot.items()) == 1
    assert len(zotero.requests) == 2


def test_group_library_needs_group_access(zotero: FakeZotero, http: httpx2.Client) -> None:
    zotero.library("group:456").add_item(title="Group paper")
    assert len(http.get("/groups/456/items").json()) == 1
    assert http.get("/groups/999/items").status_code == 404
    zotero.add_key("NOGROUPS", groups=False)
    assert http.get("/groups/456/items", headers={"Zotero-API-Key": "NOGROUPS"}
                    ).status_code == 403


def test_local_api_is_read_only_unauthenticated_and_unlimited(zotero: FakeZotero) -> None:
    for i in range(30):
        zotero.add_item(title=f"T{i}")
    local = httpx2.Client(base_url=f"{zotero.url}/api")
    assert len(local.get("/users/0/items").json()) == 30
    assert local.get("/users/0/deleted", params={"since": 0}).status_code == 404
    assert local.post("/users/0/items", json=[]).status_code == 400
    assert local.get("/users/5/items").status_code == 400
    link = local.get("/users/0/items", params={"limit": 10}).headers["Link"]
    assert f"{zotero.url}/api/users/0/items?limit=10&start=10" in link


def test_snapshot_document(zotero: FakeZotero) -> None:
    coll = zotero.add_collection("C")
    zotero.add_item(title="A", collections=[coll])
    snapshot = zotero.to_snapshot()
    assert snapshot["library"] == "user:123" and snapshot["version"] == 2
    assert [c["data"]["name"] for c in snapshot["collections"]] == ["C"]
    assert json.loads(json.dumps(snapshot))["items"][0]["data"]["title"] == "A"


def test_schema_helpers_for_pyzotero(zotero: FakeZotero, zot: pyzotero.Zotero) -> None:
    template = zot.item_template("book")
    assert template["itemType"] == "book" and template["creators"][0]["creatorType"] == "author"
    assert "journalArticle" in [t["itemType"] for t in zot.item_types()]
    assert [g["id"] for g in zot.groups()] == [456]
    report = zot.create_items([{**template, "title": "From a template"}])
    assert report["success"] and not report["failed"]
    assert zot.create_items([{"itemType": "bok"}])["failed"]["0"]["code"] == 400


def test_collection_writes(zotero: FakeZotero, http: httpx2.Client,
                           zot: pyzotero.Zotero) -> None:
    parent = zotero.add_collection("Parent")
    report = http.post("/users/123/collections",
                       json=[{"name": "Child", "parentCollection": parent},
                             {"name": "Orphan", "parentCollection": "ZZZZZZZZ"}]).json()
    child = report["success"]["0"]
    assert report["failed"]["1"]["code"] == 409
    assert zotero.collections[child]["parentCollection"] == parent
    url = f"/users/123/collections/{child}"
    assert http.patch(url, json={"name": "Renamed"}).status_code == 428
    assert http.patch(url, json={"name": "Renamed", "version": 2}).status_code == 204
    collection = zot.collection(child)
    collection["data"]["name"] = "Via pyzotero"
    assert zot.update_collection(collection["data"]) is True
    assert zotero.collections[child]["name"] == "Via pyzotero"
    assert http.delete(url, headers={"If-Unmodified-Since-Version": "1"}).status_code == 412
    assert http.delete(url, headers={"If-Unmodified-Since-Version": "4"}).status_code == 204
    assert http.get("/users/123/deleted", params={"since": 3}).json()["collections"] == [child]
