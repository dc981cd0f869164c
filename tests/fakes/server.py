"""A standard-library HTTP server on 127.0.0.1 with a random port, run in a daemon thread.

Faking at the socket keeps the real pyzotero and habanero (and their httpx2) in every test.
"""

from __future__ import annotations

import select
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .faults import FaultPlan


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""
    at: float = field(default_factory=time.monotonic)
    status: int = 0  # what the client was answered (0: no answer, a reset or a silence)

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


class LoopbackServer:
    """Serves ``app.handle(request) -> (status, headers, body)`` and logs every request.

    ``app`` is any object with that method; the fakes keep their state on it. ``faults`` puts
    network and server misbehaviour in front of it (:mod:`fakes.faults`).
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.faults = FaultPlan()
        self.requests: list[LoggedRequest] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = LoggedRequest(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                request.raw_path = self.path  # type: ignore[attr-defined]
                request.request_line = self.requestline  # type: ignore[attr-defined]
                with server._lock:
                    server.requests.append(request)
                fault = server.faults.take(self.command, parts.path)
                if fault and fault.act:
                    fault.act()
                served = (server.app.handle(request)
                          if fault is None or fault.when == "after" else None)
                status, headers, payload = fault.answer(served) if fault else served
                request.status = status
                if headers.pop("X-Fault-Reset", None):
                    request.status = 0
                    self._reset()
                    return
                if headers.pop("X-Fault-Silence", None):
                    request.status = 0
                    self._silence()
                    return
                delay = headers.pop("X-Fake-Delay", None)
                if delay:
                    time.sleep(float(delay))
                truncate = (headers.pop("X-Fake-Truncate", None)
                            or headers.pop("X-Fault-Cut", None))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                if truncate:
                    self.send_header("Connection", "close")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload[: len(payload) // 2] if truncate else payload)
                if truncate:
                    self.close_connection = True

            def _reset(self) -> None:
                """Close at once with an RST, as a dropped or middlebox-killed connection."""
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.close_connection = True

            def _silence(self, longest: float = 30.0) -> None:
                """Answer nothing until the client gives up and closes (or ``longest``)."""
                select.select([self.connection], [], [], longest)
                self.close_connection = True

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.request_queue_size = 64
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
        self.faults.clear()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
