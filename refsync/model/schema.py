"""Zotero's item schema (schema v41, zotero/zotero-schema ``schema.json``), the one home of its
facts in refsync: which fields and creator types each item type accepts (the Web API refuses
anything else with 400 "'X' is not a valid field for type 'Y'"), which base field a
type-specific field specialises, and which creator type counts as an item type's author.

Pure data and pure functions.
"""

from __future__ import annotations

from dataclasses import replace

from refsync.model.reference import Reference, extra_lines

__all__ = [
    "BASE_FIELD", "CREATOR_TYPES", "ITEM_FIELDS", "NOT_REFERENCES", "base_fields",
    "fit_to_schema", "primary_creator",
]

#: item types that hold no work to cite: Zotero's notes, attachments and annotations
NOT_REFERENCES = frozenset({"note", "attachment", "annotation"})


def _fields(names: str) -> frozenset[str]:
    return frozenset(names.split())


#: fields of each item type in API order (schema v41; the API's /itemTypeFields)
ITEM_FIELDS: dict[str, frozenset[str]] = {
    "journalArticle": _fields(
        "title abstractNote publicationTitle publisher place date volume issue section "
        "partNumber partTitle pages series seriesTitle seriesText journalAbbreviation "
        "DOI citationKey url accessDate PMID PMCID ISSN archive archiveLocation "
        "shortTitle language libraryCatalog callNumber rights extra"),
    "book": _fields(
        "title abstractNote series seriesNumber volume numberOfVolumes edition date "
        "publisher place originalDate originalPublisher originalPlace format numPages "
        "ISBN DOI citationKey url accessDate ISSN archive archiveLocation shortTitle "
        "language libraryCatalog callNumber rights extra"),
    "bookSection": _fields(
        "title abstractNote bookTitle series seriesNumber volume numberOfVolumes "
        "edition date publisher place originalDate originalPublisher originalPlace "
        "format pages ISBN DOI citationKey url accessDate ISSN archive archiveLocation "
        "shortTitle language libraryCatalog callNumber rights extra"),
    "conferencePaper": _fields(
        "title abstractNote proceedingsTitle conferenceName publisher place date "
        "eventPlace volume issue numberOfVolumes pages series seriesNumber DOI ISBN "
        "citationKey url accessDate ISSN archive archiveLocation shortTitle language "
        "libraryCatalog callNumber rights extra"),
    "thesis": _fields(
        "title abstractNote thesisType university place date series seriesNumber "
        "numPages DOI ISBN citationKey url accessDate ISSN archive archiveLocation "
        "shortTitle language libraryCatalog callNumber rights extra"),
    "report": _fields(
        "title abstractNote reportNumber reportType institution place date seriesTitle "
        "seriesNumber pages DOI ISBN citationKey url accessDate ISSN archive "
        "archiveLocation shortTitle language libraryCatalog callNumber rights extra"),
    "preprint": _fields(
        "title abstractNote genre repository archiveID place date series seriesNumber "
        "DOI citationKey url accessDate archive archiveLocation shortTitle language "
        "libraryCatalog callNumber rights extra"),
    "webpage": _fields(
        "title abstractNote websiteTitle websiteType date publisher place DOI "
        "citationKey url accessDate shortTitle language rights extra"),
    "manuscript": _fields(
        "title abstractNote manuscriptType institution place date numPages number DOI "
        "citationKey url accessDate archive archiveLocation shortTitle language "
        "libraryCatalog callNumber rights extra"),
    "dataset": _fields(
        "title abstractNote identifier type versionNumber date repository "
        "repositoryLocation format DOI citationKey url accessDate archive "
        "archiveLocation shortTitle language libraryCatalog callNumber rights extra"),
    "document": _fields(
        "title abstractNote type date publisher place DOI citationKey url accessDate "
        "archive archiveLocation shortTitle language libraryCatalog callNumber rights "
        "extra"),
    "magazineArticle": _fields(
        "title abstractNote publicationTitle publisher place date volume issue pages "
        "ISSN DOI citationKey url accessDate archive archiveLocation shortTitle "
        "language libraryCatalog callNumber rights extra"),
    "newspaperArticle": _fields(
        "title abstractNote publicationTitle publisher place date volume issue edition "
        "section pages ISSN DOI citationKey url accessDate archive archiveLocation "
        "shortTitle language libraryCatalog callNumber rights extra"),
    "encyclopediaArticle": _fields(
        "title abstractNote encyclopediaTitle series seriesNumber volume "
        "numberOfVolumes edition date publisher place pages ISBN DOI citationKey url "
        "accessDate archive archiveLocation shortTitle language libraryCatalog "
        "callNumber rights extra"),
    "dictionaryEntry": _fields(
        "title abstractNote dictionaryTitle series seriesNumber volume numberOfVolumes "
        "edition date publisher place pages ISBN DOI citationKey url accessDate archive "
        "archiveLocation shortTitle language libraryCatalog callNumber rights extra"),
    "presentation": _fields(
        "title abstractNote presentationType date meetingName place series sessionTitle "
        "DOI citationKey url accessDate shortTitle language rights extra"),
    "computerProgram": _fields(
        "title abstractNote seriesTitle versionNumber date system company place "
        "programmingLanguage rights citationKey url accessDate DOI ISBN archive "
        "archiveLocation libraryCatalog callNumber shortTitle extra"),
    "standard": _fields(
        "title abstractNote organization committee type number versionNumber edition "
        "status date publisher place partNumber partTitle ISBN DOI citationKey url "
        "accessDate archive archiveLocation shortTitle numPages language libraryCatalog "
        "callNumber rights extra"),
    "patent": _fields(
        "title abstractNote place country assignee issuingAuthority patentNumber "
        "filingDate pages applicationNumber priorityNumbers issueDate priorityDate "
        "references legalStatus DOI citationKey url accessDate shortTitle language "
        "rights extra"),
    "blogPost": _fields(
        "title abstractNote blogTitle websiteType date DOI citationKey url accessDate "
        "ISSN shortTitle language rights extra"),
}

