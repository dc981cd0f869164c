"""Better BibTeX's test fixtures as refsync's tests and benches read them: the Zotero items of
each case as References, the expected .bib parsed, and the field-by-field comparison that
normalises what BBT does differently on purpose."""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bibtexparser
from bibtexparser.bparser import BibTexParser
from pylatexenc.latex2text import LatexNodes2Text

from refsync.builtin.bibtex import BibExporter
from refsync.model import Reference
from support import FIXTURES

BBT = FIXTURES / "bbt"
COMPARED = ("title", "author", "year", "date", "journal", "journaltitle", "volume", "number",
            "pages", "doi", "publisher", "booktitle")
CASELESS = {"title", "booktitle"}  # BBT title-cases English titles; refsync keeps Zotero's case


def bbt_reference(item: dict[str, Any]) -> Reference:
    """A BBT JSON item as a Reference; BBT writes multi-line fields (``extra``) as lists."""
    data = {k: "\n".join(v) if isinstance(v, list) and all(isinstance(x, str) for x in v) else v
            for k, v in item.items()}
    return Reference.from_zotero(data)


def bbt_cases() -> Iterator[tuple[Path, str]]:
    """(json fixture, dialect) for every expected output present."""
    for expected in sorted(p for p in BBT.iterdir() if p.suffix in (".bibtex", ".biblatex")):
        yield expected.with_suffix(".json"), expected.suffix.lstrip(".")


def load_items(path: Path) -> list[dict[str, Any]]:
    return [i for i in json.loads(path.read_text("utf-8"))["items"]
            if i.get("itemType") not in ("note", "attachment")]


def parse_bib(text: str) -> dict[str, dict[str, str]]:
    parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False)
    return {e["ID"]: e for e in bibtexparser.loads(text, parser=parser).entries}


_TO_TEXT = LatexNodes2Text()


def _extended_names(value: str) -> str:
    """biblatex's extended name format (``family=X, given=Y, prefix=de``) as ``de X, Y``."""
    def one(name: str) -> str:
        if "family=" not in name:
            return name
        parts = dict(p.strip().split("=", 1) for p in name.split(", ") if "=" in p)
        last = " ".join(filter(None, (parts.get("prefix"), parts.get("family"))))
        return ", ".join(filter(None, (last, parts.get("suffix"), parts.get("given"))))
    return " and ".join(one(n) for n in value.split(" and "))


def norm(field: str, value: str) -> str:
    if field == "author":
        value = _extended_names(value)
    text = re.sub(r"\s+", " ", _TO_TEXT.latex_to_text(value)).strip()
    # quote typography is not a field difference
    text = re.sub("[\u201c\u201d]", '"', re.sub("[\u2018\u2019]", "'", text))
    if field == "pages":
        text = text.replace("–", "-")
    return text.casefold() if field in CASELESS else text


def _loose(text: str) -> str:
    """Letters and digits only, accents dropped: for pairing items with entries, not scoring."""
    text = unicodedata.normalize("NFKD", norm("title", text))
    return re.sub(r"[\W_]+", "", text.encode("ascii", "ignore").decode())


def title_key(text: str) -> str:
    return _loose(re.sub(r"</?(i|b|sup|sub|span)\b[^>]*>", "", text))


def _same_work(entry: dict[str, str], ref: Reference) -> bool:
    """Items carry no key in some fixtures, and several share a title: match on both the title
    and the first creator's family name."""
    family = _loose(ref.creators[0].family) if ref.creators else ""
    names = _loose(entry.get("author") or entry.get("editor") or "")
    return title_key(entry.get("title", "")) == title_key(ref.title) and family in names


def compare(json_path: Path, dialect: str) -> Iterator[tuple[str, str, str, str]]:
    """Yield (case and key, field, bbt value, refsync value) for each compared field of a case."""
    expected = parse_bib(json_path.with_suffix("." + dialect).read_text("utf-8"))
    entries: dict[str, Reference] = {}
    for item in load_items(json_path):
        ref = bbt_reference(item)
        candidates = [k for k in expected if k not in entries and _same_work(expected[k], ref)]
        key = item.get("citationKey")
        if key not in candidates:
            key = candidates[0] if candidates else None
        if key:
            entries[key] = ref
    ours = parse_bib(BibExporter(dialect).export(entries))
    config = json.loads(json_path.read_text("utf-8"))["config"]
    skipped = {f.strip() for f in config["preferences"].get("skipFields", "").split(",")}
    for key in entries:
        for field in set(COMPARED) - skipped:
            theirs, mine = expected[key].get(field), ours[key].get(field)
            if theirs is not None or mine is not None:
                entry = f"{json_path.stem}.{dialect}: {key}"
                yield entry, field, norm(field, theirs or ""), norm(field, mine or "")


@functools.cache
def all_rows() -> tuple[tuple[str, str, str, str], ...]:
    return tuple(row for case in bbt_cases() for row in compare(*case))
