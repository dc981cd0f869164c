"""Files only their owner may read: the mirror (a copy of the whole library), the write
journal and the Crossref cache hold what the user has not published, and a shared machine's
default umask (022) would let every other account read them.

The modes are given when the file or folder is made, so nothing changes process state (the
umask is left alone) and nothing is ever readable in between.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["private_file"]


def private_file(path: Path) -> Path:
    """Make ``path``'s missing folders (``0700``) and the file itself if missing (``0600``),
    and return it, for SQLite or ``open`` to use; existing ones are left as they are."""
    missing = [folder for folder in (path.parent, *path.parent.parents) if not folder.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    return path
