"""Better BibTeX's own fixtures as a Zotero library, pulled through the Web API and compared
field by field with Better BibTeX's expected output (title, authors, year, journal, volume,
number, pages, DOI, publisher, booktitle)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fakes.zotero import API_KEY, FakeZotero
from support.bbt import COMPARED, bbt_cases, load_items, norm, parse_bib, title_key

from refsync.cli import cli

#: what refsync stores of a BBT item: Zotero's item data, not BBT's bookkeeping
_NOT_ZOTERO = {"itemID", "uri", "attachments", "notes", "relations", "select", "itemKey",
               "libraryID", "dateAdded", "dateModified", "multi", "key", "version", "citekey"}


def as_item_data(item: dict[str, Any], collection: str) -> dict[str, Any]:
    data = {k: "\n".join(v) if isinstance(v, list) and all(isinstance(x, str) for x in v) else v
            for k, v in item.items() if k not in _NOT_ZOTERO}
    data["collections"] = [collection]
    data["tags"] = [t if isinstance(t, dict) else {"tag": t} for t in item.get("tags", [])]
    return data


def pair(entry: dict[str, str], theirs: dict[str, dict[str, str]]) -> dict[str, str] | None:
    """BBT's entry for the same item when the keys differ: same title and same names."""
    same = [e for e in theirs.values()
            if title_key(e.get("title", "")) == title_key(entry.get("title", ""))
            and norm("author", e.get("author", "")) == norm("author", entry.get("author", ""))]
    return same[0] if len(same) == 1 else None


def test_pulled_bbt_library_agrees_with_better_bibtex(zotero: FakeZotero, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"REFSYNC_ZOTERO_URL": zotero.url, "ZOTERO_LIBRARY": "user:123",
           "ZOTERO_API_KEY": API_KEY, "REFSYNC_CACHE_DIR": str(tmp_path / "cache")}
    rows = []
    for number, (json_path, dialect) in enumerate(bbt_cases()):
        name = f"case{number}"
        collection = zotero.add_collection(name)
        for item in load_items(json_path):
            zotero.add_item(**as_item_data(item, collection))
        folder = tmp_path / name
        folder.mkdir()
        monkeypatch.chdir(folder)
        result = CliRunner().invoke(cli, ["pull", "--collection", name, "-o", "out.bib",
                                          "-f", dialect], env=env)
        assert result.exit_code == 0, (json_path.name, result.stderr, result.exception)
        ours = parse_bib((folder / "out.bib").read_text())
        theirs = parse_bib(json_path.with_suffix("." + dialect).read_text("utf-8"))
        config = json.loads(json_path.read_text("utf-8"))["config"]
        skipped = {f.strip() for f in config["preferences"].get("skipFields", "").split(",")}
        for key, mine_entry in ours.items():
            bbt_entry = theirs.get(key) or pair(mine_entry, theirs)  # pinned keys come through
            if bbt_entry is None:
                continue
            for field in set(COMPARED) - skipped:
                mine, bbt = mine_entry.get(field), bbt_entry.get(field)
                if mine is not None or bbt is not None:
                    rows.append((key, field, norm(field, bbt or ""), norm(field, mine or "")))
    misses = [row for row in rows if row[2] != row[3]]
    agreement = 1 - len(misses) / len(rows)
    print(f"pulled BBT library: {len(rows) - len(misses)} of {len(rows)} fields agree "
          f"({agreement:.1%})")
    assert len(rows) > 500
    assert agreement >= 0.98, misses[:20]
