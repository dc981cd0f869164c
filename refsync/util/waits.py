"""How long a server asks a client to stay away, and how refsync tells the user it waits.

Zotero and Crossref both send ``Retry-After`` (RFC 9110 §10.2.3: delta-seconds *or* an
HTTP-date) and Zotero also ``Backoff`` (Zotero Web API v3 docs, rate limiting). Real servers and
the proxies in front of them also send negative, fractional and nonsense values; those read as
"no advice" here rather than as a crash.
"""

from __future__ import annotations

import email.utils
import logging
import math
import threading
import time

__all__ = ["LONG_WAIT", "Waits", "announce_wait", "server_wait"]

#: waits at least this long (seconds) are told to the user even without ``-v``
LONG_WAIT = 5.0


def server_wait(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After``/``Backoff`` value; ``None`` when it says nothing
    usable (absent, empty, not a number nor a date)."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # RFC 9110 dates are GMT; a bare one is taken as such
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


def announce_wait(log: logging.Logger, service: str, seconds: float, why: str) -> None:
    """Say that refsync is about to wait: on the terminal when the wait is long, under ``-v``
    always, so a pause is never a silent hang."""
    level = logging.WARNING if seconds >= LONG_WAIT else logging.INFO
    log.log(level, "%s %s; waiting %.0f s before trying again (Ctrl-C stops).", service, why,
            seconds)


class Waits:
    """Waits that end at once when :meth:`stop` is called, whichever thread sits in them.

    Ctrl-C reaches only the main thread; worker threads sleeping out a ``Retry-After`` would
    keep the process alive until their waits end (the executor joins them on the way out).
    Whoever catches the interrupt calls :meth:`stop`, and every wait ends with
    ``KeyboardInterrupt``.
    """

    def __init__(self) -> None:
        self._stopped = threading.Event()

    def sleep(self, seconds: float) -> None:
        if self._stopped.wait(seconds):
            raise KeyboardInterrupt

    def stop(self) -> None:
        self._stopped.set()
