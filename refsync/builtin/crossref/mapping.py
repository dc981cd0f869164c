"""A Crossref work (the ``message`` of ``/works/{doi}``) as a refsync Reference in Zotero's schema.

Rules follow the Zotero translator "Crossref REST" (zotero/translators ``Crossref REST.js``),
with the deviations noted where they happen. Pure: standard library only, no habanero, no I/O.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from html.parser import HTMLParser
from typing import Any

from refsync.model import Creator, PartialDate, Reference
from refsync.model.schema import CREATOR_TYPES, ITEM_FIELDS
from refsync.util.patterns import RUN_START

__all__ = ["clean_abstract", "clean_title", "item_type_of", "work_to_reference"]

Work = Mapping[str, Any]

# -- tables ---------------------------------------------------------------------------------

#: Crossref ``type`` → Zotero item type (the translator's type map); ``posted-content`` and
#: ``other`` depend on more than the type and are decided in :func:`item_type_of`; the rest
#: is ``document``
ITEM_TYPES = {
    **dict.fromkeys(("journal-article", "journal", "journal-volume", "journal-issue"),
                    "journalArticle"),
    **dict.fromkeys(("report", "report-series", "report-component"), "report"),
    **dict.fromkeys(("book", "book-series", "book-set", "book-track", "monograph",
                     "reference-book", "edited-book"), "book"),
    **dict.fromkeys(("book-chapter", "book-part", "book-section", "reference-entry"),
                    "bookSection"),
    **dict.fromkeys(("proceedings-article", "proceedings", "proceedings-series"),
                    "conferencePaper"),
    **dict.fromkeys(("dataset", "database"), "dataset"),
    "standard": "standard",
    "dissertation": "thesis",
    "peer-review": "manuscript",
}

#: the field each item type files ``container-title[0]`` under (generic names, see _BASE)
CONTAINER_FIELD = {
    "journalArticle": "publicationTitle",
    "bookSection": "publicationTitle",
    "conferencePaper": "publicationTitle",
    "report": "seriesTitle",
    "book": "series",
}

#: generic (base) field → the item type's own name for it; Zotero's API accepts only the
#: type-specific name (zotero/zotero-schema ``schema.json`` v41, ``baseField``)
_BASE = {
    "bookSection": {"publicationTitle": "bookTitle"},
    "conferencePaper": {"publicationTitle": "proceedingsTitle"},
    "blogPost": {"publicationTitle": "blogTitle", "type": "websiteType"},
    "thesis": {"publisher": "university", "type": "thesisType"},
    "report": {"publisher": "institution", "type": "reportType", "number": "reportNumber"},
    "preprint": {"publisher": "repository", "type": "genre", "number": "archiveID"},
    "manuscript": {"publisher": "institution", "type": "manuscriptType"},
    "dataset": {"publisher": "repository", "place": "repositoryLocation", "number": "identifier"},
}

#: Crossref contributor list → creator role, in the order creators are listed; the translator
#: turns ``chair`` into ``contributor``. Book-chapter authors stay ``author`` on purpose: the
#: translator makes them ``bookAuthor`` (``Crossref REST.js``), which BibTeX exporters would then
#: write as the book's author and leave the chapter authorless.
ROLES = (("author", "author"), ("editor", "editor"), ("translator", "translator"),
         ("chair", "contributor"))

#: where the publication date is looked for, first hit wins (Crossref REST API docs, work
#: dates); a thesis is dated by its approval, as the translator does
DATE_ORDER = ("published-print", "published-online", "issued", "published", "posted", "approved")
THESIS_DATE_ORDER = ("approved", *DATE_ORDER)

#: plain string fields copied as they are (Crossref name → generic Zotero name)
SCALARS = {"volume": "volume", "issue": "issue", "language": "language",
           "edition-number": "edition", "publisher": "publisher"}


# -- the mapping ----------------------------------------------------------------------------


def item_type_of(work: Work) -> str:
    """The Zotero item type for a Crossref work (as ``Crossref REST.js`` decides it)."""
    kind = str(work.get("type") or "")
    if kind == "posted-content":
        return "preprint" if work.get("subtype") == "preprint" else "blogPost"
    if kind == "other" and work.get("ISBN") and work.get("container-title"):
        return "bookSection"
    return ITEM_TYPES.get(kind, "document")


def work_to_reference(message: Work) -> Reference:
    """Map a Crossref work to a Reference whose fields Zotero's API would accept unchanged.

    :param message: the ``message`` object of a ``/works/{doi}`` response or a list item.
    """
    item_type = item_type_of(message)
    generic = {**_common_fields(message), **_container_fields(message, item_type)}
    generic.update(_TYPE_RULES.get(item_type, _no_rule)(message))
    rename = _BASE.get(item_type, {})
    valid = ITEM_FIELDS[item_type]
    fields = {rename.get(k, k): v for k, v in generic.items() if v}
    return Reference(
        item_type=item_type,
        fields={k: v for k, v in fields.items() if k in valid},
        creators=_creators(message, item_type),
        relations=_relations(_mapping(message.get("relation"))),
    )


def _common_fields(work: Work) -> dict[str, str]:
    fields = {zotero: _text(work.get(name)) for name, zotero in SCALARS.items()}
    fields.update(
        title=_title(work),
        abstractNote=clean_abstract(_text(work.get("abstract"))),
        date=_date(work, DATE_ORDER).iso(),
        DOI=_text(work.get("DOI")).lower(),
        url=_text(_mapping(_mapping(work.get("resource")).get("primary")).get("URL")),
        pages=_text(work.get("page")) or _text(work.get("article-number")),
        ISSN=", ".join(dict.fromkeys(_strings(work.get("ISSN")))),  # print, electronic
        ISBN=", ".join(dict.fromkeys(_strings(work.get("ISBN")))),
        place=_place(work),
        rights=_text(_mapping(_first(work.get("license"))).get("URL")),
        libraryCatalog="Crossref",
    )
    short_title = clean_title(_text(_first(work.get("short-title")))) or _main_title(
        fields["title"]
    )
    if short_title != fields["title"]:
        fields["shortTitle"] = short_title
    return fields


def _main_title(title: str) -> str:
    """The part before a colon, which Zotero files as the short title: the translator's
    expected items show 'Service Value Determination' for 'Service Value Determination: An
    Integrative Perspective' (zotero/translators, Crossref REST.js test cases)."""
    head, colon, _ = title.partition(":")
    return head.strip() if colon else ""


