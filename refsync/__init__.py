"""refsync: keep a LaTeX manuscript's bibliography in step with a Zotero library.

The public API is what ``__all__`` lists. ``Refsync`` (the facade over settings, plugins and
adapters) is imported on first use, so ``import refsync`` stays cheap for plugins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from refsync.__version__ import __version__
from refsync.config import Settings, Target, load_settings
from refsync.errors import (
    ConfigError,
    CrossrefError,
    InvalidDOIError,
    NotFoundError,
    PluginError,
    RefsyncError,
    RemoteError,
    SyncConflictError,
    ZoteroAuthError,
    ZoteroError,
)
from refsync.hookspecs import Exporter, KeyFormatter, Match, Matcher, Resolver, hookimpl
from refsync.model import Creator, PartialDate, Reference
from refsync.model.doi import extract_dois, normalize_doi

if TYPE_CHECKING:
    from refsync.app import Refsync

__all__ = [
    "ConfigError",
    "Creator",
    "CrossrefError",
    "Exporter",
    "InvalidDOIError",
    "KeyFormatter",
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
    "Settings",
    "SyncConflictError",
    "Target",
    "ZoteroAuthError",
    "ZoteroError",
    "__version__",
    "extract_dois",
    "hookimpl",
    "load_settings",
    "normalize_doi",
]


def __getattr__(name: str) -> Any:
    if name == "Refsync":
        from refsync.app import Refsync

        return Refsync
    raise AttributeError(f"module 'refsync' has no attribute {name!r}")
