"""Writing files so that a crash, a full disk or Ctrl-C never leaves half a file behind.

Adapter for the local file system; knows nothing of formats.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import stat
import time
from pathlib import Path

__all__ = ["write_atomic", "write_if_changed"]

#: a temporary file this much older than now was left by a writer that was killed: writing
#: one takes milliseconds
STALE_AFTER = 60.0


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step: a temporary file in the same folder (same file
    system, so the rename is atomic), fsync'd, given the old file's permissions, then renamed.

    A new file gets what the umask leaves of ``0666``, as ``open`` would give it: the kernel
    applies the umask when the temporary file is made, so the umask is never read by setting it
    (which would change it for every thread of the process meanwhile).
    """
    path = Path(path)
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    try:
        mode: int | None = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = None
    _remove_stale(folder, path.name)
    fd, tmp = _new_temporary(folder, path.name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
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


def _new_temporary(folder: Path, name: str) -> tuple[int, str]:
    """A new ``.NAME.XXXXXXXX.tmp`` beside the target, opened for writing with mode ``0666``
    less the umask (``tempfile.mkstemp`` would make it ``0600``)."""
    while True:
        tmp = str(folder / f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:  # pragma: no cover - 2**32 names
            continue


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
