"""The vocabulary: a bibliographic record in Zotero's own schema (item types, field names).

Zotero's schema is the lingua franca here, so a record resolved from Crossref can be written to
Zotero unchanged and a record pulled from Zotero renders exactly like a resolved one.
Pure: no I/O, no third-party imports.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from refsync.model.dates import PartialDate, parse_date

__all__ = ["Collection", "Creator", "Reference", "extra_lines"]


@dataclass(frozen=True)
class Creator:
    """A person or organisation. Organisations and mononyms use ``name`` (Zotero's single field)."""

    last: str = ""
    first: str = ""
    name: str = ""
    creator_type: str = "author"
    orcid: str = ""

    @property
    def is_single_field(self) -> bool:
        return bool(self.name) and not self.last

    @property
    def family(self) -> str:
        """The name that sorts and keys: last name, or the whole single-field name."""
        return self.last or self.name

    def to_zotero(self) -> dict[str, str]:
        if self.is_single_field:
            return {"creatorType": self.creator_type, "name": self.name}
        return {"creatorType": self.creator_type, "firstName": self.first, "lastName": self.last}

    @classmethod
    def from_zotero(cls, data: Mapping[str, Any]) -> Creator:
        return cls(
            last=str(data.get("lastName") or ""),
            first=str(data.get("firstName") or ""),
            name=str(data.get("name") or ""),
            creator_type=str(data.get("creatorType") or "author"),
        )


# Extra's "Label: value" lines, which Zotero reads as fields an item type lacks. One entry per
# line, as Zotero reads Extra, so the whitespace around the colon never crosses a line end
# ([^\S\n]): an empty "Original Date:" once took the next line ("PMCID: PMC42") as its value.
# Linear-time: every piece is possessive or bounded by its line, so nothing is split two ways.
# - the label runs from its first letter to its last, taken whole (a shorter one cannot be
#   followed by the colon); words of letters and hyphens ("Publisher Place", "original-date");
# - the value runs from its first non-space character to the last on its line;
# - a line start that cannot begin an entry consumes its leading whitespace (unlabelled): every
#   later line start inside that whitespace (a run of blank lines) would fail the same way.
_EXTRA_LINE = re.compile(
    r"^(?:\s*+(?P<label>[A-Za-z][A-Za-z-]*+(?: ++[A-Za-z-]++)*+)[^\S\n]*+:[^\S\n]*+"
    r"(?P<value>\S(?:.*\S)?)\s*$|\s*+)",
    re.MULTILINE,
)


def extra_lines(extra: str) -> Iterator[tuple[str, str]]:
    """``(label, value)`` of each ``Label: value`` line in a Zotero Extra field, in order."""
    for line in _EXTRA_LINE.finditer(extra):
        if line["label"]:
            yield line["label"], line["value"]


@dataclass(frozen=True)
class Collection:
    """A Zotero collection; ``parent`` is ``""`` at the top level (the API says ``false``)."""

    key: str
    name: str
    parent: str = ""
    version: int = 0

    @classmethod
    def from_zotero(cls, obj: Mapping[str, Any]) -> Collection:
        """From a Zotero API collection object or its ``data``."""
        data = obj.get("data", obj)
        return cls(str(data["key"]), str(data.get("name", "")),
                   str(data.get("parentCollection") or ""), int(data.get("version", 0) or 0))


@dataclass(frozen=True)
class Reference:
    """One work, held as Zotero item data plus what refsync needs around it.

    ``fields`` uses Zotero field names (``title``, ``date``, ``DOI``, ``publicationTitle`` …);
    ``relations`` keeps Crossref relation types (``has-preprint`` → DOIs) for duplicate reasoning.
    """

    item_type: str
    fields: Mapping[str, str] = field(default_factory=dict)
    creators: tuple[Creator, ...] = ()
    key: str = ""
    version: int = 0
    library: str = ""
    tags: tuple[str, ...] = ()
    collections: tuple[str, ...] = ()
    relations: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    deleted: bool = False

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name) or default

    @property
    def identity(self) -> str:
        """A stable name for the record across runs (what the lock file keys by): its library
        and Zotero key, else its DOI, else a content hash.

        The hash uses title, creators' family names and year, so a record resolved twice from
        the same metadata gets the same identity.
        """
        if self.key:  # Zotero keys are unique within a library only
            return f"{self.library}/{self.key}" if self.library else self.key
        if doi := self.doi:
            return "doi:" + doi.strip().lower()
        content = "\x1f".join([self.title.casefold(), *(c.family.casefold() for c in self.creators),
                               str(self.issued.year)])
        return "sha1:" + hashlib.sha1(content.encode("utf-8")).hexdigest()[:16]

    @property
    def title(self) -> str:
        return self.fields.get("title") or ""

    @property
    def doi(self) -> str:
        return self.fields.get("DOI") or ""

    @property
    def issued(self) -> PartialDate:
        return parse_date(self.fields.get("date") or "")

    def completed_by(self, other: Reference) -> Reference:
        """This record with the fields and creators it lacks taken from ``other`` (a fuller
        record of the same work, e.g. from Crossref); what this record has always wins."""
        return replace(self, fields={**other.fields, **self.fields},
                       creators=self.creators or other.creators,
                       relations={**other.relations, **self.relations})

    def creators_of(self, *types: str) -> tuple[Creator, ...]:
        return tuple(c for c in self.creators if c.creator_type in types)

    def to_zotero(self) -> dict[str, Any]:
        """Zotero item ``data`` as the Web API accepts it on write (no key/version when unsaved)."""
        data: dict[str, Any] = {"itemType": self.item_type}
        data.update({k: v for k, v in self.fields.items() if v})
        data["creators"] = [c.to_zotero() for c in self.creators]
        data["tags"] = [{"tag": t} for t in self.tags]
        data["collections"] = list(self.collections)
        if self.key:
            data["key"] = self.key
            data["version"] = self.version
        return data

    def as_dict(self) -> dict[str, Any]:
        """A lossless JSON-ready form (for caches and mirrors); see :meth:`from_dict`."""
        return {
            "data": self.to_zotero() | {"key": self.key, "version": self.version},
            "library": self.library,
            "orcids": [c.orcid for c in self.creators],
            "relations": {k: list(v) for k, v in self.relations.items()},
            "deleted": self.deleted,
        }

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> Reference:
        ref = cls.from_zotero(record["data"], library=record.get("library", ""))
        orcids = record.get("orcids") or [""] * len(ref.creators)
        return replace(
            ref,
            creators=tuple(replace(c, orcid=o) for c, o in zip(ref.creators, orcids, strict=True)),
            relations={k: tuple(v) for k, v in record.get("relations", {}).items()},
            deleted=bool(record.get("deleted")),
        )

    @classmethod
    def from_zotero(cls, data: Mapping[str, Any], *, library: str = "") -> Reference:
        """Build from Zotero item ``data`` (the editable JSON), ignoring non-string fields."""
        return cls(
            item_type=str(data.get("itemType", "document")),
            fields={k: v for k, v in data.items()
                    if k not in _NOT_FIELDS and isinstance(v, str) and v},
            creators=tuple(Creator.from_zotero(c) for c in data.get("creators", ())),
            key=str(data.get("key", "")),
            version=int(data.get("version", 0) or 0),
            library=library,
            tags=tuple(_tag_names(data.get("tags", ()))),
            collections=tuple(data.get("collections", ())),
            deleted=bool(data.get("deleted")),
        )


_NOT_FIELDS = frozenset({"key", "version", "itemType", "creators", "tags", "collections",
                         "relations", "deleted", "parentItem", "dateAdded", "dateModified"})


def _tag_names(tags: Iterable[Any]) -> Iterable[str]:
    for t in tags:
        yield t["tag"] if isinstance(t, Mapping) else str(t)
