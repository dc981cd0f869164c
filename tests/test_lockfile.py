from __future__ import annotations

from pathlib import Path

import pytest

from refsync.errors import ConfigError
from refsync.lockfile import Lock, LockEntry


def test_lock_round_trips_and_is_byte_stable(tmp_path: Path) -> None:
    lock = Lock(keys={"user:1/B": "b2020", "user:1/A": "a2020"},
                targets={"refs.bib": {"a2020": LockEntry("user:1/A", 3, "abc")}})
    path = tmp_path / "refsync.lock"
    assert lock.save(path) is True
    again = Lock.load(path)
    assert again == lock
    assert again.save(path) is False  # nothing changed: not rewritten
    assert path.read_text().index('"user:1/A"') < path.read_text().index('"user:1/B"')


def test_missing_lock_is_empty_and_broken_lock_is_a_clear_error(tmp_path: Path) -> None:
    assert Lock.load(tmp_path / "none.lock") == Lock()
    broken = tmp_path / "refsync.lock"
    broken.write_text("{not json")
    with pytest.raises(ConfigError, match="refsync.lock: not a readable refsync lock"):
        Lock.load(broken)
