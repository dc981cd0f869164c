"""``python -m refsync`` and the ``refsync`` console script.

Ctrl-C is caught here, around the import of the CLI too: pressed while Python is still loading
click, pyzotero and habanero (the first half second), it would otherwise end the process by the
signal (status -2), not with exit code 130 as at every later moment (``RefsyncGroup``).
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
from types import FrameType

#: what a shell reports for a program that ended on Ctrl-C (128 + SIGINT)
INTERRUPTED = 130


class _CtrlC:
    """Python's own SIGINT handler (raise KeyboardInterrupt) that also remembers the press.

    A KeyboardInterrupt raised while a C extension initialises can come out as another
    exception (``TypeError: expected a message argument`` from ``import _ssl`` was seen); the
    remembered press still makes that an interruption, not a crash.
    """

    pressed = False

    @classmethod
    def handle(cls, signum: int, frame: FrameType | None) -> None:
        cls.pressed = True
        signal.default_int_handler(signum, frame)


def run() -> None:
    signal.signal(signal.SIGINT, _CtrlC.handle)
    try:
        from refsync.cli import main

        main()
    except SystemExit as done:
        if done.code == INTERRUPTED:  # the CLI caught Ctrl-C and said so
            _leave_interrupted()
        # the command has finished and its exit code stands: Ctrl-C from here on, while Python
        # shuts down, would only turn that code into -2
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise
    except BaseException:
        if not _CtrlC.pressed:
            raise
        sys.stderr.write("Interrupted.\n")
        _leave_interrupted()


def _leave_interrupted() -> None:
    """End the process with 130 after Ctrl-C, whatever Python remembered of it.

    CPython (3.11) marks a KeyboardInterrupt raised inside ``exec`` of source text as unhandled
    even when it is caught later (``run_eval_code_obj`` in Python/pythonrun.c), and ``Py_RunMain``
    then ends the process by SIGINT after finalising it, whatever the exit code. ``dataclasses``
    and ``typing.NamedTuple`` build methods with ``exec``, so Ctrl-C pressed while modules load
    met that about once in ten times. The exit functions run as at a normal exit; ``os._exit``
    skips only the re-raise of the signal.
    """
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(INTERRUPTED)


if __name__ == "__main__":
    run()
