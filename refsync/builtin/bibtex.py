"""Placeholder built-in plugin 'bibtex' (being written)."""

from __future__ import annotations
