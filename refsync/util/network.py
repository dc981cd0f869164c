"""Telling "there is no network" apart from "the server is in trouble"."""

from __future__ import annotations

import socket
from collections.abc import Iterator

__all__ = ["causes", "name_lookup_failed"]


def causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything it was raised from or during, nearest first (each once)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        yield current
        seen.add(id(current))
        current = current.__cause__ or current.__context__


def name_lookup_failed(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it was raised from) is a failed DNS lookup: offline, a wrong
    host name, or a resolver that is down. Retrying that only makes the user wait; httpx2
    wraps the ``socket.gaierror`` it got in a ``ConnectError``."""
    return any(isinstance(cause, socket.gaierror) for cause in causes(exc))