def _container_fields(work: Work, item_type: str) -> dict[str, str]:
    titles = [clean_title(t) for t in _strings(work.get("container-title"))]
    target = CONTAINER_FIELD.get(item_type)
    if not titles or target is None:
        return {}
    fields = {target: titles[0]}
    if item_type == "bookSection" and len(titles) > 1:
        # series first, then the book: what the translator's own `other` branch intends
        # before a later generic rule overwrites bookTitle (``Crossref REST.js``)
        fields.update(series=titles[0], publicationTitle=titles[1])
    abbreviation = clean_title(_text(_first(work.get("short-container-title"))))
    if abbreviation and abbreviation != titles[0]:
        fields["journalAbbreviation"] = abbreviation
    return fields


def _thesis(work: Work) -> dict[str, str]:
    degree = _drop_parentheses(_text(_first(work.get("degree")))).strip()
    return {"type": degree, "publisher": _institution(work) or _text(work.get("publisher")),
            "date": _date(work, THESIS_DATE_ORDER).iso()}


_PARENTHESES = re.compile(RUN_START + r"\s*\([^)]*\)")


def _drop_parentheses(text: str) -> str:
    """``text`` without its parenthesised parts ("PhD (Physics)" -> "PhD"). Only the text up to
    the last ")" can hold one: from each "(" after it, the pattern would scan to the end in vain
    (quadratic on a degree of many "("), so that tail is kept as it is."""
    end = text.rfind(")") + 1
    return _PARENTHESES.sub("", text[:end]) + text[end:]


def _report(work: Work) -> dict[str, str]:
    # unlike the translator (``Crossref REST.js``), keep `publisher` when there is no institution
    return {"publisher": _institution(work) or _text(work.get("publisher"))}


def _conference(work: Work) -> dict[str, str]:
    return {"conferenceName": _text(_mapping(work.get("event")).get("name"))}


def _blog_post(work: Work) -> dict[str, str]:
    return {"publicationTitle": _institution(work)}


def _peer_review(work: Work) -> dict[str, str]:
    return {"type": "peer review"}


def _no_rule(work: Work) -> dict[str, str]:
    return {}


