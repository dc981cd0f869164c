"""Placeholder built-in plugin 'jsonformats' (being written)."""

from __future__ import annotations
