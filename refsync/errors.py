"""The exception tree; every error refsync raises on purpose is one of these.

    RefsyncError                 base; .hint says what to do; exit code 1
    ├── ConfigError              invalid settings or refsync.toml; exit code 2
    ├── PluginError              a plugin failed to load, or a name is unknown or taken twice
    ├── InvalidDOIError          the input cannot be a DOI (also a ValueError)
    ├── NotFoundError            no resolver knows the DOI; no such collection or tag
    ├── BibParseError            a .bib file cannot be read
    ├── RemoteError              a service failed: .service, .url, .status, .retry_after
    │   ├── CrossrefError
    │   └── ZoteroError
    │       ├── ZoteroAuthError  401/403: the API key is wrong or lacks access
    │       ├── ZoteroVersionConflictError   412: the library moved on since it was read
    │       ├── ZoteroDeleteLogExpiredError  409 to /deleted: only a full sync can tell
    │       └── ZoteroWriteUncertainError    a write's answer was lost: it may have landed
    ├── LocalFileError           a local file cannot be read or written (names the path)
    ├── SecretStoreError         no usable keyring backend
    └── SyncConflictError        the .bib was edited by hand and Zotero changed the same entry;
                                 exit code 4

Imports nothing from refsync: every other module may raise these.
"""

from __future__ import annotations


class RefsyncError(Exception):
    """Base class; carries a one-line message and an optional hint for the user."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ConfigError(RefsyncError):
    """Raised when settings or a refsync.toml are invalid; the message names the file and key."""

    exit_code = 2


class PluginError(RefsyncError):
    """Raised when a plugin fails to import, registers a taken name, or a name is unknown."""


class InvalidDOIError(RefsyncError, ValueError):
    """Raised when a text cannot be read as a DOI."""


class NotFoundError(RefsyncError):
    """Raised when no resolver knows a DOI, or a collection or tag does not exist."""


class BibParseError(RefsyncError):
    """Raised when a .bib file, or one entry of it, cannot be parsed; ``line`` and ``key`` say
    where, so a report can list it beside the entries that were read."""

    def __init__(self, message: str, *, hint: str | None = None, line: int = 0,
                 key: str = "") -> None:
        super().__init__(message, hint=hint)
        self.line = line
        self.key = key


class RemoteError(RefsyncError):
    """Raised when a remote service fails after retries; names the service and URL."""

    def __init__(
        self,
        message: str,
        *,
        service: str,
        url: str = "",
        status: int | None = None,
        retry_after: float | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.service = service
        self.url = url
        self.status = status
        self.retry_after = retry_after


class CrossrefError(RemoteError):
    """Raised when the Crossref REST API fails (5xx, timeouts, rate limits past our patience)."""


class ZoteroError(RemoteError):
    """Raised when the Zotero API fails."""


class ZoteroAuthError(ZoteroError):
    """Raised on 401/403 from Zotero: the key is wrong, revoked or lacks access to the library."""


class ZoteroVersionConflictError(ZoteroError):
    """Raised on 412 to a write: someone wrote to the library after refsync read it, so what
    refsync decided may be stale; read again and decide again."""


class ZoteroWriteUncertainError(ZoteroError):
    """Raised when a write's answer was lost or was a server error (a timeout, a reset, a
    500): the server may or may not have acted. Sending it again blindly could make a twin;
    read the library and settle what landed first (the write journal's job)."""


class ZoteroDeleteLogExpiredError(ZoteroError):
    """Raised when the server no longer remembers deletions that far back (409 to
    ``/deleted?since=``): only a full sync can tell what is gone."""


class LocalFileError(RefsyncError):
    """Raised when a file of the user's (an output, an existing .bib) cannot be read or
    written: permissions, a folder where a file should be, text that is not UTF-8."""


def cache_unusable(path: object, exc: Exception) -> LocalFileError:
    """The error for a cache file refsync cannot create or open: a read-only folder, a file
    where a folder should be, a ``cache_dir`` on a path that does not exist."""
    reason = getattr(exc, "strerror", None) or str(exc)
    return LocalFileError(f"cannot use the cache file {path} ({reason})",
                          hint="make its folder writable, or set cache_dir (or "
                               "REFSYNC_CACHE_DIR) to a folder you can write")


class SecretStoreError(RefsyncError):
    """Raised when no keyring backend can store or read the API key."""


class SyncConflictError(RefsyncError):
    """Raised when a hand edit and a Zotero change touch the same .bib entry."""

    exit_code = 4