#: item-type specific rules (``Crossref REST.js``); a preprint's repository is its publisher (the
#: base field), not ``group-title``, which names a subject section such as "Ecology"
_TYPE_RULES: dict[str, Callable[[Work], dict[str, str]]] = {
    "thesis": _thesis,
    "report": _report,
    "conferencePaper": _conference,
    "blogPost": _blog_post,
    "manuscript": _peer_review,
}


def _title(work: Work) -> str:
    title = clean_title(_text(_first(work.get("title"))))
    subtitle = clean_title(_text(_first(work.get("subtitle"))))
    if subtitle and subtitle.lower() not in title.lower():
        return f"{title}: {subtitle}" if title else subtitle
    return title


def _place(work: Work) -> str:
    event_place = _text(_mapping(work.get("event")).get("location"))
    places = _mapping(_first(work.get("institution"))).get("place")
    return event_place or ", ".join(_strings(places)) or _text(work.get("publisher-location"))


def _institution(work: Work) -> str:
    return _text(_mapping(_first(work.get("institution"))).get("name"))


def _date(work: Work, order: Sequence[str]) -> PartialDate:
    for name in order:
        parts = _first(_mapping(work.get(name)).get("date-parts"))
        date = _partial_date(parts if isinstance(parts, list) else [])
        if date.year is not None:
            return date
    return PartialDate()


def _partial_date(parts: list[Any]) -> PartialDate:
    numbers = []
    for part in parts[:3]:
        try:
            numbers.append(int(part))
        except (TypeError, ValueError):  # [[null]] and other junk end the date
            break
    year, month, day = (numbers + [None, None, None])[:3]
    return PartialDate.checked(year, month, day)


def _creators(work: Work, item_type: str) -> tuple[Creator, ...]:
    allowed = CREATOR_TYPES[item_type]  # others become ``contributor``
    creators: list[Creator] = []
    for key, role in ROLES:
        people = [p for p in work.get(key) or () if isinstance(p, Mapping)]
        # `sequence: first` marks the first author, who is not always listed first
        # (Crossref REST API docs, contributors)
        people.sort(key=lambda p: p.get("sequence") != "first")
        creator_type = role if role in allowed else "contributor"
        creators.extend(c for p in people if (c := _creator(p, creator_type)) is not None)
    if item_type == "manuscript" and not any(c.creator_type == "author" for c in creators):
        creators.insert(0, Creator(name="Anonymous Reviewer"))  # as the translator does
    return tuple(creators)


def _creator(person: Mapping[str, Any], creator_type: str) -> Creator | None:
    family, given = _recase(_text(person.get("family"))), _recase(_text(person.get("given")))
    orcid = _text(person.get("ORCID")).rstrip("/").rpartition("/")[2]
    if name := _text(person.get("name")):
        return Creator(name=name, creator_type=creator_type, orcid=orcid)
    if family and given:
        return Creator(last=family, first=given, creator_type=creator_type, orcid=orcid)
    if family or given:  # a lone name part is kept whole, in Zotero's single field
        return Creator(name=family or given, creator_type=creator_type, orcid=orcid)
    return None  # nameless contributors (only sequence/affiliation) are dropped


def _recase(name: str) -> str:
    """'SMITH' → 'Smith', 'JEAN-PAUL' → 'Jean-Paul'; names with any lower case stay as given."""
    if not name or name != name.upper() or name == name.lower():
        return name
    return re.sub(r"[^\W\d_]+", lambda m: m[0][0] + m[0][1:].lower(), name)


