"""Loopback fake of the zotero API (being written); its pytest fixtures live here too."""

from __future__ import annotations
