from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from refsync.util.atomic import write_atomic, write_if_changed


def test_unchanged_content_leaves_the_file_and_its_mtime_alone(tmp_path: Path) -> None:
    target = tmp_path / "refs.bib"
    target.write_text("same\n")
    os.utime(target, (1_000_000, 1_000_000))
    assert write_if_changed(target, "same\n") is False
    assert target.stat().st_mtime == 1_000_000


def test_rewrite_keeps_permissions_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    target = tmp_path / "refs.bib"
    target.write_text("old\n")
    target.chmod(0o640)
    assert write_if_changed(target, "new\n") is True
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["refs.bib"]


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "refs.bib"
    target.write_text("old\n")
    try:
        write_atomic(target, "\ud800")  # a lone surrogate cannot be encoded: the write fails
    except UnicodeEncodeError:
        pass
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["refs.bib"]


def test_temporary_files_of_killed_writers_are_removed_by_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "refs [draft].bib"
    stale = tmp_path / ".refs [draft].bib.k1ll3d.tmp"  # what a SIGKILL mid-write leaves
    fresh = tmp_path / ".refs [draft].bib.wr1t1ng.tmp"  # another writer, at work right now
    other = tmp_path / ".notes.bib.k1ll3d.tmp"
    for leftover in (stale, fresh, other):
        leftover.write_text("half")
    for leftover in (stale, other):
        os.utime(leftover, (1_000_000, 1_000_000))
    write_atomic(target, "new\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [target.name, fresh.name, other.name])


NEW_FILE = """
import os, stat, sys
from pathlib import Path
from refsync.util.atomic import write_atomic
os.umask(0o027)
def umask(mask):
    raise AssertionError("the umask was changed")
os.umask = umask  # library code must never change the process's umask, even for a moment
write_atomic(Path(sys.argv[1]) / "new.bib", "x")
print(oct(stat.S_IMODE((Path(sys.argv[1]) / "new.bib").stat().st_mode)))
"""


def test_a_new_file_follows_the_umask_without_changing_it(tmp_path: Path) -> None:
    """The umask was read by setting it to 0 and back: a file another thread created in
    between would have been world-writable. In a child process, whose umask the test sets."""
    result = subprocess.run([sys.executable, "-c", NEW_FILE, str(tmp_path)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "0o640"
