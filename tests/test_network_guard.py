from __future__ import annotations

import socket

import pytest


def test_connection_outside_loopback_fails_the_test() -> None:
    with socket.socket() as s, pytest.raises(AssertionError, match="outside loopback"):
        s.connect(("192.0.2.1", 80))