#: creator types of each item type, primary first (schema v41; /itemTypeCreatorTypes)
CREATOR_TYPES: dict[str, tuple[str, ...]] = {
    "journalArticle": ("author", "contributor", "editor", "translator", "reviewedAuthor"),
    "book": ("author", "contributor", "editor", "translator", "seriesEditor"),
    "bookSection": ("author", "contributor", "editor", "bookAuthor", "translator", "seriesEditor"),
    "conferencePaper": ("author", "contributor", "editor", "translator", "seriesEditor"),
    "thesis": ("author", "contributor"),
    "report": ("author", "editor", "contributor", "translator", "seriesEditor"),
    "preprint": ("author", "contributor", "editor", "translator", "reviewedAuthor"),
    "webpage": ("author", "contributor", "translator"),
    "manuscript": ("author", "contributor", "translator"),
    "dataset": ("author", "contributor"),
    "document": ("author", "contributor", "editor", "translator", "reviewedAuthor"),
    "magazineArticle": ("author", "contributor", "translator", "reviewedAuthor"),
    "newspaperArticle": ("author", "contributor", "translator", "reviewedAuthor"),
    "encyclopediaArticle": ("author", "contributor", "editor", "translator", "seriesEditor"),
    "dictionaryEntry": ("author", "contributor", "editor", "translator", "seriesEditor"),
    "presentation": ("presenter", "chair", "organizer", "contributor", "translator"),
    "computerProgram": ("programmer", "contributor"),
    "standard": ("author", "editor", "contributor"),
    "patent": ("inventor", "attorneyAgent", "contributor"),
    "blogPost": ("author", "translator", "commenter", "contributor"),
}


def fit_to_schema(ref: Reference) -> Reference:
    """The record as Zotero accepts it: a field its type lacks goes to Extra as a
    ``field: value`` line (nothing is dropped), a creator type it lacks becomes the type's
    contributor or primary role. Types outside the table are left for the server to judge."""
    valid = ITEM_FIELDS.get(ref.item_type)
    roles = CREATOR_TYPES.get(ref.item_type)
    if valid is None or roles is None:
        return ref
    fields = {k: v for k, v in ref.fields.items() if k in valid}
    moved = [f"{k}: {v}" for k, v in ref.fields.items() if k not in valid and v]
    if moved:
        fields["extra"] = "\n".join(filter(None, [ref.get("extra"), *moved]))
    fallback = "contributor" if "contributor" in roles else roles[0]
    creators = tuple(c if c.creator_type in roles else replace(c, creator_type=fallback)
                     for c in ref.creators)
    return replace(ref, fields=fields, creators=creators)


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
