"""Built-in key formatter ``bbt-default``: Better BibTeX's default formula.

BBT's default ``citekeyFormat`` is ``auth.lower + shorttitle(3,3) + year`` (BBT
``content/Preferences/preferences.yaml``, ``content/key-manager/formatter.ts``): the first
author's family name without spaces, lower-cased; the first three title words that are not skip
words, capitalised; the year. May (1999) "A concise course in algebraic topology" →
``mayConciseCourseAlgebraic1999``. Folding to ASCII and removing unsafe characters is the core's
job (``refsync.pull.keys``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from refsync.config import Settings
from refsync.hookspecs import KeyFormatter, hookimpl
from refsync.model import Creator, Reference
from refsync.model.schema import primary_creator

__all__ = ["SKIP_WORDS", "BBTDefault", "first_creator", "title_words"]

# BBT preference ``skipWords`` default (content/Preferences/preferences.yaml).
SKIP_WORDS = frozenset("""
    a ab aboard about above across after against al along amid among an and anti around as at
    before behind below beneath beside besides between beyond but by d da das de del dell dello
    dei degli della delle dem den der des despite die do down du during ein eine einem einen
    einer eines el en et except for from gli i il in inside into is l la las le les like lo los
    near nor of off on onto or over past per plus round save since so some sur than the through
    to toward towards un una unas under underneath une unlike uno unos until up upon versus via
    von while with within without yet zu zum
""".split())

_TAGS = re.compile(r"</?(?:i|b|sup|sub|span|sc)\b[^<>]*>", re.IGNORECASE)  # Zotero rich text
_WORDS = re.compile(r"[^\W_]+")


def first_creator(ref: Reference) -> Creator | None:
    """The first author (or the type's primary creator), falling back to the first editor."""
    primary = primary_creator(ref.item_type)
    editor = None
    for creator in ref.creators:
        if creator.creator_type in ("author", primary):
            return creator
        if editor is None and creator.creator_type == "editor":
            editor = creator
    return editor


def title_words(title: str, limit: int | None = None) -> list[str]:
    """Title words as BBT's ``shorttitle`` sees them: markup removed, split at anything that is
    not a letter or digit (after composing an "o" and a combining umlaut into one letter), skip
    words dropped; the first ``limit`` only, when given (a key needs three of a long title)."""
    if "<" in title:
        title = _TAGS.sub("", title)
    if not title.isascii():  # ASCII is its own NFC
        title = unicodedata.normalize("NFC", title)
    words: list[str] = []
    if limit == 0:
        return words
    for token in title.split():  # most tokens are one word: no pattern needed for them
        for word in (token,) if token.isalnum() else _WORDS.findall(token):
            if word.lower() not in SKIP_WORDS:
                words.append(word)
                if len(words) == limit:  # no need to read on to the next word
                    return words
    return words


class BBTDefault:
    """``auth.lower + shorttitle(3,3) + year``."""

    name = "bbt-default"

    def format_key(self, ref: Reference) -> str:
        creator = first_creator(ref)
        auth = "".join(creator.family.split()).lower() if creator else ""  # spaces removed
        short = "".join([w[0].upper() + w[1:] for w in title_words(ref.title, 3)])
        year = ref.issued.year
        return f"{auth}{short}{year if year is not None else ''}"


@hookimpl
def register_key_formatters(settings: Settings) -> Iterable[KeyFormatter]:
    """Offer ``bbt-default`` (the default of ``settings.citekey``)."""
    return [BBTDefault()]
