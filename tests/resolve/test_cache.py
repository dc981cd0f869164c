"""The work cache: what comes back, for how long, and sharing the file between processes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from refsync.config import Settings
from refsync.errors import CrossrefError, NotFoundError
from refsync.model import Creator, Reference
from refsync.resolve.cache import CACHE_FILE, DAY, WorkCache

REF = Reference(
    item_type="journalArticle",
    fields={"title": "A <i>title</i>", "DOI": "10.5555/a", "date": "2017-02"},
    creators=(Creator(last="Lovelace", first="Ada", orcid="0000-0002-1825-0097"),
              Creator(name="The Consortium", creator_type="contributor")),
    relations={"has-preprint": ("10.1101/1",)},
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cache(tmp_path: Path, clock: Clock) -> Iterator[WorkCache]:
    with WorkCache(tmp_path / "deep" / "er" / CACHE_FILE, max_age_days=90, clock=clock) as c:
        yield c


def test_a_stored_reference_comes_back_whole(cache: WorkCache) -> None:
    cache.store("crossref", {"10.5555/a": REF})
    assert cache.lookup("crossref", ["10.5555/a", "10.5555/b"]) == {"10.5555/a": REF}


def test_entries_are_per_resolver(cache: WorkCache) -> None:
    cache.store("crossref", {"10.5555/a": REF})
    assert cache.lookup("datacite", ["10.5555/a"]) == {}


def test_works_go_stale_after_max_age(cache: WorkCache, clock: Clock) -> None:
    cache.store("crossref", {"10.5555/a": REF})
    clock.now += 89 * DAY
    assert "10.5555/a" in cache.lookup("crossref", ["10.5555/a"])
    clock.now += 2 * DAY
    assert cache.lookup("crossref", ["10.5555/a"]) == {}


def test_not_found_is_remembered_for_a_day(cache: WorkCache, clock: Clock) -> None:
    cache.store("crossref", {"10.5555/gone": NotFoundError("no")})
    hit = cache.lookup("crossref", ["10.5555/gone"])["10.5555/gone"]
    assert isinstance(hit, NotFoundError) and "'10.5555/gone'" in hit.message
    clock.now += DAY + 1
    assert cache.lookup("crossref", ["10.5555/gone"]) == {}


def test_remote_failures_are_not_cached(cache: WorkCache) -> None:
    cache.store("crossref", {"10.5555/a": CrossrefError("boom", service="crossref")})
    assert cache.lookup("crossref", ["10.5555/a"]) == {}


def test_a_newer_answer_replaces_the_old(cache: WorkCache) -> None:
    cache.store("crossref", {"10.5555/a": NotFoundError("no")})
    cache.store("crossref", {"10.5555/a": REF})
    assert cache.lookup("crossref", ["10.5555/a"]) == {"10.5555/a": REF}


def test_many_dois_in_one_lookup(cache: WorkCache) -> None:
    dois = [f"10.5555/n.{i}" for i in range(1500)]
    cache.store("crossref", dict.fromkeys(dois, REF))
    assert len(cache.lookup("crossref", dois)) == 1500


def test_settings_choose_the_file_and_freshness(crossref_settings: Settings) -> None:
    with WorkCache.from_settings(crossref_settings) as cache:
        assert cache.path == crossref_settings.cache_dir / "crossref.sqlite"
        assert cache.max_age == crossref_settings.crossref.max_age_days * DAY
    mode = sqlite3.connect(cache.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / CACHE_FILE
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from refsync.resolve.cache import WorkCache
        from refsync.model import Reference
        worker = sys.argv[2]
        with WorkCache(Path(sys.argv[1])) as cache:
            for i in range(50):
                ref = Reference("journalArticle", {"DOI": f"10.5555/{worker}.{i}"})
                cache.store("crossref", {f"10.5555/{worker}.{i}": ref})
        """
    )
    workers = [
        subprocess.Popen([sys.executable, "-c", script, str(path), str(n)]) for n in range(4)
    ]
    assert [w.wait(timeout=60) for w in workers] == [0, 0, 0, 0]
    with WorkCache(path) as cache:
        dois = [f"10.5555/{n}.{i}" for n in range(4) for i in range(50)]
        assert len(cache.lookup("crossref", dois)) == 200
