"""Shared fixtures: a clean environment, private folders and a guard against real network use."""

from __future__ import annotations

import ipaddress
import signal
import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner, Result

from refsync.cli import cli

if TYPE_CHECKING:  # pytest_plugins below imports them, so their assertions get rewritten
    from fakes.crossref import FakeCrossref
    from fakes.zotero import FakeZotero

FIXTURES = Path(__file__).parent / "fixtures"

# each fake service brings its own fixtures (servers, settings pointed at them)
pytest_plugins = ["fakes.crossref", "fakes.zotero"]


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer config, proxy or key leaks in; every test gets its own XDG folders."""
    import os

    for name in list(os.environ):
        if name.startswith(("REFSYNC_", "ZOTERO_")) or name.upper() in {
            "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
        }:
            monkeypatch.delenv(name, raising=False)
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_CACHE_HOME", "cache"),
                     ("XDG_DATA_HOME", "data")):
        monkeypatch.setenv(var, str(tmp_path / "xdg" / sub))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any connection outside loopback fails the test at once instead of leaking or hanging."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0] if isinstance(address, tuple) else str(address)
            try:
                loopback = ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = host == "localhost"
            if not loopback:
                raise AssertionError(f"test tried to reach {address!r} outside loopback")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield


@pytest.fixture
def services_env(crossref: FakeCrossref, zotero: FakeZotero, tmp_path: Path) -> dict[str, str]:
    """The environment a user would set to point refsync at both loopback services."""
    from fakes.zotero import API_KEY

    return {"REFSYNC_CROSSREF_URL": crossref.url, "REFSYNC_MAILTO": "ci@example.org",
            "REFSYNC_ZOTERO_URL": zotero.url, "ZOTERO_LIBRARY": "user:123",
            "ZOTERO_API_KEY": API_KEY, "REFSYNC_CACHE_DIR": str(tmp_path / "cache")}


@pytest.fixture
def run(services_env: dict[str, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """``run("add", DOI, ...)``: the refsync command in ``tmp_path``, against the fakes."""
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=services_env)

    return invoke


@contextmanager
def _within(seconds: float) -> Iterator[None]:
    def too_slow(*_: object) -> None:
        raise TimeoutError(f"took over {seconds} s: does a pattern backtrack super-linearly?")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def within() -> Callable[[float], AbstractContextManager[None]]:
    """``with within(2): ...`` fails the test with TimeoutError when the block runs longer.

    For untrusted input that could make a pattern backtrack for hours: SIGALRM interrupts
    even a regex match in progress, so such a test fails in seconds instead of hanging.
    """
    return _within
