from __future__ import annotations

import json
import random
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


def test_the_hand_written_encoder_round_trips_through_json_on_hostile_strings(
        tmp_path: Path) -> None:
    """Lock.dumps writes JSON itself (one entry per line, fast); json.loads, which reads it
    back, is the reference: quotes, backslashes, controls, line separators, astral characters."""
    rng = random.Random(11)
    alphabet = ["a", "Z", '"', "\\", "\n", "\t", "\x00", "\x1f", "\x7f", "é", "\u2028", "😀",
                "}", ",", ":", " ", "/"]

    def text() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))

    path = tmp_path / "refsync.lock"
    for _ in range(300):
        lock = Lock(keys={text(): text() for _ in range(rng.randint(0, 4))},
                    targets={text(): {text(): LockEntry(text(), rng.randint(0, 10**9), text())
                                      for _ in range(rng.randint(0, 3))}
                             for _ in range(rng.randint(0, 2))},
                    writers={text(): text()})
        lock.save(path)
        assert Lock.load(path) == lock
        json.loads(path.read_text(encoding="utf-8"))  # strict JSON, not merely our own reader
