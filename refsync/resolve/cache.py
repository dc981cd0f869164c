"""A SQLite cache of resolved works, so a DOI is fetched once per ``max_age_days``.

Keyed by resolver name and DOI; holds ``Reference.as_dict()`` JSON, or a remembered 404 for a
day (Crossref asks clients not to re-poll unknown DOIs: CrossRef/rest-api-doc, api_tips.md).
WAL mode lets several refsync processes share the file. Imports only leaves (model, errors, config).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from refsync.config import Settings
from refsync.errors import NotFoundError, RefsyncError, cache_unusable
from refsync.model import Reference
from refsync.util.private import private_file

__all__ = ["CACHE_FILE", "WorkCache"]

CACHE_FILE = "crossref.sqlite"
DAY = 86_400.0
#: SQLite's default limit on host parameters in one statement is 999 before 3.32
_CHUNK = 500
#: tries at setting up a cache file that another process is creating at the same moment
_SETUP_ATTEMPTS = 5

_SCHEMA = """
CREATE TABLE IF NOT EXISTS works (
    resolver TEXT NOT NULL,
    doi      TEXT NOT NULL,
    record   TEXT,            -- Reference.as_dict() JSON; NULL for a remembered 404
    fetched  REAL NOT NULL,   -- seconds since the epoch
    PRIMARY KEY (resolver, doi)
)
"""


class WorkCache:
    """Resolved works by (resolver, DOI); one connection, used from one thread.

    :param path: the SQLite file; its folder is created.
    :param max_age_days: how long a resolved work stays fresh.
    :param missing_days: how long a 404 is believed.
    :param clock: seconds since the epoch (tests pass a fake clock).
    """

    def __init__(
        self,
        path: Path,
        *,
        max_age_days: float = 90.0,
        missing_days: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.max_age = max_age_days * DAY
        self.missing_age = missing_days * DAY
        self._clock = clock
        try:  # autocommit; writes are grouped in explicit transactions below
            self._db = sqlite3.connect(private_file(path), timeout=10.0, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise cache_unusable(path, exc) from exc
        for attempt in range(_SETUP_ATTEMPTS):
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.execute(_SCHEMA)
                break
            except sqlite3.OperationalError as exc:
                # two refsyncs creating the cache at once: SQLite may answer "locked" at once,
                # without waiting, while the other one switches the new file to WAL
                if "locked" not in str(exc) or attempt == _SETUP_ATTEMPTS - 1:
                    self._db.close()
                    raise RefsyncError(f"The Crossref cache '{path}' cannot be opened ({exc}).",
                                       hint="try again; if it persists, delete the file") from exc
                time.sleep(0.05 * (attempt + 1))

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkCache:
        """The cache in ``settings.cache_dir``, fresh for ``[crossref] max_age_days``."""
        return cls(
            settings.cache_dir / CACHE_FILE, max_age_days=settings.crossref.max_age_days
        )

    def lookup(self, resolver: str, dois: Iterable[str]) -> dict[str, Reference | NotFoundError]:
        """Fresh entries for these DOIs: the Reference, or ``NotFoundError`` for a recent 404.

        Stale and absent DOIs are left out; the caller fetches them.
        """
        now = self._clock()
        found: dict[str, Reference | NotFoundError] = {}
        wanted = list(dict.fromkeys(dois))
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            rows = self._db.execute(
                "SELECT doi, record, fetched FROM works WHERE resolver = ? AND doi IN "
                f"({', '.join('?' * len(chunk))})",
                [resolver, *chunk],
            )
            for doi, record, fetched in rows:
                if record is None and now - fetched < self.missing_age:
                    found[doi] = NotFoundError(
                        f"'{doi}' was not found by '{resolver}' on {_day(fetched)}.",
                        hint="refsync asks again a day later; use --refresh to ask now",
                    )
                elif record is not None and now - fetched < self.max_age:
                    found[doi] = Reference.from_dict(json.loads(record))
        return found

    def store(self, resolver: str, results: Mapping[str, Reference | RefsyncError]) -> None:
        """Remember References and 404s (``NotFoundError``); other errors are not cached."""
        now = self._clock()
        rows = [
            (resolver, doi, None if isinstance(r, NotFoundError) else json.dumps(r.as_dict()), now)
            for doi, r in results.items()
            if isinstance(r, Reference | NotFoundError)
        ]
        if not rows:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany("INSERT OR REPLACE INTO works VALUES (?, ?, ?, ?)", rows)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> WorkCache:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _day(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).date().isoformat()
