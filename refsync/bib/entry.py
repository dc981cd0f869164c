"""One parsed BibTeX/BibLaTeX entry (field name → LaTeX value) as a Zotero-schema Reference.

Entry types are :data:`refsync.bib.vocabulary.ENTRY_TYPES` read backwards, plus the aliases
both dialects allow; what Zotero has no field for goes to Extra as ``tex.field: value`` and the
citation key as ``Citation Key: key``, the lines Better BibTeX writes, so nothing is lost.
Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from refsync.bib.decode import decode_latex, split_names
from refsync.bib.vocabulary import ENTRY_TYPES, LANGIDS
from refsync.errors import InvalidDOIError
from refsync.model import Reference, parse_date
from refsync.model.doi import normalize_doi
from refsync.model.identifiers import normalize_arxiv
from refsync.model.schema import primary_creator

__all__ = ["item_type_of", "to_reference"]


def _reverse_types() -> dict[str, str]:
    table: dict[str, str] = {}
    for zotero_type, dialects in ENTRY_TYPES.items():
        for entry_type in dialects:
            table.setdefault(entry_type, zotero_type)
    # several Zotero types share these; the generic one is the honest guess
    return table | {"misc": "document", "online": "webpage"}


_ITEM_TYPES = _reverse_types()
# entry types of either dialect that mean the same as one the writer uses (BibTeX manual §3.1,
# biblatex manual §2.1.1-2.1.3)
_ALIASES = {
    "conference": "inproceedings", "inbook": "incollection", "bookinbook": "incollection",
    "suppbook": "incollection", "suppcollection": "incollection", "mastersthesis": "phdthesis",
    "booklet": "book", "manual": "book", "proceedings": "book", "collection": "book",
    "reference": "book", "mvbook": "book", "mvcollection": "book", "mvproceedings": "book",
    "mvreference": "book", "periodical": "book", "electronic": "online", "www": "online",
    "webpage": "online", "data": "dataset", "codefragment": "software",
    "booksection": "incollection",  # Mendeley's @book_section
}
# bib field → Zotero base field; "number" and the container are specialised per type below
_PLAIN = {
    "series": "series", "edition": "edition", "volume": "volume", "publisher": "publisher",
    "school": "publisher", "institution": "publisher", "organization": "publisher",
    "address": "place", "location": "place", "isbn": "ISBN", "issn": "ISSN", "type": "type",
    "number": "number", "eventtitle": "conferenceName", "version": "versionNumber",
}
_RICH = {
    "title": "title", "shorttitle": "shortTitle", "abstract": "abstractNote",
    "journal": "publicationTitle", "journaltitle": "publicationTitle",
    "booktitle": "publicationTitle", "titleaddon": "publicationTitle",
}
# Zotero's name for a base field in the item types the importer produces (schema.json)
_SPECIFIC: Mapping[str, Mapping[str, str]] = {
    **dict.fromkeys(("journalArticle", "magazineArticle", "newspaperArticle"),
                    {"number": "issue"}),
    "conferencePaper": {"publicationTitle": "proceedingsTitle", "number": "issue"},
    "bookSection": {"publicationTitle": "bookTitle", "number": "seriesNumber"},
    "book": {"number": "seriesNumber"},
    "thesis": {"publisher": "university", "type": "thesisType"},
    "report": {"publisher": "institution", "type": "reportType", "number": "reportNumber",
               "series": "seriesTitle"},
    "manuscript": {"type": "manuscriptType"},
    "webpage": {"publicationTitle": "websiteTitle", "type": "websiteType"},
    "preprint": {"publisher": "repository", "type": "genre", "number": "archiveID"},
    "dataset": {"publisher": "repository", "place": "repositoryLocation",
                "number": "identifier"},
    "computerProgram": {"publisher": "company", "series": "seriesTitle"},
    "patent": {"number": "patentNumber"},
    "encyclopediaArticle": {"publicationTitle": "encyclopediaTitle"},
    "dictionaryEntry": {"publicationTitle": "dictionaryTitle"},
}
# name lists besides ``author``; biblatex's editora-c, commentator … have no Zotero role of
# their own, so they are contributors (as in BBT's import)
_ROLES = {"editor": "editor", "translator": "translator", "bookauthor": "bookAuthor",
          "director": "director", "holder": "contributor", "editora": "contributor",
          "editorb": "contributor", "editorc": "contributor", "annotator": "contributor",
          "commentator": "contributor", "introduction": "contributor",
          "foreword": "contributor", "afterword": "contributor"}
# biblatex splits titles; Zotero keeps one ("Title: Subtitle")
_SUBTITLES = {"title": "subtitle", "booktitle": "booksubtitle",
              "journaltitle": "journalsubtitle", "journal": "journalsubtitle"}
_THESIS_TYPES = {"mastersthesis": "Master's thesis", "phdthesis": "PhD thesis",
                 "mathesis": "Master's thesis"}
_LANGUAGES = {name: code for code, name in reversed(LANGIDS.items())}
_CONSUMED = {"ID", "ENTRYTYPE", "crossref", "author", "year", "month", "day", "date", "pages",
             "doi", "url", "howpublished", "keywords", "note", "annote", "annotation",
             "language", "langid", "urldate", "eprint", "eprinttype", "archiveprefix", "pmid",
             "pmcid", "entrysubtype", *_PLAIN, *_RICH, *_ROLES, *_SUBTITLES.values()}
_DASHES = re.compile(r"\s*[-\u2010-\u2015\u2212]+\s*")
_URL_ESCAPE = re.compile(r"\\([%#_&~$])")
_URL_COMMAND = re.compile(r"^\s*\\(?:url|href)\s*\{([^{}]*)\}")


def item_type_of(fields: Mapping[str, str]) -> str:
    """The Zotero item type for an entry (``ENTRYTYPE`` plus the fields that refine it)."""
    entry_type = fields["ENTRYTYPE"].lower()
    kind = _ITEM_TYPES.get(_ALIASES.get(entry_type, entry_type), "document")
    archive = (fields.get("eprinttype") or fields.get("archiveprefix", "")).lower()
    if entry_type in ("misc", "online", "unpublished") and archive == "arxiv":
        return "preprint"
    if kind == "document" and _url(fields):
        return "webpage"
    subtype = f"{fields.get('entrysubtype', '').strip().lower()}Article"
    if kind == "journalArticle" and subtype in ENTRY_TYPES:  # biblatex: magazine, newspaper
        return subtype
    return kind


def to_reference(key: str, fields: Mapping[str, str]) -> Reference:
    """A Zotero-schema Reference for one entry's fields (lower-case names, LaTeX values).

    :param key: the citation key, kept as ``Citation Key: key`` in Extra ("" for none).
    """
    kind = item_type_of(fields)
    specific = _SPECIFIC.get(kind, {})
    out: dict[str, str] = {}

    def put(base: str, value: str) -> None:
        if value:
            out.setdefault(specific.get(base, base), value)

    for name, base in _RICH.items():
        text = decode_latex(fields.get(name, ""), rich=True)
        if text and (sub := decode_latex(fields.get(_SUBTITLES.get(name, ""), ""), rich=True)):
            text = f"{text}{'' if text[-1] in '?!:.' else ':'} {sub}"
        put(base, text)
    for name, base in _PLAIN.items():
        put(base, decode_latex(fields.get(name, "")))
    put("pages", _DASHES.sub("-", decode_latex(fields.get("pages", ""))))
    put("date", _date(fields))
    put("accessDate", parse_date(fields.get("urldate", "")).iso())
    put("url", _url(fields))
    if not _URL_COMMAND.match(published := fields.get("howpublished", "")):
        # BibTeX's catch-all for where a @misc appeared; the writer puts a site's name there
        put("publicationTitle" if kind == "webpage" else "publisher", decode_latex(published))
    language = decode_latex(fields.get("langid") or fields.get("language", ""))
    put("language", _LANGUAGES.get(language.lower(), language))
    entry_type = fields["ENTRYTYPE"].lower()
    if kind == "thesis" and (thesis := _THESIS_TYPES.get(out.get("thesisType", entry_type))):
        out["thesisType"] = thesis
    extra = list(_extra_lines(key, fields))
    doi, bad_doi = _doi(fields)
    put("DOI", doi)
    if bad_doi:
        extra.append(f"tex.doi: {bad_doi}")
    put("extra", "\n".join(extra))
    creators = split_names(fields.get("author", ""), primary_creator(kind))
    for name, role in _ROLES.items():
        creators += split_names(fields.get(name, ""), role)
    tags = [t for k in re.split(r"[,;]", decode_latex(fields.get("keywords", "")))
            if (t := k.strip())]
    return Reference(item_type=kind, fields=out, creators=tuple(creators), tags=tuple(tags))


def _date(fields: Mapping[str, str]) -> str:
    """biblatex ``date`` as written (EDTF); otherwise ``year`` + ``month`` (+ ``day``) as ISO."""
    if date := decode_latex(fields.get("date", "")):
        return date
    year = decode_latex(fields.get("year", ""))
    month = decode_latex(fields.get("month", ""))
    if not (year.isdigit() and month):
        return year
    number = int(month) if month.isdigit() else parse_date(f"{month} 2000").month
    day = fields.get("day", "").strip()
    if not number or not 1 <= number <= 12:
        return year
    return f"{year}-{number:02d}" + (f"-{int(day):02d}" if day.isdigit() else "")


def _url(fields: Mapping[str, str]) -> str:
    """``url``, or a ``\\url{…}`` in ``howpublished`` (the BibTeX-era way to cite a web page)."""
    value = fields.get("url", "")
    if not value and (m := _URL_COMMAND.match(fields.get("howpublished", ""))):
        value = m.group(1)
    return _URL_ESCAPE.sub(r"\1", value).replace("{", "").replace("}", "").strip()


def _doi(fields: Mapping[str, str]) -> tuple[str, str]:
    """(normalised DOI, "") or ("", the unreadable ``doi`` value); a doi.org ``url`` and an
    ``eprint`` of type doi count too, as in BBT's import."""
    raw = _URL_ESCAPE.sub(r"\1", fields.get("doi", "")).strip("{} ")
    candidates = [raw, _url(fields) if "doi.org/" in _url(fields) else ""]
    if fields.get("eprinttype", "").lower() == "doi":
        candidates.append(fields.get("eprint", ""))
    for candidate in filter(None, candidates):
        try:
            return normalize_doi(candidate), ""
        except InvalidDOIError:
            continue
    return "", raw


def _extra_lines(key: str, fields: Mapping[str, str]) -> Iterator[str]:
    """Extra: the citation key, identifiers Zotero has no field for, notes and unknown fields."""
    if key:
        yield f"Citation Key: {key}"
    archive = (fields.get("eprinttype") or fields.get("archiveprefix", "")).lower()
    eprint = decode_latex(fields.get("eprint", ""))
    if archive == "arxiv" or (eprint and not archive and normalize_arxiv(eprint)):
        yield f"arXiv: {normalize_arxiv(eprint) or eprint}"
    elif eprint and archive != "doi":
        yield f"tex.eprint: {eprint}"
        yield f"tex.eprinttype: {archive}"
    for name, label in (("pmid", "PMID"), ("pmcid", "PMCID")):
        if value := decode_latex(fields.get(name, "")):
            yield f"{label}: {value}"
    for name in ("note", "annote", "annotation"):
        if value := decode_latex(fields.get(name, ""), rich=True):
            yield value
    for name, value in fields.items():  # kept as LaTeX, as BBT does, so they export unchanged
        if name not in _CONSUMED and (value := " ".join(value.split())):
            yield f"tex.{name}: {value}"
