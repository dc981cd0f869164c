"""Built-in exporters ``csljson`` (CSL-JSON for pandoc/citeproc) and ``json`` (Zotero item data).

Also home of the Zotero-schema facts the writers share: base fields and primary creator types.
All tables are copied from Zotero's ``schema.json`` (``itemTypes[].fields[].baseField``,
``creatorTypes[].primary`` and the ``csl`` block), so CSL output matches what Zotero itself
produces for the same item.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from refsync.config import Settings
from refsync.hookspecs import Exporter, hookimpl
from refsync.model import Creator, Reference, extra_lines, parse_date

__all__ = [
    "BASE_FIELD", "CslJsonExporter", "ZoteroJsonExporter", "base_fields", "primary_creator",
    "to_csl",
]

# schema.json: type-specific field → the base field it specialises.
BASE_FIELD = {
    **dict.fromkeys(["court", "issuingAuthority", "legislativeBody", "organization"], "authority"),
    **dict.fromkeys(["dateDecided", "dateEnacted", "issueDate"], "date"),
    **dict.fromkeys(["artworkMedium", "audioFileType", "audioRecordingFormat", "format",
                     "interviewMedium", "videoRecordingFormat"], "medium"),
    **dict.fromkeys(["archiveID", "billNumber", "docketNumber", "documentNumber",
                     "episodeNumber", "identifier", "patentNumber", "publicLawNumber",
                     "reportNumber"], "number"),
    **dict.fromkeys(["codePages", "firstPage"], "pages"),
    "repositoryLocation": "place",
    **dict.fromkeys(["blogTitle", "bookTitle", "dictionaryTitle", "encyclopediaTitle",
                     "forumTitle", "proceedingsTitle", "programTitle", "websiteTitle"],
                    "publicationTitle"),
    **dict.fromkeys(["company", "distributor", "institution", "label", "network", "repository",
                     "studio", "university"], "publisher"),
    "legalStatus": "status",
    **dict.fromkeys(["caseName", "nameOfAct", "subject"], "title"),
    **dict.fromkeys(["genre", "letterType", "manuscriptType", "mapType", "postType",
                     "presentationType", "reportType", "thesisType", "websiteType"], "type"),
    **dict.fromkeys(["codeVolume", "reporterVolume"], "volume"),
}

_BASE_NAMES = frozenset(BASE_FIELD.values())

# schema.json: the primary creator type of each item type, where it is not ``author``.
PRIMARY_CREATOR = {
    "artwork": "artist", "audioRecording": "performer", "bill": "sponsor",
    "computerProgram": "programmer", "film": "director", "hearing": "contributor",
    "interview": "interviewee", "map": "cartographer", "patent": "inventor",
    "podcast": "podcaster", "presentation": "presenter", "radioBroadcast": "director",
    "tvBroadcast": "director", "videoRecording": "director",
}

# schema.json ``csl.types``, inverted: Zotero item type → CSL type.
CSL_TYPE = {
    "preprint": "article", "journalArticle": "article-journal",
    "magazineArticle": "article-magazine", "newspaperArticle": "article-newspaper",
    "bill": "bill", "book": "book", "podcast": "broadcast", "tvBroadcast": "broadcast",
    "radioBroadcast": "broadcast", "bookSection": "chapter", "dataset": "dataset",
    "document": "document", "attachment": "document", "note": "document",
    "dictionaryEntry": "entry-dictionary", "encyclopediaArticle": "entry-encyclopedia",
    "artwork": "graphic", "hearing": "hearing", "interview": "interview", "case": "legal_case",
    "statute": "legislation", "manuscript": "manuscript", "map": "map",
    "film": "motion_picture", "videoRecording": "motion_picture",
    "conferencePaper": "paper-conference", "patent": "patent",
    "letter": "personal_communication", "email": "personal_communication",
    "instantMessage": "personal_communication", "forumPost": "post", "blogPost": "post-weblog",
    "report": "report", "computerProgram": "software", "audioRecording": "song",
    "presentation": "speech", "standard": "standard", "thesis": "thesis", "webpage": "webpage",
}

# schema.json ``csl.fields.text``: CSL variable → Zotero (base) fields, first present wins.
CSL_TEXT = {
    "abstract": ["abstractNote"], "archive": ["archive"], "archive_location": ["archiveLocation"],
    "authority": ["authority"], "call-number": ["callNumber", "applicationNumber"],
    "chapter-number": ["session"], "collection-number": ["seriesNumber"],
    "collection-title": ["seriesTitle", "series"],
    "container-title": ["publicationTitle", "reporter", "code"],
    "dimensions": ["artworkSize", "runningTime"], "DOI": ["DOI"], "edition": ["edition"],
    "event-place": ["place"], "event-title": ["meetingName", "conferenceName"],
    "genre": ["type", "programmingLanguage"], "ISBN": ["ISBN"], "ISSN": ["ISSN"],
    "issue": ["issue", "priorityNumbers"], "journalAbbreviation": ["journalAbbreviation"],
    "language": ["language"], "license": ["rights"], "medium": ["medium", "system"],
    "note": ["extra"], "number": ["number"], "number-of-pages": ["numPages"],
    "number-of-volumes": ["numberOfVolumes"], "page": ["pages"], "publisher": ["publisher"],
    "publisher-place": ["place"], "references": ["history", "references"], "scale": ["scale"],
    "section": ["section", "committee"], "shortTitle": ["shortTitle"],
    "source": ["libraryCatalog"], "status": ["status"], "title": ["title"],
    "title-short": ["shortTitle"], "URL": ["url"], "version": ["versionNumber"],
    "volume": ["volume", "codeNumber"],
}
CSL_DATE = {"accessed": "accessDate", "issued": "date", "submitted": "filingDate"}
# schema.json ``csl.names``: Zotero creator type → CSL name variable.
CSL_NAME = {
    "author": "author", "bookAuthor": "container-author", "castMember": "performer",
    "composer": "composer", "contributor": "contributor", "director": "director",
    "editor": "editor", "guest": "guest", "interviewer": "interviewer", "producer": "producer",
    "recipient": "recipient", "reviewedAuthor": "reviewed-author",
    "seriesEditor": "collection-editor", "scriptwriter": "script-writer",
    "translator": "translator",
}


# Extra lines ``Label: value`` that Zotero reads as fields an item type lacks (a book's DOI);
# labels are CSL variable names (Zotero KB "item_types_and_fields", citing fields from Extra).
EXTRA_FIELDS = {"doi": "DOI", "publisher": "publisher", "publisher-place": "place",
                "isbn": "ISBN", "issn": "ISSN", "url": "url"}


def base_fields(ref: Reference) -> dict[str, str]:
    """The record's fields under their base names (``university`` → ``publisher`` …).

    Zotero's API uses type-specific names while BBT JSON and CSL mappings use base names;
    writers read base names only, so both inputs render the same. A base name already present
    wins over a specialised one; fields still missing are taken from ``Label: value`` lines in
    Extra, as Zotero itself does.
    """
    fields = dict(ref.fields)
    if not BASE_FIELD.keys().isdisjoint(fields):  # most records use base names only
        fields = {}
        for name, value in ref.fields.items():
            fields.setdefault(BASE_FIELD.get(name, name), value)
        fields.update({k: v for k, v in ref.fields.items() if k in _BASE_NAMES})
    if extra := fields.get("extra"):
        for label, value in extra_lines(extra):
            if name := EXTRA_FIELDS.get(label.lower().replace(" ", "-"), ""):
                fields.setdefault(name, value)
    return fields


def primary_creator(item_type: str) -> str:
    """The creator type Zotero treats as the author of this item type."""
    return PRIMARY_CREATOR.get(item_type, "author")


def _csl_name(creator: Creator) -> dict[str, str]:
    if creator.is_single_field:
        return {"literal": creator.name}
    return {k: v for k, v in (("family", creator.last), ("given", creator.first)) if v}


def _csl_date(text: str) -> dict[str, Any]:
    date = parse_date(text)
    if date.year is None:
        return {"literal": text}
    parts = [p for p in (date.year, date.month, date.day) if p]
    return {"date-parts": [parts]}


def to_csl(key: str, ref: Reference) -> dict[str, Any]:
    """One CSL-JSON item, mapped the way Zotero maps it (primary creators become authors)."""
    fields = base_fields(ref)
    item: dict[str, Any] = {"id": key, "citation-key": key,  # CSL 1.0.2 variable
                            "type": CSL_TYPE.get(ref.item_type, "document")}
    for variable, names in CSL_TEXT.items():
        if value := next((fields[n] for n in names if fields.get(n)), ""):
            item[variable] = value
    for variable, name in CSL_DATE.items():
        if fields.get(name):
            item[variable] = _csl_date(fields[name])
    primary = primary_creator(ref.item_type)
    for creator in ref.creators:
        kind = "author" if creator.creator_type == primary else creator.creator_type
        if name_variable := CSL_NAME.get(kind):
            item.setdefault(name_variable, []).append(_csl_name(creator))
    return item


def _dump(items: list[dict[str, Any]]) -> str:
    """A JSON array with one item per line: a changed item is a one-line diff, and
    :func:`json.dumps` without ``indent`` runs the C encoder (several times faster)."""
    if not items:
        return "[]\n"
    lines = ",\n".join(json.dumps(i, ensure_ascii=False, sort_keys=True) for i in items)
    return "[\n" + lines + "\n]\n"


class CslJsonExporter:
    """CSL-JSON array; ``id`` is the citation key so pandoc's ``@key`` matches the .bib."""

    name = "csljson"
    suffix = ".json"

    def export(self, entries: Mapping[str, Reference]) -> str:
        return _dump([to_csl(key, ref) for key, ref in entries.items()])


class ZoteroJsonExporter:
    """Zotero item data, as the Web API accepts it, with the key in ``citationKey``."""

    name = "json"
    suffix = ".json"

    def export(self, entries: Mapping[str, Reference]) -> str:
        return _dump([ref.to_zotero() | {"citationKey": key} for key, ref in entries.items()])


@hookimpl
def register_exporters(settings: Settings) -> Iterable[Exporter]:
    """Offer ``csljson`` and ``json``."""
    return [CslJsonExporter(), ZoteroJsonExporter()]
