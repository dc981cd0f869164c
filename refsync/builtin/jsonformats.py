"""Built-in exporters ``csljson`` (CSL-JSON for pandoc/citeproc) and ``json`` (Zotero item data).

The CSL tables are copied from the ``csl`` block of Zotero's ``schema.json``
(zotero/zotero-schema), so CSL output matches what Zotero itself produces for the same item.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from refsync.config import Settings
from refsync.hookspecs import Exporter, hookimpl
from refsync.model import Creator, Reference, parse_date
from refsync.model.schema import base_fields, primary_creator

__all__ = ["CslJsonExporter", "ZoteroJsonExporter", "to_csl"]


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
