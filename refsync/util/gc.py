"""A pause of Python's cycle collector, for the process that refsync owns: the CLI's.

Loading, keying, rendering and indexing tens of thousands of records allocate millions of
containers and create no reference cycles, so the collector finds nothing, yet its passes walk
everything the library holds (figures in bench/README.md). The collector belongs to the
process, so only ``refsync.cli.main`` pauses it; library code never does, and a program that
embeds refsync decides for itself.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["cyclic_gc_paused"]


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Disable the cycle collector for the block; restored afterwards, if it was on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
