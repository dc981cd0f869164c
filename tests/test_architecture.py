"""The import rules that keep the core pure and the adapters at the edge (style.md §7)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "refsync"
CORE = ["model", "doi", "errors", "select", "merge", "citekeys", "latex", "match", "gcpause",
        "chartable", "identifiers", "fingerprint", "evidence", "lockfile", "schema"]
ONLY_IN = {"click": {"cli"}, "pyzotero": {"zotero.client"}, "habanero": {"builtin.crossref"},
           "httpx2": {"zotero.client", "builtin.crossref"}, "keyring": {"zotero.apikey"}}


def imports_of(module: str) -> set[str]:
    path = PACKAGE / (module.replace(".", "/") + ".py")
    found: set[str] = set()
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):  # imports only for type checkers do not count
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ("refsync." if node.level else "") + (node.module or "")
            found.add(base)
    return found


def all_modules() -> list[str]:
    return sorted(str(p.relative_to(PACKAGE).with_suffix("")).replace("/", ".")
                  for p in PACKAGE.rglob("*.py") if p.name != "__init__.py")


@pytest.mark.parametrize("module", [m for m in CORE if (PACKAGE / f"{m}.py").exists()])
def test_core_knows_nothing_of_http_files_or_terminal(module: str) -> None:
    outside = {i.split(".")[0] for i in imports_of(module) if not i.startswith("refsync")}
    assert not outside & {"click", "pyzotero", "habanero", "httpx2", "sqlite3", "keyring",
                          "requests", "socket", "urllib3"}


@pytest.mark.parametrize("module", all_modules())
def test_third_party_clients_stay_in_their_adapter(module: str) -> None:
    for library, owners in ONLY_IN.items():
        if any(i == library or i.startswith(library + ".") for i in imports_of(module)):
            assert module in owners, f"{module} imports {library}"


@pytest.mark.parametrize("module", all_modules())
def test_nothing_imports_the_cli_or_the_composition_root(module: str) -> None:
    if module in {"cli", "__main__"}:
        return
    assert "refsync.cli" not in imports_of(module)
    if module != "cli":
        assert "refsync.app" not in imports_of(module)
