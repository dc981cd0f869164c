"""Built-in exporters ``bibtex`` and ``biblatex``: one writer, two dialects.

Output is deterministic (same records → same bytes): entries in the mapping's order, fields in
:data:`FIELD_ORDER`, ``  name = {value}`` lines, LF endings and a final newline, so a .bib under
version control only changes where the library changed. Every value passes through
:mod:`refsync.bib.latex`, which keeps untrusted metadata from becoming LaTeX code; each rendered
value is checked against :func:`refsync.bib.safety.safety_problems` before it is written.

Dialect differences follow Better BibTeX (``translators/bibtex/reference.ts``): BibTeX writes
``year`` + bare ``month`` macros, ``journal``, ``address``, ``school``; BibLaTeX writes an EDTF
``date``, ``journaltitle``, ``location``, ``institution``, ``langid``, ``urldate`` and
``abstract``. Abstracts are left out of BibTeX output on purpose: no standard BibTeX style
prints them and they are the longest, least clean field (JATS, stray ``%``). Titles keep the
case they have in Zotero (sentence case by Zotero's convention) with BBT-style ``{{…}}``
protection of proper nouns and acronyms; unlike BBT, refsync does not title-case English titles,
so a style that lower-cases titles prints them right and the .bib stays close to the library.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping

from refsync.bib.latex import escape, greek_as_tex, verbatim
from refsync.bib.richtext import rich_text
from refsync.bib.safety import SafetyCheck, UnsafeValueError
from refsync.bib.vocabulary import ENTRY_TYPES, KEY_CHARACTERS, LANGIDS
from refsync.config import Settings
from refsync.hookspecs import Exporter, hookimpl
from refsync.model import Reference, parse_date
from refsync.model.schema import base_fields, primary_creator
from refsync.util.charmap import LazyTable
from refsync.util.patterns import RUN_START

__all__ = ["BibExporter", "render_entries", "render_entry"]

_ARTICLES = {"journalArticle", "magazineArticle", "newspaperArticle"}
_CONTAINED = {"bookSection", "conferencePaper", "encyclopediaArticle", "dictionaryEntry"}

FIELD_ORDER = (
    "title", "shorttitle", "author", "bookauthor", "editor", "translator", "booktitle",
    "eventtitle", "journal", "journaltitle", "entrysubtype", "titleaddon", "howpublished",
    "series", "edition", "volume", "number", "pages", "type", "school", "institution",
    "organization", "publisher", "address", "location", "year", "month", "date", "eprint",
    "eprinttype", "archiveprefix", "isbn", "issn", "doi", "url", "urldate", "langid", "abstract",
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_KEY = re.compile(f"[{KEY_CHARACTERS}]+")  # what refsync.pull.keys.sanitize_key lets through
_DASHES = re.compile(RUN_START + r"\s*[-\u2010-\u2015\u2212]+\s*")
_AND = re.compile(r"\sand\s", re.IGNORECASE)
_SIMPLE_PAGES = re.compile(r"[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?")  # "123-145", "e17": nothing to escape
_MASTERS = re.compile(r"master|\bm\.?\s?(?:a|sc|s|phil)\b|mathesis", re.IGNORECASE)
_DOCTORAL = re.compile(r"ph\.?\s?d|doctor|diss", re.IGNORECASE)
_ARXIV = re.compile(r"\s*arxiv:\s*(\S+)\s*", re.IGNORECASE)


def _thesis_kind(thesis_type: str) -> str:
    """``mathesis``, ``phdthesis`` (biblatex's localisation keys) or ``""`` when unrecognised;
    Zotero's thesisType is free text ("PhD diss.", "Master's thesis", BBT#3296, BBT#307)."""
    if _MASTERS.search(thesis_type):
        return "mathesis"
    return "phdthesis" if _DOCTORAL.search(thesis_type) else ""


def render_entry(key: str, ref: Reference, *, dialect: str = "bibtex") -> str:
    """One ``@type{key, …}`` entry (no trailing newline).

    :raises ValueError: when the key could break the file, or a value fails the safety check
        (which escaping makes impossible; the check guards against regressions).
    """
    return render_entries({key: ref}, dialect=dialect)[key]


def render_entries(entries: Mapping[str, Reference], *, dialect: str = "bibtex"
                   ) -> dict[str, str]:
    """Entries by key, as :func:`render_entry` renders each, every value checked for safety.

    :raises ValueError: as :func:`render_entry`, naming the first entry and field at fault.
    """
    if dialect not in ("bibtex", "biblatex"):
        raise ValueError(f"unknown dialect {dialect!r} (bibtex or biblatex)")
    biblatex = dialect == "biblatex"
    rendered: dict[str, str] = {}
    check = SafetyCheck()
    try:
        for key, ref in entries.items():
            entry_type, fields = _entry(key, ref, biblatex)
            present = {name: greek_as_tex(value, words=not biblatex)
                       for name, value in fields.items() if value}
            check.add(present.values())
            lines = [f"  {name} = {{{value}}}" if name != "month" else f"  {name} = {value}"
                     for name, value in present.items()]
            rendered[key] = f"@{entry_type}{{{key},\n" + ",\n".join(lines) + "\n}"
        check.finish()
    except UnsafeValueError as unsafe:
        key, name = _field_at(entries, biblatex, unsafe.position)
        raise ValueError(f"{key}: field {name} is unsafe ({', '.join(unsafe.problems)})"
                         ) from None
    return rendered


def _entry(key: str, ref: Reference, biblatex: bool) -> tuple[str, dict[str, str]]:
    """The entry type and every field (empty ones included, in FIELD_ORDER)."""
    if not _KEY.fullmatch(key):
        raise ValueError(f"citation key {key!r} is empty or holds characters unsafe in LaTeX")
    f = base_fields(ref)
    entry_type = ENTRY_TYPES.get(ref.item_type, ("misc", "misc"))[biblatex]
    if entry_type == "phdthesis" and _thesis_kind(f.get("type", "")) == "mathesis":
        entry_type = "mastersthesis"
    return entry_type, _fields(ref, f, biblatex)


def _field_at(entries: Mapping[str, Reference], biblatex: bool, position: int
              ) -> tuple[str, str]:
    """The key and field name of the ``position``-th non-empty value rendered."""
    for key, ref in entries.items():
        present = [name for name, value in _entry(key, ref, biblatex)[1].items() if value]
        if position < len(present):
            return key, present[position]
        position -= len(present)
    raise AssertionError("position past the last value")  # pragma: no cover


# every field, empty, in FIELD_ORDER: an entry's fields are set in a copy of it, so they come
# out in that order without sorting (setting a key a dict has keeps its place)
_EMPTY_ENTRY = dict.fromkeys(FIELD_ORDER, "")


def _fields(ref: Reference, f: dict[str, str], biblatex: bool) -> dict[str, str]:
    """Every field the entry may have, by BibTeX name and in FIELD_ORDER; empty values are left
    out later."""
    kind = ref.item_type
    out = _EMPTY_ENTRY.copy()
    _creators(out, ref, biblatex)
    out["title"] = rich_text(f.get("title", ""), protect=True)
    container = f.get("publicationTitle", "")
    if kind in _ARTICLES or (kind == "encyclopediaArticle" and not biblatex):
        out["journaltitle" if biblatex else "journal"] = _container(container, False)
    elif kind in _CONTAINED:  # a paper without proceedings title is cited by its conference
        out["booktitle"] = _container(container or f.get("conferenceName", ""), True)
    elif biblatex:
        out["titleaddon"] = _container(container, False)
    elif ENTRY_TYPES.get(kind, ("misc", "misc"))[0] == "misc":
        # @misc has no publisher in the standard styles; BBT puts it in howpublished too
        out["howpublished"] = _container(container or f.pop("publisher", ""), False)
    out["series"] = escape(f.get("series") or f.get("seriesTitle", ""))
    out["edition"] = escape(f.get("edition", ""))
    out["volume"] = escape(f.get("volume", ""))
    number = f.get("issue") or f.get("seriesNumber") or f.get("number", "")
    if kind == "preprint" and (arxiv := _ARXIV.fullmatch(number)):
        out["eprint"] = escape(arxiv.group(1))
        out["eprinttype" if biblatex else "archiveprefix"] = "arXiv"
    else:
        out["number"] = escape(number)
    if pages := f.get("pages", ""):
        out["pages"] = (pages.replace("-", "--") if _SIMPLE_PAGES.fullmatch(pages)
                        else escape(_DASHES.sub("--", pages)))
    kind_of_thesis = _thesis_kind(f.get("type", "")) if kind == "thesis" else ""
    if kind_of_thesis:  # BibTeX says it with the entry type; a type field would override it
        out["type"] = kind_of_thesis if biblatex else ""
    else:
        out["type"] = escape(f.get("type", ""))
    _publisher(out, f, kind, biblatex)
    out.update(_date(f.get("date", ""), biblatex))
    out["isbn"] = escape(f.get("ISBN", ""))
    out["issn"] = escape(f.get("ISSN", ""))
    out["doi"] = verbatim(f.get("DOI", ""), bibtex=not biblatex)
    out["url"] = verbatim(f.get("url", ""), bibtex=not biblatex)
    if biblatex:
        out["shorttitle"] = rich_text(f.get("shortTitle", ""), protect=True)
        out["eventtitle"] = _container(f.get("conferenceName") or f.get("meetingName", ""), False)
        if kind in ("magazineArticle", "newspaperArticle"):
            out["entrysubtype"] = kind.removesuffix("Article")
        out["urldate"] = parse_date(f.get("accessDate", "")).iso()
        out["langid"] = LANGIDS.get(f.get("language", "").strip().lower(), "")
        out["abstract"] = rich_text(f.get("abstractNote", ""))
    return out


@functools.lru_cache(maxsize=1 << 12)
def _container(name: str, protect: bool) -> str:
    """A journal, book or conference name: cached, as a library cites the same few hundred."""
    return rich_text(name, protect=protect)


def _publisher(out: dict[str, str], f: Mapping[str, str], kind: str, biblatex: bool) -> None:
    """Publisher, place and issuing body. In BibLaTeX these are *lists* split at ``and``, so
    each value is one brace group (as BBT writes them)."""

    def wrap(text: str) -> str:
        value = escape(text)
        return "{" + value + "}" if biblatex and value else value

    publisher = wrap(f.get("publisher", ""))
    if kind == "thesis":
        out["institution" if biblatex else "school"] = publisher
    elif kind == "report":
        out["institution"] = publisher
    else:
        out["publisher"] = publisher
    out["organization"] = wrap(f.get("authority", ""))
    out["location" if biblatex else "address"] = wrap(f.get("place", ""))


@functools.lru_cache(maxsize=1 << 12)
def _date(text: str, biblatex: bool) -> tuple[tuple[str, str], ...]:
    """BibLaTeX: EDTF (``2017-02-09``; an EDTF interval ``a/b`` is kept as one).
    BibTeX: ``year`` and the month *macro* (``jan``), which styles localise.
    Cached: a library holds few distinct date strings."""
    if biblatex:
        return (("date", _edtf(text)),)
    date = parse_date(text)
    month = _MONTHS[date.month - 1] if date.month else ""
    return (("year", str(date.year or "")), ("month", month))


_RANGE = re.compile(r"^(.*?\S)\s*[-\u2013\u2014]\s*(\S.*)$")
_ISO_DATE = re.compile(r"^\s*\d{4}-\d{1,2}(?:-\d{1,2})?(?:[T\s].*)?$")
_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")


def _edtf(text: str) -> str:
    """An EDTF date or interval. Zotero keeps conference dates as typed ("June 18–23, 2017",
    "29 June-1 July 2011"); each end borrows the year and month it lacks from the other, as
    BBT's date-range fixtures (BBT#746, #747) expect."""
    single = parse_date(text).iso()
    if _ISO_DATE.match(text):
        return single
    if "/" in text:
        left, _, right = text.partition("/")
    elif m := _RANGE.match(text):
        left, right = m.groups()
    else:
        return single
    months = [w for w in re.findall(r"[A-Za-z]+", text) if parse_date(f"{w} 2000").month]
    start = parse_date(_borrow(left, right, months))
    end = parse_date(_borrow(right, left, months))
    if start.year and end.year and start.iso() < end.iso():
        return f"{start.iso()}/{end.iso()}"
    return single


def _borrow(part: str, other: str, months: list[str]) -> str:
    if not _YEAR.search(part) and (year := _YEAR.search(other)):
        part += " " + year.group(0)
    if months and not any(m in part for m in months):
        part += " " + months[0]
    return part


# creator type → field, beyond the item type's primary creator (which is always ``author``)
_CREATOR_FIELDS = ({"author": "author", "editor": "editor"},
                   {"author": "author", "editor": "editor", "bookAuthor": "bookauthor",
                    "translator": "translator"})


def _creators(out: dict[str, str], ref: Reference, biblatex: bool) -> None:
    """Set ``author``, ``editor`` … in ``out`` as BibTeX name lists, in the creators' order."""
    primary = primary_creator(ref.item_type)
    fields = _CREATOR_FIELDS[biblatex]
    names: dict[str, list[str]] = {}
    for creator in ref.creators:
        kind = creator.creator_type
        field = "author" if kind == primary else fields.get(kind)
        if field and (name := _name(creator.last, creator.first, creator.name)):
            names.setdefault(field, []).append(name)
    for field, group in names.items():
        out[field] = " and ".join(group)


_SUFFIX = re.compile(r",!?\s*")  # "Martin Luther, Jr." ("!": citeproc's no-comma mark)
# a lower-case name word ("de", "van", "d'", "dell'"), as BibTeX's "von" part holds them
_PARTICLE = re.compile(r"[a-z\u00e0-\u00ff]+(?:['\u2019-][a-z\u00e0-\u00ff]+)*['\u2019-]?")


def _particles(first: str) -> tuple[str, str]:
    """``first`` split before its trailing lower-case words ("Jean de la" → "Jean", "de la"),
    the longest such tail after at least one word; the tail is empty when there is none.
    Word by word from the end: a regular expression with a lazy head tried every split."""
    words = first.split(" ")
    start = len(words)
    while start > 1 and _PARTICLE.fullmatch(words[start - 1]):
        start -= 1
    return " ".join(words[:start]), " ".join(words[start:])


@functools.lru_cache(maxsize=1 << 16)
def _name(last: str, first: str, name: str) -> str:
    """A :class:`Creator`'s ``Last, First`` or, with a suffix, BibTeX's ``Last, Jr, First``.

    Cached: the same people recur throughout a library (co-authors, an author's own papers).
    Keyed by the name's strings, not the Creator: equal Creators of different items would be
    compared by the dataclass's ``__eq__``, in Python, on every hit.

    Single-field names become one brace group; so does a name part in double quotes (Zotero's
    "keep together" mark) or one holding a comma or the word ``and`` (BibTeX splits there). A
    name that would hold more than two commas in all is written "First {Last, Jr}" (biber).
    Lower-case particles at the end of a first name ("Jean de") move before the last name,
    where BibTeX and biber look for the "von" part (BBT#313 fixtures).
    """
    if last.isalpha() and first.isalpha():  # one word each (most names): nothing to look for
        return escape(last) + ", " + escape(first)
    if not last:  # a single-field name (or only a first name)
        whole = escape(_visible(name or first, keep="&").lstrip("&"))
        return "{" + whole + "}" if whole else ""
    first, jr, last = _visible(first), "", _visible(last)
    if "," in first:
        first, _, jr = _SUFFIX.sub(",", first, count=1).partition(",")
        first, jr = first.strip(), jr.strip()
    # a particle follows a space; _visible left single spaces only
    if " " in first:
        given, particles = _particles(first)
        if particles and any(c.isupper() for c in given):
            first, last = given, f"{particles} {last}"
    if not first and not jr and " " in last:
        # a last name alone ("Doe Inc.", an organisation typed into the two-field form): BibTeX
        # would read "Doe" as a first name, so the whole name is one brace group
        return "{" + escape(last.strip('"')) + "}"
    parts = [p for p in (last, jr, first) if p]
    if sum(p.count(",") for p in parts) + len(parts) - 1 > 2:
        # biber counts every comma of a name, braced or not, and drops the entry past two ("has
        # too many commas"): "Picard, PhD, MD" or "Jr., PhD" then go in one brace group after
        # the first name, a form without commas that BibTeX and biber both read as First {Last}
        tail = "{" + ", ".join(escape(p.strip('"')) for p in (last, jr) if p) + "}"
        return f"{_name_part(first)} {tail}" if first else tail
    return ", ".join([_name_part(p) for p in parts])


_TEX_SPECIALS = "\\{}%#$^_&~"


def _invisible(keep: str) -> LazyTable:
    """A str.translate table deleting format characters (category Cf) and the TeX specials
    not in ``keep``."""
    return LazyTable(lambda c: "" if c in _TEX_SPECIALS and c not in keep
                     or unicodedata.category(c) == "Cf" else c)


_DROP = {keep: _invisible(keep) for keep in ("", "&")}


def _visible(text: str, keep: str = "") -> str:
    """A name without zero-width characters (they hide particles and suffixes from the
    patterns) and without TeX specials: biber derives initials from the *decoded* name and
    writes them to the .bbl unescaped, so a name word starting with ``%``, ``}`` or ``^``
    breaks the document however it was escaped (found by tests/builtin/test_latex_compile.py)."""
    if text.isalpha():  # most name words: no space, special or format character in a letter
        return text
    return " ".join(_DROP[keep].translate(text).split())  # re.sub(r"\s+", " ", …).strip()


def _name_part(part: str) -> str:
    if part.isalpha():  # most name parts: no quotes, comma or "and" to look for
        return escape(part)
    quoted = len(part) > 1 and part[0] == part[-1] == '"'
    value = escape(part[1:-1] if quoted else part)
    return "{" + value + "}" if quoted or "," in part or _AND.search(part) else value


class BibExporter:
    """The ``bibtex`` or ``biblatex`` exporter (suffix ``.bib``)."""

    suffix = ".bib"

    def __init__(self, dialect: str) -> None:
        self.name = dialect

    def render_entries(self, entries: Mapping[str, Reference]) -> dict[str, str]:
        """Each entry's text by key, for ``pull``'s per-entry merges."""
        return render_entries(entries, dialect=self.name)

    def export(self, entries: Mapping[str, Reference]) -> str:
        """Entries in the mapping's order, separated by a blank line, ending in a newline."""
        text = "\n\n".join(self.render_entries(entries).values())
        return text + "\n" if text else ""


@hookimpl
def register_exporters(settings: Settings) -> Iterable[Exporter]:
    """Offer ``bibtex`` and ``biblatex``."""
    return [BibExporter("bibtex"), BibExporter("biblatex")]
