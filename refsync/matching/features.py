"""A record's matching fingerprint: normalised title forms, creator keys, year, type family and
identifiers, computed once per record so that comparing two records only compares values.

Pure: no I/O. LaTeX is read by pylatexenc; titles lose markup, diacritics and punctuation.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text  # type: ignore[import-untyped]

from refsync.bib.safety import braces_nest_deeper
from refsync.model import Creator, Reference, parse_date
from refsync.model.doi import extract_dois
from refsync.model.identifiers import sourced_identifiers
from refsync.util.charmap import spell_out
from refsync.util.patterns import RUN_START

__all__ = ["Fingerprint", "PersonKey", "TitleForm", "fingerprint", "normalize_title"]

_LATEX = LatexNodes2Text()
_HTML_TAG = re.compile(r"<[^>]+>")  # only ever run up to the last ">": see _strip_tags
_NON_WORD = re.compile(r"[\W_]+")  # Unicode-aware: curly quotes and dashes count as punctuation
_BLOCKED_AUTHORS = 12  # names read for blocking and scoring; a byline's head says enough
_GIVEN_SPLIT = re.compile(r"[\s.\-]+")
_NOTES = re.compile(rf"{RUN_START}\s*(?:\([^()]*\)|\[[^\[\]]*\])")
# what a venue adds to a title to say what kind of contribution it is, not which one
_KINDS = ("tutorial", "tutorial session", "panel", "panel session", "panel abstract", "demo",
          "demo abstract", "demonstration", "demonstration description", "abstract",
          "extended abstract", "abstract only", "book review", "keynote", "invited talk",
          "poster", "short paper", "position paper", "experience paper")
_KIND = "|".join(_KINDS)
_MAY_HAVE_NOTES = frozenset("([:-.")
# the same said in words before the title ("Tutorial on storage technology", "Review of …")
_LEAD = r"(?:review of|(?:a )?tutorial on)"
_LEADING_KIND = re.compile(rf"(?i)\s*{_LEAD}\s")
_KIND_SEGMENT = re.compile(rf"(?i)^\s*(?:{_KIND})\s*[:.]\s+"
                           rf"|{RUN_START}\s+[-:]\s*(?:{_KIND})\s*$|^\s*{_LEAD}\s+")
# a title saying the record reviews a book ("X - Book Review", "Review of X", "X (book review)")
_REVIEW = re.compile(r"(?i)^\s*review of\s|[-:(]\s*book review\W*$")
_SUBTITLE = re.compile(rf"{RUN_START}\s*(?:[:?!.]|\s[-\u2013\u2014]{{1,2}})\s+")
_GENERIC = frozenset({
    "editorial", "guest editorial", "editors note", "introduction", "preface", "foreword",
    "index", "author index", "subject index", "book review", "book reviews", "reply",
    "response", "erratum", "errata", "corrigendum", "correction", "retraction", "comment",
    "commentary", "discussion", "letter to the editor", "letters to the editor", "contents",
    "table of contents", "front matter", "back matter", "acknowledgments", "acknowledgements",
    "obituary", "in memoriam", "news", "announcements", "abstracts", "conclusion",
    "conclusions", "summary", "overview", "reviewers", "introduction to the special issue",
})
_NOTICE_WORDS = frozenset({"erratum", "errata", "corrigendum", "correction", "retraction",
                           "retracted", "reply", "rejoinder", "addendum"})
# numbers, Roman numerals past "i", "v", "x" (which are also letters), and any "part …"
_NUMBERS = re.compile(r"\d+|\b(?:ii|iii|iv|vi|vii|viii|ix|xi|xii|(?:part|vol|volume|no) \w+)\b")
_FAMILIES = {"journalArticle": "article", "magazineArticle": "article",
             "newspaperArticle": "article", "conferencePaper": "article",
             "bookSection": "chapter", "encyclopediaArticle": "chapter",
             "dictionaryEntry": "chapter", "blogPost": "webpage", "forumPost": "webpage"}
_CONTAINERS = ("publicationTitle", "proceedingsTitle", "bookTitle", "conferenceName")


def normalize_title(text: str) -> str:
    """Title text reduced to lower-case ASCII-folded words: LaTeX and HTML markup, diacritics and
    all punctuation (ASCII or not) removed, so ``{\\"u}ber`` and ``Über`` compare equal."""
    # pylatexenc recurses once per brace level: a title nested deeper than any real one is
    # compared with its commands left in
    if ("\\" in text or "$" in text) and not braces_nest_deeper(text):
        text = _LATEX.latex_to_text(text)
    if "<" in text or "&" in text:
        text = html.unescape(_strip_tags(text))
    text = text.replace("{", "").replace("}", "")
    if not text.isascii():
        text = unicodedata.normalize("NFKD", spell_out(text))
        text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


def _strip_tags(text: str) -> str:
    """Each HTML tag replaced by a space. A "<" with no ">" after it opens no tag, and the pattern
    would scan the rest of the text from each such "<" (quadratic on "a<" repeated): the text
    after the last ">" is kept as it is, which is exactly what the substitution would leave."""
    end = text.rfind(">") + 1
    return _HTML_TAG.sub(" ", text[:end]) + text[end:]


#: last name without spaces, its final word, the initials of the given names ("" when unknown),
#: and whether a letter was unreadable
PersonKey = tuple[str, str, str, bool]


@dataclass(slots=True)  # never mutated; not frozen: bench/README.md
class TitleForm:
    """One form of a title (full, without subtitle, without notes), normalised and split."""

    text: str
    tokens: tuple[str, ...]
    generic: bool

    @property
    def numbers(self) -> frozenset[str]:
        """Numbers, numerals and "part …" labels: where series members differ."""
        return _numbers(self.text)


@dataclass(slots=True)
class Fingerprint:
    """What matching compares for one record; built once, then only read.

    What only a scored pair needs (creator keys, notice words) is worked out on first use:
    most records of a large library are blocked away and never scored.
    """

    ref: Reference
    ids: dict[str, set[str]]
    title: TitleForm
    main: TitleForm | None  # the title before its subtitle, when it has one
    bare: TitleForm | None  # the title without notes ("(extended abstract)", "Tutorial: ")
    people: tuple[Creator, ...]  # authors, or editors when there are none
    first_author: str  # final word of the first author's last name, for blocking
    least_author: str  # the same for the alphabetically first author, whatever the order
    year: int | None
    family: str
    container: str
    related: frozenset[str]  # DOIs of linked preprints / published versions
    scraped: frozenset[str]  # identifier schemes read from Extra or the URL, not a field
    review: bool  # the title says the record reviews a book, whose authors it may list
    _authors: tuple[PersonKey, ...] | None = None

    @property
    def authors(self) -> tuple[PersonKey, ...]:
        if self._authors is None:
            self._authors = tuple(
                key for p in self.people[:_BLOCKED_AUTHORS] if (key := _person(p.family, p.first)))
        return self._authors

    @property
    def name_words(self) -> frozenset[str]:
        """Every word of the creators' names, to recognise names leaked into a title."""
        return frozenset(word for p in self.people for word in
                         _cached_normalize(f"{p.family} {p.first}").split())

    @property
    def notices(self) -> frozenset[str]:
        """Words that make a title a notice about another work ("Erratum", "Reply")."""
        return frozenset(self.title.tokens) & _NOTICE_WORDS


def _title(text: str) -> TitleForm:
    return TitleForm(text, tuple(text.split()), text in _GENERIC)


@lru_cache(maxsize=1 << 12)
def _numbers(text: str) -> frozenset[str]:
    return frozenset(_NUMBERS.findall(text))


def _person(family: str, first: str) -> PersonKey | None:
    last = _cached_normalize(family)
    if not last:
        return None
    blurred = "?" in family or "\ufffd" in family
    return last.replace(" ", ""), last.rsplit(" ", 1)[-1], _initials(first), blurred


@lru_cache(maxsize=1 << 14)
def _initials(first: str) -> str:
    """One letter per given name, hyphenated parts included ("Jean-Pierre", "J.-P." → "jp"),
    so a middle name used as the first ("J. Robert" / "Robert") can still be recognised.
    A mojibake first letter ("?ystein" for Øystein) leaves the initials unknown."""
    if first[:1] in ("?", "\ufffd"):
        return ""
    return "".join(letter[:1] for word in _GIVEN_SPLIT.split(first)
                   if word and (letter := normalize_title(word)))


# surnames and journal names repeat across a library, and normalising is the slow part
_cached_normalize = lru_cache(maxsize=1 << 16)(normalize_title)


def _year(date: str) -> int | None:
    """The year of a stored date; the ISO shape Zotero stores is read without a full parse."""
    head = date[:4]
    if head.isdigit() and date[4:5] in ("", "-"):
        return int(head)
    return parse_date(date).year


def _variant(raw: str, full: TitleForm) -> TitleForm | None:
    variant = _title(normalize_title(raw))
    return variant if variant.tokens and variant.text != full.text else None


def fingerprint(ref: Reference, ids: dict[str, set[str]] | None = None) -> Fingerprint:
    """Everything matching needs from ``ref``; ``ids`` defaults to the record's own
    (:func:`refsync.model.identifiers.sourced_identifiers`)."""
    ids, scraped = sourced_identifiers(ref) if ids is None else (ids, frozenset())
    raw = ref.title
    full = _title(normalize_title(raw))
    head = _SUBTITLE.split(raw, maxsplit=1)
    main = _variant(head[0], full) if len(head) == 2 else None
    noted = _MAY_HAVE_NOTES & set(raw) or _LEADING_KIND.match(raw)
    plain = _KIND_SEGMENT.sub(" ", _NOTES.sub(" ", raw)) if noted else raw
    bare = _variant(plain, full) if plain != raw else None
    people = ref.creators_of("author") or ref.creators_of("editor") or ref.creators
    first = _cached_normalize(people[0].family) if people else ""
    # ordered by the name as typed: normalising every author of 100k records costs 10 %
    least = min(people[:_BLOCKED_AUTHORS], key=lambda p: p.family.casefold()) if people else None
    least_name = _cached_normalize(least.family) if least else ""
    related = frozenset(doi for kind, dois in ref.relations.items() if "preprint" in kind
                        for doi in extract_dois(" ".join(dois)))
    container = next((ref.get(name) for name in _CONTAINERS if ref.get(name)), "")
    return Fingerprint(
        ref=ref, ids=ids, title=full, main=main, bare=bare,
        people=people, first_author=first.rsplit(" ", 1)[-1],
        least_author=least_name.rsplit(" ", 1)[-1],
        year=_year(ref.get("date")), family=_FAMILIES.get(ref.item_type, ref.item_type),
        container=_cached_normalize(container) if container else "", related=related,
        scraped=scraped, review="eview" in raw and _REVIEW.search(raw) is not None,
    )
