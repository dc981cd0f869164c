"""One process at a time: an advisory OS lock on a file, waited for with a message.

``fcntl.flock`` locks belong to the open file, so the kernel releases them when the holder
exits or is killed: a crashed refsync never leaves a stale lock behind. The holder's process id
is written into the file only to name it in messages.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from refsync.util.private import private_file

__all__ = ["FileLock", "LockTimeout"]


class LockTimeout(Exception):
    """The lock stayed taken for the whole wait; ``holder`` is what the file names."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


class FileLock:
    """An exclusive lock on ``path``, taken by :meth:`acquire` and freed by :meth:`release`.

    :param wait: longest time to wait for another holder, in seconds.
    :param on_wait: told once (with the holder's description) when the lock is taken.
    """

    def __init__(self, path: Path, *, wait: float, on_wait: Callable[[str], None],
                 poll: float = 0.05) -> None:
        self.path, self._wait, self._on_wait, self._poll = path, wait, on_wait, poll
        self._file: IO[str] | None = None

    def acquire(self) -> FileLock:
        handle = private_file(self.path).open("a+", encoding="utf-8")
        deadline = time.monotonic() + self._wait
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told:
                    self._on_wait(_holder(handle))
                    told = True
                if time.monotonic() >= deadline:
                    holder = _holder(handle)
                    handle.close()
                    raise LockTimeout(holder) from None
                time.sleep(self._poll)
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}\n")
        handle.flush()
        self._file = handle
        return self

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the file frees the lock
            self._file = None


def _holder(handle: IO[str]) -> str:
    handle.seek(0)
    return handle.read().strip() or "another process"
