"""Loopback fakes of the remote services, speaking real HTTP on 127.0.0.1."""
