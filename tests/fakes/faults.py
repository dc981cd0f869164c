"""Faults as real networks and servers produce them, put in front of any loopback fake.

The fakes answer as the protocols are documented; users' networks and servers do not. A
:class:`Fault` makes one exchange go wrong the way they do (a 429 with a plain-text body, a
``Retry-After`` given as a date, a captive portal's HTML with status 200, a connection reset, a
body cut short with or without an honest ``Content-Length``, a silence longer than any timeout,
a concurrent writer), either *before* the fake acted (the request never reached the server) or
*after* (the server acted, and its answer was lost or mangled on the way back).

:class:`~fakes.server.LoopbackServer` consults its :class:`FaultPlan` for every request.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Response = tuple[int, dict[str, str], bytes]
When = Literal["before", "after"]

HTML_PAGE = (b"<!DOCTYPE html><html><head><title>Sign in to the network</title></head>"
             b"<body><form action='/login'>Accept the terms to continue</form></body></html>")


@dataclass
class Fault:
    """One way an exchange goes wrong; see the constructors below for the realistic ones.

    ``method`` and ``path`` (a substring) choose the requests; ``times`` is how many it hits
    (``0``: every one, a persistent fault); ``skip`` lets that many matching requests through
    first.
    """

    name: str
    when: When = "before"
    status: int = 0  # 0: keep the server's status (faults that mangle the body or the socket)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    socket: str = ""  # "reset" | "silence" | "cut" (Content-Length promises more than is sent)
    honest_cut: bool = False  # send half the body with a Content-Length that matches it
    act: Callable[[], None] | None = None  # run just before the server sees the request
    method: str = ""
    path: str = ""
    times: int = 1
    skip: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (not self.method or method == self.method) and self.path in path

    def answer(self, served: Response | None) -> Response:
        """What the client receives, given the server's own answer (``None``: not asked)."""
        status, headers, body = served or (200, {}, b"")
        if self.status:
            status, headers, body = self.status, {"Content-Type": "text/plain"}, self.body
        elif self.body:
            body = self.body
        headers = {**headers, **self.headers}
        if self.honest_cut:
            body = body[: len(body) // 2]
        if self.socket:
            headers[f"X-Fault-{self.socket.title()}"] = "1"
        return status, headers, body


class FaultPlan:
    """The faults a server applies, in order; the first that matches a request takes it."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.hits: list[str] = []  # names of the faults applied, in order

    def add(self, fault: Fault) -> Fault:
        """Plan a copy of ``fault`` (the plan counts it down; the original stays reusable)."""
        planned = replace(fault)
        with self._lock:
            self._faults.append(planned)
        return planned

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self.hits.clear()

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path):
                    continue
                if fault.skip:
                    fault.skip -= 1
                    return None
                if fault.times:
                    fault.times -= 1
                    if not fault.times:
                        self._faults.remove(fault)
                self.hits.append(fault.name)
                return fault
        return None


# ------------------------------------------------------------------ the realistic ones


def http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


def rate_limited(retry_after: str | None = "1", **where: Any) -> Fault:
    """429 as the dataserver and the proxies in front of it send it: a plain-text body."""
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return Fault(f"429 Retry-After {retry_after}", status=429, headers=headers,
                 body=b"Too Many Requests", **where)


def unavailable(backoff: str = "1", **where: Any) -> Fault:
    return Fault(f"503 Backoff {backoff}", status=503, headers={"Backoff": backoff},
                 body=b"Service Unavailable", **where)


def server_error(**where: Any) -> Fault:
    return Fault("500", status=500, body=b"An error occurred", **where)


def html(status: int = 200, **where: Any) -> Fault:
    """A captive portal (200) or a load balancer's error page (502), in HTML."""
    return Fault(f"HTML {status}", status=status, body=HTML_PAGE,
                 headers={"Content-Type": "text/html; charset=utf-8"},
                 **where)


def reset(when: When = "before", **where: Any) -> Fault:
    return Fault(f"reset {when}", when=when, socket="reset", **where)


def silence(when: When = "before", **where: Any) -> Fault:
    return Fault(f"silence {when}", when=when, socket="silence",
                 **where)


def truncated(honest: bool, **where: Any) -> Fault:
    """The server acted; its answer arrives cut in half, with a Content-Length that matches
    the half (``honest``) or that promises the whole."""
    name = "truncated, honest length" if honest else "truncated, length promises more"
    return Fault(name, when="after", honest_cut=honest, socket="" if honest else "cut",
                 **where)


def too_large(**where: Any) -> Fault:
    return Fault("413", status=413, body=b"Request Entity Too Large",
                 **where)


def concurrent_write(act: Callable[[], None], **where: Any) -> Fault:
    """Someone else writes to the library just before this request reaches the server (a
    desktop sync, a lab member): the server then answers as it really would, e.g. 412."""
    return Fault("concurrent writer", when="after", act=act, **where)


def always(fault: Fault) -> Fault:
    """The same fault on every matching request: a server that stays down."""
    return replace(fault, name=f"{fault.name}, always", times=0)


def transient() -> list[Fault]:
    """What a request may meet once on its way and a retry gets past; one table for the
    client tests and the command matrix."""
    return [rate_limited("1"), rate_limited(http_date(1)), rate_limited("soon"),
            unavailable("1"), server_error(), html(200), html(502), reset(), silence(),
            truncated(honest=True), truncated(honest=False)]
