"""Loopback fake of the crossref API (being written); its pytest fixtures live here too."""

from __future__ import annotations
