"""refsync: keep a LaTeX manuscript's bibliography in step with a Zotero library.

The public API is what ``__all__`` lists; each name is imported from its module on first use
(``_HOMES``), so ``import refsync`` stays cheap for plugins and for the CLI's start-up.
"""

import importlib

#: ``typing`` takes 3 ms to import, twice the rest of this file, and Ctrl-C in that time cannot be
#: caught yet (refsync.__main__); mypy reads the name TYPE_CHECKING as true wherever it is set
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from refsync.__version__ import __version__
    from refsync.app import Refsync
    from refsync.config import Settings, Target, load_settings
    from refsync.errors import (
        BibParseError,
        ConfigError,
        CrossrefError,
        InvalidDOIError,
        LocalFileError,
        NotFoundError,
        PluginError,
        RefsyncError,
        RemoteError,
        SecretStoreError,
        SyncConflictError,
        ZoteroAuthError,
        ZoteroDeleteLogExpiredError,
        ZoteroError,
        ZoteroVersionConflictError,
        ZoteroWriteUncertainError,
    )
    from refsync.hookspecs import (
        EntryExporter,
        Exporter,
        KeyFormatter,
        Match,
        Matcher,
        Resolver,
        hookimpl,
    )
    from refsync.model import Collection, Creator, PartialDate, Reference
    from refsync.model.doi import extract_dois, normalize_doi
del TYPE_CHECKING  # not a public name

#: public name → the module that defines it; imported on first use, so ``import refsync`` is
#: cheap for plugins and leaves the CLI's entry point (refsync.__main__) in charge almost at once
_HOMES = {
    **dict.fromkeys(["Settings", "Target", "load_settings"], "refsync.config"),
    **dict.fromkeys([
        "BibParseError", "ConfigError", "CrossrefError", "InvalidDOIError", "LocalFileError",
        "NotFoundError", "PluginError", "RefsyncError", "RemoteError", "SecretStoreError",
        "SyncConflictError", "ZoteroAuthError", "ZoteroDeleteLogExpiredError", "ZoteroError",
        "ZoteroVersionConflictError", "ZoteroWriteUncertainError"], "refsync.errors"),
    **dict.fromkeys(["EntryExporter", "Exporter", "KeyFormatter", "Match", "Matcher",
                     "Resolver", "hookimpl"], "refsync.hookspecs"),
    **dict.fromkeys(["Collection", "Creator", "PartialDate", "Reference"], "refsync.model"),
    **dict.fromkeys(["extract_dois", "normalize_doi"], "refsync.model.doi"),
    "Refsync": "refsync.app",
    "__version__": "refsync.__version__",  # importlib.metadata alone takes 20-40 ms
}

__all__ = [
    "BibParseError",
    "Collection",
    "ConfigError",
    "Creator",
    "CrossrefError",
    "EntryExporter",
    "Exporter",
    "InvalidDOIError",
    "KeyFormatter",
    "LocalFileError",
    "Match",
    "Matcher",
    "NotFoundError",
    "PartialDate",
    "PluginError",
    "Reference",
    "Refsync",
    "RefsyncError",
    "RemoteError",
    "Resolver",
    "SecretStoreError",
    "Settings",
    "SyncConflictError",
    "Target",
    "ZoteroAuthError",
    "ZoteroDeleteLogExpiredError",
    "ZoteroError",
    "ZoteroVersionConflictError",
    "ZoteroWriteUncertainError",
    "__version__",
    "extract_dois",
    "hookimpl",
    "load_settings",
    "normalize_doi",
]


def __getattr__(name: str) -> "Any":
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'refsync' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # once: later look-ups do not come here
    return value
