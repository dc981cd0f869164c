"""ZoteroClient under the faults real servers and networks produce: a result or one ZoteroError,
never a foreign exception, and never a wait the user was not told about or cannot bound."""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import time
from typing import Any

import pytest
from fakes import faults
from fakes.faults import FaultPlan
from fakes.zotero import FakeZotero
from support import Sleeps

from refsync.config import Settings
from refsync.errors import ZoteroError
from refsync.zotero.client import ZoteroClient


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(zotero_settings: Settings, sleeps: Sleeps) -> ZoteroClient:
    settings = dataclasses.replace(zotero_settings.zotero, timeout=0.5, max_wait=60)
    return ZoteroClient(settings, os.environ["ZOTERO_API_KEY"], sleep=sleeps, base_delay=0.01)


READ_FAULTS = [*faults.transient(), faults.rate_limited(None)]


@pytest.mark.parametrize("fault", READ_FAULTS, ids=lambda f: f.name)
def test_a_read_survives_one_fault(zotero: FakeZotero, zotero_faults: FaultPlan,
                                   client: ZoteroClient, fault: faults.Fault) -> None:
    zotero.add_item(title="A")
    zotero_faults.add(dataclasses.replace(fault, method="GET"))
    page = client.items()
    assert page is not None and [o["data"]["title"] for o in page.objects] == ["A"]
    assert zotero_faults.hits == [fault.name]


@pytest.mark.parametrize("fault", READ_FAULTS, ids=lambda f: f.name)
def test_a_persistent_read_fault_is_one_zotero_error(zotero_faults: FaultPlan,
                                                     client: ZoteroClient,
                                                     fault: faults.Fault) -> None:
    zotero_faults.add(faults.always(fault))
    with pytest.raises(ZoteroError) as caught:
        client.items()
    assert "\n" not in caught.value.message
    assert "<" not in caught.value.message  # an HTML page is named, not quoted


def test_a_date_in_retry_after_is_waited_until(zotero_faults: FaultPlan, client: ZoteroClient,
                                               sleeps: Sleeps) -> None:
    zotero_faults.add(faults.rate_limited(faults.http_date(30)))
    client.items()
    assert len(sleeps) == 1 and 27 < sleeps[0] <= 30


def test_an_absurd_wait_ends_the_command_at_once_saying_until_when(
        zotero_faults: FaultPlan, client: ZoteroClient, sleeps: Sleeps) -> None:
    zotero_faults.add(faults.rate_limited("3600"))
    with pytest.raises(ZoteroError, match="wait 3600 s") as caught:
        client.items()
    assert sleeps == [] and "max_wait" in (caught.value.hint or "")
    zotero_faults.add(faults.unavailable("7200"))
    with pytest.raises(ZoteroError, match="wait 7200 s"):
        client.items()


def test_a_long_backoff_is_announced_without_verbose(zotero_faults: FaultPlan,
                                                     client: ZoteroClient, sleeps: Sleeps,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    zotero_faults.add(faults.rate_limited("20"))
    with caplog.at_level(logging.WARNING, logger="refsync"):
        client.items()
    assert sleeps == [20.0]
    assert "waiting 20 s" in caplog.text and "Ctrl-C" in caplog.text


def test_a_429_with_a_text_body_on_a_write_is_retried(zotero: FakeZotero,
                                                      zotero_faults: FaultPlan,
                                                      client: ZoteroClient) -> None:
    zotero_faults.add(faults.rate_limited("1", method="POST"))
    result = client.create_items([{"itemType": "book", "title": "B"}])
    assert result.successful[0]["title"] == "B"
    assert len(zotero.items) == 1


@pytest.mark.parametrize("fault", [faults.silence("after"), faults.reset("after"),
                                   faults.truncated(honest=True), faults.server_error()],
                         ids=lambda f: f.name)
def test_a_write_whose_answer_is_lost_is_not_sent_again(zotero: FakeZotero,
                                                        zotero_faults: FaultPlan,
                                                        client: ZoteroClient,
                                                        fault: faults.Fault) -> None:
    zotero_faults.add(dataclasses.replace(fault, method="POST"))
    with pytest.raises(ZoteroError, match="may have landed") as caught:
        client.create_items([{"itemType": "book", "title": "B"}])
    assert "again" in (caught.value.hint or "")
    assert len([r for r in zotero.requests if r.method == "POST"]) <= 1


def test_the_configured_timeout_bounds_paged_reads(zotero_settings: Settings,
                                                   zotero_faults: FaultPlan) -> None:
    zotero_faults.add(faults.silence("before", times=0))
    settings = dataclasses.replace(zotero_settings.zotero, timeout=0.3, retries=1)
    started = time.monotonic()
    with ZoteroClient(settings, "k", sleep=lambda s: None) as client, \
            pytest.raises(ZoteroError, match="no answer within 0.3 s"):
        client.items()
    assert time.monotonic() - started < 3


def test_no_network_is_said_as_such_at_once(zotero_settings: Settings,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", offline)  # the machine, not a client library
    settings = dataclasses.replace(zotero_settings.zotero, url="http://api.zotero.org")
    started = time.monotonic()
    with ZoteroClient(settings, "k") as client, \
            pytest.raises(ZoteroError, match="Cannot look up") as caught:
        client.items()
    assert time.monotonic() - started < 5
    assert "network" in (caught.value.hint or "")


def test_a_body_quoting_the_key_is_neither_shown_nor_chained(zotero: FakeZotero,
                                                             zotero_faults: FaultPlan,
                                                             client: ZoteroClient) -> None:
    key = os.environ["ZOTERO_API_KEY"]
    zotero_faults.add(faults.Fault("echo", status=400, body=f"Invalid key {key}".encode()))
    with pytest.raises(ZoteroError) as caught:
        client.items()
    chain: BaseException | None = caught.value
    while chain is not None:  # what a traceback (--debug) prints
        assert key not in str(chain)
        chain = chain.__cause__ or (None if chain.__suppress_context__ else chain.__context__)
