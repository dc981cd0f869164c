"""Placeholder built-in plugin 'crossref' (being written)."""

from __future__ import annotations
