"""BibTeX's and BibLaTeX's words for Zotero's: the entry type of each item type, and the babel
language names BibLaTeX's ``langid`` takes. The writer uses them forwards, the .bib reader
backwards, so an entry read back has the item type it was written from.
"""

from __future__ import annotations

__all__ = ["ENTRY_TYPES", "KEY_CHARACTERS", "LANGIDS", "NON_ENTRIES"]

#: what a citation key may hold (a regex character class): what BibTeX, biber, \cite, \bibitem
#: and hyperref all take, each compiled with pdflatex + bibtex/natbib and + biber/biblatex.
#: Biber refuses ' and =, which Better BibTeX drops for that reason.
KEY_CHARACTERS = r"\w:./+\-*!?;@|&<>"

#: the @-blocks of a .bib that are not entries (lower case, as BibTeX reads them in any case)
NON_ENTRIES = frozenset({"comment", "preamble", "string"})

# Zotero item type → (BibTeX, BibLaTeX) entry type. BBT's map (``translators/bibtex/reference.ts``)
# where it names one;
# the rest use the BibLaTeX data-model type for the medium (blx-dm.def) and @misc for BibTeX.
ENTRY_TYPES = {
    "journalArticle": ("article", "article"),
    "magazineArticle": ("article", "article"),
    "newspaperArticle": ("article", "article"),
    "book": ("book", "book"),
    "bookSection": ("incollection", "incollection"),
    "conferencePaper": ("inproceedings", "inproceedings"),
    "thesis": ("phdthesis", "thesis"),
    "report": ("techreport", "report"),
    "manuscript": ("unpublished", "unpublished"),
    "patent": ("patent", "patent"),
    "preprint": ("misc", "online"),
    "webpage": ("misc", "online"),
    "blogPost": ("misc", "online"),
    "forumPost": ("misc", "online"),
    "computerProgram": ("misc", "software"),
    "dataset": ("misc", "dataset"),
    "encyclopediaArticle": ("article", "inreference"),
    "dictionaryEntry": ("misc", "inreference"),
    "case": ("misc", "jurisdiction"),
    "hearing": ("misc", "jurisdiction"),
    "statute": ("misc", "legislation"),
    "bill": ("misc", "legislation"),
    "standard": ("misc", "standard"),
    "presentation": ("misc", "unpublished"),
    "letter": ("misc", "letter"),
    "email": ("misc", "letter"),
    "instantMessage": ("misc", "letter"),
    "artwork": ("misc", "artwork"),
    "audioRecording": ("misc", "audio"),
    "podcast": ("misc", "audio"),
    "radioBroadcast": ("misc", "audio"),
    "film": ("misc", "movie"),
    "videoRecording": ("misc", "video"),
    "tvBroadcast": ("misc", "video"),
    "interview": ("misc", "misc"),
    "map": ("misc", "misc"),
    "document": ("misc", "misc"),
}

# ISO 639 codes and English names → babel/polyglossia names, for biblatex's ``langid``.
LANGIDS = {
    "en": "english", "en-us": "american", "en-gb": "british", "en-au": "australian",
    "en-ca": "canadian", "en-nz": "newzealand", "de": "ngerman", "de-de": "ngerman",
    "de-at": "naustrian", "de-ch": "nswissgerman", "fr": "french", "es": "spanish",
    "it": "italian", "nl": "dutch", "pt": "portuguese", "pt-br": "brazilian", "sv": "swedish",
    "da": "danish", "no": "norsk", "nb": "norsk", "nn": "nynorsk", "fi": "finnish",
    "pl": "polish", "cs": "czech", "ru": "russian", "el": "greek", "tr": "turkish",
    "hu": "hungarian", "ja": "japanese", "ca": "catalan", "la": "latin",
    "german": "ngerman", "english": "english", "french": "french", "spanish": "spanish",
    "italian": "italian", "dutch": "dutch", "portuguese": "portuguese", "norsk": "norsk",
}
