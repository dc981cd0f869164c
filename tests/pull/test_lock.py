from __future__ import annotations

from pathlib import Path

import pytest

from refsync.errors import ConfigError
from refsync.pull.lock import Lock, LockEntry


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


def test_each_entry_is_one_line_so_a_changed_entry_is_a_one_line_diff(tmp_path: Path) -> None:
    entries = {f"k{i}": LockEntry(f"user:1/K{i}", i, f"h{i}") for i in range(3)}
    lock = Lock(keys={'odd "key" \\ é\u2028': "k0"}, targets={"refs.bib": entries, "none.bib": {}})
    before = lock.dumps().splitlines()
    lock.targets["refs.bib"]["k1"] = LockEntry("user:1/K1", 9, "new")
    after = lock.dumps().splitlines()
    assert [line for line in after if line not in before] == [
        '   "k1": {"hash": "new", "item": "user:1/K1", "version": 9},']
    path = tmp_path / "refsync.lock"
    lock.save(path)
    assert Lock.load(path) == lock
