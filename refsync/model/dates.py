"""Partial dates: a year, perhaps a month, perhaps a day, as bibliographic data gives them.

Pure: no I/O, no third-party imports.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

__all__ = ["PartialDate", "parse_date"]


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date that may lack its month or day (Crossref date-parts, Zotero's free-form date)."""

    year: int | None = None
    month: int | None = None
    day: int | None = None

    @classmethod
    def checked(cls, year: int | None, month: int | None, day: int | None) -> PartialDate:
        """The date as far as its parts make sense: a month outside 1–12 drops the month and
        the day, a day outside 1–31 (or without a month) drops the day."""
        if month is not None and not 1 <= month <= 12:
            month, day = None, None
        if day is not None and not 1 <= day <= 31:
            day = None
        return cls(year, month, day if month else None)

    def iso(self) -> str:
        """EDTF/ISO form with as much precision as known: ``2017``, ``2017-02``, ``2017-02-09``."""
        if self.year is None:
            return ""
        parts = [f"{self.year:04d}"]
        if self.month:
            parts.append(f"{self.month:02d}")
            if self.day:
                parts.append(f"{self.day:02d}")
        return "-".join(parts)


_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}
_ISO = re.compile(r"^\s*(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?(?:[T\s].*)?$")
_MONTH_YEAR = re.compile(r"^\s*(\d{1,2})/(\d{4})\s*$")
_DMY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_DAY = re.compile(r"(?<!\d)(\d{1,2})(?!\d)")
_LETTERS = re.compile(r"[A-Za-z]+")


@functools.lru_cache(maxsize=1 << 14)
def parse_date(text: str) -> PartialDate:
    """Read the date forms found in Zotero data (``2017-02-09``, ``02/2017``, ``March 5, 2012``).

    Ambiguous numeric forms are read the way Zotero's own ``strToDate`` does (month first).
    Cached: a library holds few distinct date strings, and keys, writers and matchers each
    ask for every record's date.
    """
    if not text:
        return PartialDate()
    if m := _ISO.match(text):
        y, mo, d = (int(g) if g else None for g in m.groups())
        return PartialDate.checked(y, mo, d)
    if m := _MONTH_YEAR.match(text):
        return PartialDate.checked(int(m.group(2)), int(m.group(1)), None)
    if m := _DMY.match(text):
        return PartialDate.checked(int(m.group(3)), int(m.group(1)), int(m.group(2)))
    year_match = _YEAR.search(text)
    if not year_match:
        return PartialDate()
    month = next((n for w in _LETTERS.findall(text) if (n := _MONTHS.get(w.lower()))), None)
    day_match = _DAY.search(text.replace(year_match.group(1), " "))
    day = int(day_match.group(1)) if (month and day_match) else None
    return PartialDate.checked(int(year_match.group(1)), month, day)
