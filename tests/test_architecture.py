"""The layers of refsync, enforced: which part may import which, and who may use which outside
library.

The map goes by path prefix, so a module added or moved without a place in it fails here
instead of slipping past the rules. Imports inside functions count (a lazy import is still a
dependency); imports under ``if TYPE_CHECKING:`` do not (they never run).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "refsync"

#: module prefix (dotted, below ``refsync``) → layer; the longest matching prefix wins, and the
#: prefix itself is the module's unit (imports inside one unit are free)
LAYERS = {
    "__init__": "api",  # the public face, refsync/__init__.py
    "__main__": "cli",
    "cli": "cli",
    "app": "app",
    "add": "usecase",
    "pull": "usecase",
    "resolve": "usecase",
    "resolve.cache": "adapter",
    "zotero": "adapter",
    "hookspecs": "contract",
    "plugins": "contract",
    "config": "config",
    "matching": "matching",
    "bib": "bib",
    "model": "model",
    "errors": "base",
    "__version__": "base",
    "util": "util",
}
LAYERS |= {f"builtin.{p.stem}": "builtin" for p in (PACKAGE / "builtin").iterdir()
           if p.stem != "__init__" and (p.suffix == ".py" or (p / "__init__.py").exists())}
LAYERS["builtin"] = "builtin"

#: layer → the layers its modules may import (downwards only; a layer's other units only where
#: it says so)
MAY_IMPORT: Mapping[str, frozenset[str]] = {
    layer: frozenset(below.split()) for layer, below in {
        "api": "app contract config model base",
        "cli": "cli app contract config model base util",
        "app": "usecase adapter contract config matching bib model base util",
        "usecase": "contract config matching bib model base util",
        "adapter": "config model base util",
        "builtin": "contract config matching bib model base util",
        "contract": "contract config model base",
        "config": "base util",
        "matching": "contract bib model base util",
        "bib": "model base util",
        "model": "model base",
        "base": "",
        "util": "",
    }.items()
}

#: the pure core: no I/O, and nothing it reaches, however indirectly, does any (it may reach
#: the contract's types and the helpers of util/ that do no I/O)
PURE = frozenset({"matching", "bib", "model", "base"})
IMPURE_STDLIB = frozenset({"sqlite3", "socket", "http", "urllib.request", "subprocess",
                           "tempfile", "shutil", "threading", "concurrent"})

#: layer → the outside libraries (not the standard library) it may import
THIRD_PARTY = {
    "cli": {"click"},
    "adapter": {"pyzotero", "httpx2", "keyring"},
    "builtin": {"httpx2", "habanero"},
    "contract": {"pluggy"},
    "config": {"platformdirs"},
    "matching": {"rapidfuzz", "pylatexenc"},
    "bib": {"bibtexparser", "pylatexenc"},
}
#: libraries with one owner inside their layer
OWNERS = {
    "click": {"cli"},
    "pyzotero": {"zotero.client"},
    "keyring": {"zotero.apikey"},
    "habanero": {"builtin.crossref"},
    "httpx2": {"zotero.client", "builtin.crossref"},
    "sqlite3": {"zotero.mirror", "zotero.journal", "resolve.cache"},
}


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts == ("__init__",):
        return "__init__"
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


SOURCES = {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
MODULES = sorted(SOURCES)


def unit_of(module: str) -> tuple[str, str]:
    """``(unit, layer)``: the longest prefix of the map that covers the module, else blanks."""
    for prefix in sorted(LAYERS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return prefix, LAYERS[prefix]
    return "", ""


def imports(module: str, source: str) -> set[str]:
    """What ``module`` imports: first-party modules as ``refsync.x.y``, others by full name."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    is_package = module == "__init__" or SOURCES[module].name == "__init__.py"
    here = [] if module == "__init__" else module.split(".")
    package = ["refsync", *(here if is_package else here[:-1])]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            anchor = package[: len(package) - node.level + 1] if node.level else []
            base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:  # `from refsync import app` imports the module refsync.app
                sub = f"{base}.{alias.name}"
                found.add(sub if _first_party(sub) in SOURCES else base)
    return found


def _first_party(name: str) -> str:
    """``refsync.x.y`` → ``x.y``; ``refsync`` → ``__init__``; anything else → ``""``."""
    if name == "refsync":
        return "__init__"
    return name.removeprefix("refsync.") if name.startswith("refsync.") else ""


@cache
def graph() -> dict[str, frozenset[str]]:
    return {m: frozenset(imports(m, SOURCES[m].read_text(encoding="utf-8"))) for m in MODULES}


