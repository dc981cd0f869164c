"""Placeholder built-in plugin 'matchers' (being written)."""

from __future__ import annotations
