"""Helpers that know nothing of bibliographies: atomic file writes, character tables, the
collector pause. They import nothing from refsync."""
