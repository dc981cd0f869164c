"""Placeholder built-in plugin 'citekeys' (being written)."""

from __future__ import annotations