def _relations(relation: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for kind, targets in relation.items():
        dois = tuple(
            dict.fromkeys(
                str(t["id"]).lower()
                for t in (targets if isinstance(targets, list) else ())
                if isinstance(t, Mapping) and t.get("id-type") == "doi" and t.get("id")
            )
        )
        if dois:
            found[kind] = dois
    return found


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _strings(value: Any) -> Iterable[str]:
    items = value if isinstance(value, list) else [value]
    return [s for v in items if (s := _text(v))]


def _first(value: Any) -> Any:
    """The first element of a Crossref array, which may be missing or empty (then None)."""
    return value[0] if isinstance(value, list) and value else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


# -- markup: JATS, HTML and MathML to clean text ------------------------------------------

#: source tag (namespace prefix dropped) → the rich-text tag Zotero stores in titles
_RICH = {"i": "i", "italic": "i", "em": "i", "b": "b", "bold": "b", "strong": "b",
         "sub": "sub", "inf": "sub", "sup": "sup"}
#: elements that end a paragraph (JATS 1.3 and HTML block elements)
_BLOCKS = {"p", "title", "sec", "list-item", "div", "br", "li", "caption"}
#: elements whose text repeats or labels the prose (MathML TeX annotations, cross-references)
_SKIPPED = {"annotation", "annotation-xml", "xref", "label"}
#: MathML scripts: the second child of msub/msup is the sub/superscript (MathML 3 §3.4.1)
_SCRIPTS = {"msub": "sub", "msup": "sup"}
_SPACE = re.compile(r"\s+")


def clean_title(text: str) -> str:
    """One line of text keeping ``<i> <b> <sub> <sup>``, the rich text Zotero stores in titles.

    The BibTeX exporter turns these into ``\\emph`` and friends.
    """
    return _SPACE.sub(" ", _Markup(rich=True).run(text)).strip()


def clean_abstract(text: str) -> str:
    """Plain text, one line per paragraph, without a leading 'Abstract' heading (Crossref
    deposits abstracts as JATS)."""
    lines = [" ".join(p.split()) for p in _Markup(rich=False).run(text).split("\n")]
    lines = [p for p in lines if p]
    if lines and lines[0].rstrip(".:").lower() in {"abstract", "summary"}:
        lines = lines[1:]
    return "\n".join(lines)


# A "<" that no ">" closes before the next "<" (or the end) starts no tag: it is text. Escaped
# before parsing, as html.parser looks for the end of such a tag from each of them ("<i" * n
# was quadratic). A declaration ("<!--", "<![CDATA[") may hold "<"; it is text only when no
# ">" at all follows it, the one case where the parser rescans from each one.
_UNCLOSED_TAG = re.compile(r"<(?!!)(?=[^<>]*(?:<|\Z))")


def _escape_unclosed(text: str) -> str:
    text = _UNCLOSED_TAG.sub("&lt;", text)
    end = text.rfind(">") + 1
    return text[:end] + text[end:].replace("<!", "&lt;!") if "<!" in text[end:] else text


class _Markup(HTMLParser):
    """One pass over the markup; :meth:`run` returns the text with only the wanted tags."""

    def __init__(self, *, rich: bool) -> None:
        super().__init__(convert_charrefs=True)
        self._rich = rich
        self._out: list[str] = []
        self._open: list[tuple[str, str, list[int]]] = []  # name, tag to emit, child count
        # how many of each name are open: looking a stray closing tag up in the stack made
        # n open tags and n stray closing ones cost n² (20k of each took 10 s)
        self._depth: Counter[str] = Counter()
        self._skipping = 0

    def run(self, text: str) -> str:
        self.feed(_escape_unclosed(text))
        self.close()
        while self._open:
            self._emit_close(self._open.pop()[1])
        return "".join(self._out)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        name = tag.rpartition(":")[2]
        if self._skipping or name in _SKIPPED:
            self._skipping += 1
            return
        emit = _RICH.get(name, "")
        if self._open and self._open[-1][0] in _SCRIPTS:
            parent = self._open[-1]
            parent[2][0] += 1
            emit = _SCRIPTS[parent[0]] if parent[2][0] == 2 else ""
        if emit and self._rich:
            self._out.append(f"<{emit}>")
        self._break(name)
        self._open.append((name, emit, [0]))
        self._depth[name] += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._skipping:
            self._break(tag.rpartition(":")[2])

    def handle_endtag(self, tag: str) -> None:
        name = tag.rpartition(":")[2]
        if self._skipping:
            self._skipping -= 1
            return
        if not self._depth[name]:
            return  # a stray closing tag
        while self._open:
            open_name, emit, _ = self._open.pop()
            self._depth[open_name] -= 1
            self._emit_close(emit)
            if open_name == name:
                break
        self._break(name)

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            # some deposits escape entities twice (`&amp;lt;`); line breaks
            # in the source are layout, paragraphs come from elements
            self._out.append(re.sub(r"\s+", " ", html.unescape(data)))

    def unknown_decl(self, data: str) -> None:
        if data.startswith("CDATA[") and not self._skipping:
            self._out.append(data[len("CDATA["):])

    def _emit_close(self, emit: str) -> None:
        if emit and self._rich:
            self._out.append(f"</{emit}>")

    def _break(self, name: str) -> None:
        if name in _BLOCKS:
            self._out.append(" " if self._rich else "\n")
