"""The common shape of a .bib entry, read without pyparsing: the constant-factor trick behind
the reader's speed on large files.

bibtexparser 1.4 spends about 1.5 ms on an entry (pyparsing builds ~280 results for it), so a
55 MB file of 290,000 entries took eight minutes. Most entries that Zotero, Better BibTeX,
JabRef, a journal's site or a hand write hold ``name = {value}``, ``"value"``, ``2020`` and
``month = jan``, nothing else: those are read here, giving exactly what bibtexparser gives (the
differential test in tests/bib/test_fastpath.py holds it to that). Anything else (``#``, an
undefined macro, odd field names or keys, a field given twice, parentheses, no field at all)
returns None and goes to bibtexparser. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["common_fields"]

# pyparsing skips these four only (ParserElement.DEFAULT_WHITE_CHARS), not all of "\s"
_WS = "[ \t\n\r]*"
_NAME = re.compile(f"{_WS}([A-Za-z][A-Za-z0-9_-]*){_WS}={_WS}")
_INTEGER = re.compile(r"[0-9]+")
_MACRO = re.compile(r"[A-Za-z][A-Za-z0-9_:-]*")  # a string name as bibtexparser reads one
_AFTER_VALUE = re.compile(f"{_WS}(,?){_WS}")
_SPACE = re.compile(_WS)
_BRACE = re.compile(r"[{}]")
_KEY_SPACE = re.compile(r"\s")


def common_fields(text: str, macros: Mapping[str, str]) -> dict[str, str] | None:
    """The fields of ``@type{key, …}`` (lower-case names) as bibtexparser
    returns them with ``interpolate_strings``, or None when the entry is not of the common shape.

    :param macros: bibtexparser's defined strings, by lower-case name.
    """
    if not text.endswith("}") or "{" not in text:
        return None
    opening = text.index("{")
    kind, comma = text[1:opening], text.find(",", opening)
    key = text[opening + 1:comma].strip(" \t\n\r") if comma > 0 else ""
    if not (kind.isascii() and kind.isalpha()) or not key or _KEY_SPACE.search(key):
        return None  # bibtexparser reads neither
    fields: dict[str, str] = {}
    pos, end = comma + 1, len(text) - 1  # the entry's own closing brace
    pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]  # always matches
    while True:
        if pos == end:
            return fields or None  # bibtexparser rejects an entry without fields
        name = _NAME.match(text, pos)
        if name is None:
            return None
        pos = name.end()
        if text.startswith("{", pos):
            close = _matching_brace(text, pos, end)
            if close is None:
                return None
            value = _lines_stripped(text[pos + 1:close])
            pos = close + 1
        elif text.startswith('"', pos):
            close = _closing_quote(text, pos + 1, end)
            if close is None:
                return None
            value = _lines_stripped(text[pos + 1:close])
            pos = close + 1
        elif number := _INTEGER.match(text, pos):
            value, pos = number.group(), number.end()
        elif macro := _MACRO.match(text, pos):
            found = macros.get(macro.group().lower())
            if found is None:
                return None
            value, pos = found, macro.end()
        else:
            return None
        after = _AFTER_VALUE.match(text, pos)
        if after is None or (not after.group(1) and after.end() != end):
            return None  # "#", a quote, or anything but a comma or the end after a value
        field = name.group(1).lower()
        if field in fields:  # which one bibtexparser keeps depends on how each is spelt
            return None
        fields[field] = "" if value == "{}" else value
        pos = after.end()


def _matching_brace(text: str, start: int, end: int) -> int | None:
    """The index of the brace closing the one at ``start``, before ``end``; None if none."""
    depth = 0
    for m in _BRACE.finditer(text, start, end):
        depth += 1 if m.group() == "{" else -1
        if depth == 0:
            return m.start()
    return None


_QUOTE_OR_BRACE = re.compile(r'["{}]')


def _closing_quote(text: str, start: int, end: int) -> int | None:
    """The index of the quote closing a value opened just before ``start``: the first one
    outside braces (braces inside must balance); None if none."""
    depth = 0
    for m in _QUOTE_OR_BRACE.finditer(text, start, end):
        token = m.group()
        if token == '"' and depth == 0:
            return m.start()
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth < 0:
                return None
    return None


def _lines_stripped(inner: str) -> str:
    """A braced value as bibtexparser cleans it: split at every line boundary
    :meth:`str.splitlines` knows, lines after the first stripped on the left, joined by
    ``\\n`` (so a trailing line break goes too)."""
    lines = inner.splitlines()
    if len(lines) <= 1:  # most values
        return lines[0] if lines else ""
    return "\n".join([lines[0], *(line.lstrip() for line in lines[1:])])
