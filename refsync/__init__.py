"""refsync: keep a LaTeX manuscript's bibliography in step with a Zotero library.

The public API is what ``__all__`` lists. ``Refsync`` (the facade over settings, plugins and
adapters) is imported on first use, so ``import refsync`` stays cheap for plugins.
"""

import typing

from refsync.__version__ import __version__
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

if typing.TYPE_CHECKING:
    from refsync.app import Refsync

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


def __getattr__(name: str) -> typing.Any:
    if name == "Refsync":
        from refsync.app import Refsync

        return Refsync
    raise AttributeError(f"module 'refsync' has no attribute {name!r}")
