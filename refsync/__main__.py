"""``python -m refsync`` and the ``refsync`` console script.

Ctrl-C is caught here, around the import of the CLI too. Pressed while Python is still loading
click, pyzotero and habanero (the first half second), it would otherwise end the process by the
signal (status -2), not with exit code 130 as at every later moment (``RefsyncGroup``).
"""

from __future__ import annotations

import sys


def run() -> None:
    try:
        from refsync.cli import main

        main()
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        sys.exit(130)


if __name__ == "__main__":
    run()
