"""A :meth:`str.translate` table that works out each character's replacement the first time
it meets it: how refsync rewrites text character by character (LaTeX encoding, URL escaping,
folding letters to ASCII) at C speed without listing all of Unicode up front.
Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

__all__ = ["SPELLED_OUT", "LazyTable", "shown_controls", "spell_out", "without_controls"]


class LazyTable:
    """A :meth:`str.translate` table that works out a character's replacement the first time
    it is seen, so the translating itself runs in C.

    The table is an exact dict holding every character seen so far, not a dict subclass with
    ``__missing__``, which ``str.translate`` would call back into for every character (figures
    in bench/README.md).
    """

    def __init__(self, replace: Callable[[str], str]) -> None:
        self._replace = replace
        self._table: dict[int, str] = {}
        self._seen: set[str] = set()
        self._learn(map(chr, range(128)))  # ASCII: all of it, so ASCII text needs no check

    def _learn(self, chars: Iterable[str]) -> None:
        for ch in chars:
            self._table[ord(ch)] = self._replace(ch)
            self._seen.add(ch)

    def translate(self, text: str) -> str:
        if not text.isascii() and not self._seen.issuperset(text):
            self._learn(set(text).difference(self._seen))
        return text.translate(self._table)


#: Letters Unicode gives no decomposition into ASCII (letters of their own, not accented ones),
#: as transliteration spells them; NFKD then takes care of the accented ones. The one table for
#: citation keys (``refsync.pull.keys.fold_ascii``) and title matching.
SPELLED_OUT = {
    "ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
    "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th",
    "ı": "i", "ħ": "h", "Ħ": "H", "ŋ": "ng", "Ŋ": "NG", "ĸ": "q", "ſ": "s",
}
_SPELL_OUT = LazyTable(lambda ch: SPELLED_OUT.get(ch, ch))
#: ``text`` with each letter of :data:`SPELLED_OUT` spelled out, everything else as it is
spell_out = _SPELL_OUT.translate


# C0 and C1 control characters: text from files and servers can carry them (NUL, ESC opening a
# terminal escape sequence, CSI), and no field value or message means them
_C0_C1 = [*range(0x20), 0x7F, *range(0x80, 0xA0)]
_LAYOUT = {0x09: None, 0x0A: None, 0x0D: None}  # tab, line feed, carriage return: kept
# dropped, but vertical tab and form feed separate words as the whitespace they are
_DROP_CONTROLS = {c: "" for c in _C0_C1 if c not in _LAYOUT} | {0x0B: " ", 0x0C: " "}
_SHOW_CONTROLS = {c: f"\\x{c:02x}" for c in _C0_C1 if c != 0x09}
_ANY_CONTROL = re.compile("[" + "".join(map(chr, _C0_C1)).replace("\\", "\\\\") + "]")


def without_controls(text: str) -> str:
    """``text`` without control characters, but for tabs and line breaks: what a field read
    from a file keeps."""
    return text.translate(_DROP_CONTROLS) if _ANY_CONTROL.search(text) else text


def shown_controls(text: str) -> str:
    """``text`` with every control character but tab written as ``\\xNN``: a message for the
    terminal, which must stay one line and must not be told to do anything."""
    return text.translate(_SHOW_CONTROLS) if _ANY_CONTROL.search(text) else text