def layer_breaks(module: str, edges: Mapping[str, frozenset[str]]) -> Iterator[str]:
    """Each import of ``module`` that the map forbids, said as a sentence."""
    unit, layer = unit_of(module)
    for name in sorted(edges[module]):
        target = _first_party(name)
        if not target:
            continue
        if target not in SOURCES:
            yield f"{module} imports {name}, which does not exist"
            continue
        target_unit, target_layer = unit_of(target)
        if target_unit != unit and target_layer not in MAY_IMPORT[layer]:
            yield f"{module} ({layer}) imports {target} ({target_layer})"


def library_breaks(module: str, edges: Mapping[str, frozenset[str]]) -> Iterator[str]:
    """Each outside library ``module`` imports that its layer or the library's owner forbids."""
    _, layer = unit_of(module)
    for name in sorted(edges[module]):
        if _first_party(name):
            continue
        top = name.split(".")[0]
        if top in OWNERS and not any(module == o or module.startswith(o + ".")
                                     for o in OWNERS[top]):
            yield f"{module} imports {top}, which belongs to {sorted(OWNERS[top])}"
        elif top not in sys.stdlib_module_names and top not in THIRD_PARTY.get(layer, ()):
            yield f"{module} ({layer}) imports the outside library {top}"


def reach(module: str, edges: Mapping[str, frozenset[str]]) -> set[str]:
    """Every first-party module that importing ``module`` loads, through any chain."""
    seen, todo = {module}, [module]
    while todo:
        for name in edges[todo.pop()]:
            target = _first_party(name)
            if target in SOURCES and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def purity_breaks(module: str, edges: Mapping[str, frozenset[str]]) -> Iterator[str]:
    """For a module of the pure core: what it reaches that is not pure, or does I/O."""
    for reached in sorted(reach(module, edges)):
        _, layer = unit_of(reached)
        if layer not in PURE | {"contract", "util"}:
            yield f"{module} reaches {reached} ({layer})"
        for name in sorted(edges[reached]):
            if any(name == bad or name.startswith(bad + ".") for bad in IMPURE_STDLIB):
                yield f"{module} reaches {name} through {reached}"


def test_the_map_covers_every_module_and_names_only_known_layers() -> None:
    assert [m for m in MODULES if not unit_of(m)[0]] == []
    assert set(LAYERS.values()) <= set(MAY_IMPORT)
    assert {layer for layers in MAY_IMPORT.values() for layer in layers} <= set(MAY_IMPORT)


@pytest.mark.parametrize("module", MODULES)
def test_imports_run_downwards_between_layers(module: str) -> None:
    assert list(layer_breaks(module, graph())) == []


@pytest.mark.parametrize("module", MODULES)
def test_outside_libraries_stay_with_their_layer_and_owner(module: str) -> None:
    assert list(library_breaks(module, graph())) == []


@pytest.mark.parametrize("module", [m for m in MODULES if unit_of(m)[1] in PURE])
def test_the_pure_core_reaches_no_adapter_and_no_io(module: str) -> None:
    assert list(purity_breaks(module, graph())) == []


def test_the_rules_catch_upward_and_sideways_imports() -> None:
    """The checks above can fail: inject the imports an architecture review once slipped past
    the old test (an adapter and the CLI into key assignment) and a few more."""
    injected = {
        "pull.keys": "from refsync.zotero.mirror import Mirror\nfrom refsync import cli\n",
        "model.reference": "import refsync.bib.latex\n",
        "builtin.bibtex": "from refsync.builtin.jsonformats import to_csl\n",
        "resolve": "from . import cache\n",
        "matching.index": "from ..app import Refsync\nimport sqlite3\n",
        "bib.reader": "import httpx2\n",
        "config": "from . import app\n",
    }
    edges = dict(graph())
    for module, extra in injected.items():
        source = SOURCES[module].read_text(encoding="utf-8") + "\n" + extra
        edges[module] = frozenset(imports(module, source))
    found = {m: [*layer_breaks(m, edges), *library_breaks(m, edges)] for m in injected}
    assert found == {
        "pull.keys": ["pull.keys (usecase) imports cli (cli)",
                      "pull.keys (usecase) imports zotero.mirror (adapter)"],
        "model.reference": ["model.reference (model) imports bib.latex (bib)"],
        "builtin.bibtex": ["builtin.bibtex (builtin) imports builtin.jsonformats (builtin)"],
        "resolve": ["resolve (usecase) imports resolve.cache (adapter)"],
        "matching.index": ["matching.index (matching) imports app (app)",
                           "matching.index imports sqlite3, which belongs to "
                           "['resolve.cache', 'zotero.journal', 'zotero.mirror']"],
        "bib.reader": ["bib.reader imports httpx2, which belongs to "
                       "['builtin.crossref', 'zotero.client']"],
        "config": ["config (config) imports app (app)"],
    }
    assert "matching.index reaches app (app)" in purity_breaks("matching.index", edges)
