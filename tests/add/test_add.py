"""`refsync add`: Crossref and Zotero fakes together; the library must never get a twin."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from fakes import faults
from fakes.crossref import FakeCrossref
from fakes.faults import FaultPlan
from fakes.zotero import FakeZotero

PLOS = "10.1371/journal.pone.0033693"
SREP = "10.1038/srep16696"
IJO = "10.3892/ijo_00000353"


def dois_in(zotero: FakeZotero) -> Counter[str]:
    return Counter(d["DOI"].lower() for d in zotero.items.values()
                   if d.get("DOI") and not d.get("deleted"))


def test_adding_twice_creates_once_and_explains(run, zotero: FakeZotero) -> None:
    first = run("add", PLOS, SREP, "--json")
    assert first.exit_code == 0, first.stderr
    created = json.loads(first.stdout)
    assert [o["action"] for o in created] == ["created", "created"]
    assert all(len(o["key"]) == 8 for o in created)
    again = json.loads(run("add", f"https://doi.org/{PLOS.upper()}", SREP, "--json").stdout)
    assert [o["action"] for o in again] == ["existing", "existing"]
    assert [o["key"] for o in again] == [o["key"] for o in created]
    assert again[0]["reason"] == "same DOI" and again[0]["score"] == 1.0
    assert dois_in(zotero) == {PLOS: 1, SREP: 1}
    posts = [r for r in zotero.requests if r.method == "POST"]
    assert all("zotero-write-token" in r.headers and "if-unmodified-since-version" in r.headers
               for r in posts)


def test_repeated_input_gets_the_first_inputs_key(run, zotero: FakeZotero) -> None:
    result = run("add", SREP, f"doi:{SREP}", "--json")
    assert result.exit_code == 0, (result.stderr, repr(result.exception))
    out = json.loads(result.stdout)
    assert out[0]["action"] == "created" and out[1]["action"] == "existing"
    assert out[1]["key"] == out[0]["key"]
    assert dois_in(zotero) == {SREP: 1}


def test_work_saved_without_doi_is_found_by_title_authors_and_year(
        run, zotero: FakeZotero) -> None:
    added = json.loads(run("add", SREP, "--json", "--dry-run").stdout)[0]
    assert added["action"] == "created" and added["key"] is None and not zotero.items
    run("add", SREP)
    item = next(iter(zotero.items))
    data = {k: v for k, v in zotero.items[item].items() if k not in {"key", "version", "DOI"}}
    zotero.delete_item(item)
    twin = zotero.add_item(**data)  # the same paper, saved by hand without its DOI
    out = json.loads(run("add", SREP, "--json").stdout)[0]
    assert out["action"] == "existing" and out["key"] == twin
    assert "title" in out["reason"] and "author" in out["reason"]


def test_existing_work_is_filed_into_collection_and_tag(run, zotero: FakeZotero) -> None:
    coll = zotero.add_collection("neuro-immune")
    run("add", PLOS)
    out = run("add", PLOS, "--collection", "neuro-immune", "--tag", "to-read")
    assert out.exit_code == 0 and out.stdout.startswith("existing")
    (data,) = zotero.items.values()
    assert data["collections"] == [coll]
    assert {t["tag"] for t in data["tags"]} == {"to-read"}


def test_failed_inputs_are_reported_and_the_rest_added(run, zotero: FakeZotero) -> None:
    out = run("add", "10.9999/unknown", IJO, "nonsense")
    assert out.exit_code == 1
    lines = out.stdout.splitlines()
    assert lines[0].startswith("failed") and "10.9999/unknown" in lines[0]
    assert lines[1].startswith("created")
    assert lines[2].startswith("failed") and "nonsense" in lines[2]
    assert dois_in(zotero) == {IJO: 1}


def test_a_concurrent_write_412_leads_to_a_fresh_decision_not_a_twin(
        run, zotero: FakeZotero, crossref: FakeCrossref) -> None:
    # another client saves the same paper just before refsync's write arrives
    def someone_else() -> None:
        zotero.add_item(title="Copy", DOI=SREP, date="2015")

    zotero.schedule(1, someone_else)  # after the sync request, before the POST
    out = json.loads(run("add", SREP, "--json").stdout)
    assert out[0]["action"] == "existing"
    assert dois_in(zotero) == {SREP: 1}


def test_payloads_refused_with_412_are_never_sent_later(run, zotero: FakeZotero,
                                                       zotero_faults: FaultPlan) -> None:
    # an unrelated write lands between refsync's read and its POST: the POST is refused whole
    zotero_faults.add(faults.concurrent_write(
        lambda: zotero.add_item(title="Unrelated", date="2020"), method="POST"))
    first = run("add", SREP, PLOS, "--json")
    assert first.exit_code == 0, first.stderr
    assert [o["action"] for o in json.loads(first.stdout)] == ["created", "created"]
    later = run("add", IJO, "--json")  # reconciles the journal before anything else
    assert later.exit_code == 0, later.stderr
    assert dois_in(zotero) == {SREP: 1, PLOS: 1, IJO: 1}
    assert len(zotero.items) == 4


def test_an_unconfirmed_create_is_not_resent_once_someone_else_added_the_work(
        run, zotero: FakeZotero, zotero_faults: FaultPlan, tmp_path: Path) -> None:
    (tmp_path / "refsync.toml").write_text("[zotero]\ntimeout = 1\nretries = 0\n")
    # the POST never reaches the server, nor does the one sent again in the same run
    zotero_faults.add(faults.silence("before", method="POST", times=0))
    assert "may have landed" in run("add", PLOS).stderr
    zotero_faults.clear()
    zotero.add_item(title="A lab member's copy", DOI=PLOS, date="2012")
    later = run("add", IJO)
    assert later.exit_code == 0, later.stderr
    assert dois_in(zotero) == {PLOS: 1, IJO: 1}


def test_a_write_that_timed_out_is_reconciled_not_repeated(
        run, zotero: FakeZotero, tmp_path: Path) -> None:
    run("add", SREP)
    (tmp_path / "refsync.toml").write_text("[zotero]\ntimeout = 1\nretries = 0\n")
    zotero.delay_next(4, method="POST")  # the create lands, its answer comes too late
    posts = len([r for r in zotero.requests if r.method == "POST"])
    first = run("add", PLOS, "--json")  # reads the library again, and finds it landed
    assert first.exit_code == 0, first.stderr
    (outcome,) = json.loads(first.stdout)
    assert outcome["action"] == "created" and "landed" in outcome["reason"]
    assert dois_in(zotero) == {PLOS: 1, SREP: 1}
    assert len([r for r in zotero.requests if r.method == "POST"]) == posts + 1  # not re-sent
    posts += 1
    second = run("add", PLOS, "--json")
    assert second.exit_code == 0, second.stderr
    assert json.loads(second.stdout)[0]["action"] == "existing"
    assert dois_in(zotero) == {PLOS: 1, SREP: 1}
    assert len([r for r in zotero.requests if r.method == "POST"]) == posts  # nothing re-sent


def test_dedupe_reports_groups_with_reasons(run, zotero: FakeZotero) -> None:
    a = zotero.add_item(title="Hallmarks of cancer: the next generation", date="2011",
                        creators=[{"creatorType": "author", "firstName": "D.",
                                   "lastName": "Hanahan"}],
                        DOI="10.1016/j.cell.2011.02.013")
    b = zotero.add_item(title="Hallmarks of Cancer: The Next Generation", date="2011-03-04",
                        creators=[{"creatorType": "author", "firstName": "Douglas",
                                   "lastName": "Hanahan"}])
    zotero.add_item(title="Something else entirely", date="2011")
    out = run("dedupe", "--json")
    assert out.exit_code == 0, out.stderr
    groups = json.loads(out.stdout)["groups"]
    assert len(groups) == 1 and sorted(groups[0]["items"]) == sorted([a, b])
    assert groups[0]["reason"]
