"""Writing files so that a crash, a full disk or Ctrl-C never leaves half a file behind.

Adapter for the local file system; knows nothing of formats.
"""

from __future__ import annotations

import contextlib
import glob
import os
import stat
import tempfile
import time
from pathlib import Path

__all__ = ["write_atomic", "write_if_changed"]

#: a temporary file this much older than now was left by a writer that was killed: writing
#: one takes milliseconds
STALE_AFTER = 60.0


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step: a temporary file in the same folder (same file
    system, so the rename is atomic), fsync'd, given the old file's permissions, then renamed."""
    path = Path(path)
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    _remove_stale(folder, path.name)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable where the OS allows
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def write_if_changed(path: Path, text: str) -> bool:
    """Write only when the content differs, so the mtime stays and latexmk does not rebuild.

    :returns: whether the file was written.
    """
    path = Path(path)
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    write_atomic(path, text)
    return True


def _remove_stale(folder: Path, name: str) -> None:
    """Remove what killed writers of ``name`` left behind (their temporary files)."""
    oldest = time.time() - STALE_AFTER
    for leftover in folder.glob(f".{glob.escape(name)}.*.tmp"):
        with contextlib.suppress(OSError):  # gone meanwhile, or not ours to remove
            if leftover.lstat().st_mtime < oldest:
                leftover.unlink()
