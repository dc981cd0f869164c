"""The composition root: settings + plugins + adapters, wired for the use cases.

A thin facade so that Python users get what the CLI gets without the CLI.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refsync.__version__ import __version__
from refsync.add import Candidate, ObjectResult, Outcome, add_references
from refsync.add.candidates import candidates_from_bib, completed
from refsync.config import Settings, Target, load_settings, save_user_setting
from refsync.errors import BibParseError, ConfigError, LocalFileError
from refsync.matching.index import Group
from refsync.matching.library import duplicate_groups
from refsync.model import Reference
from refsync.plugins import PluginInfo, Registry, make_plugin_manager, plugin_infos
from refsync.pull import Pull, PullPlan, plan_pull
from refsync.pull.keys import assign_keys
from refsync.pull.lock import LOCK_FILE, Lock
from refsync.pull.targets import collection_keys, select_items
from refsync.resolve import Resolution, resolve_inputs
from refsync.resolve.cache import WorkCache
from refsync.zotero.apikey import load_api_key, store_api_key
from refsync.zotero.client import (
    LOCAL_USER_LIBRARY,
    MAX_KEYS,
    ZoteroClient,
    default_library,
)
from refsync.zotero.journal import WriteJournal
from refsync.zotero.mirror import LibraryView, Mirror
from refsync.zotero.snapshot import SnapshotLibrary
from refsync.zotero.sync import sync_mirror

if TYPE_CHECKING:  # the manager is built in refsync.plugins; the app only holds it
    import pluggy

__all__ = ["Refsync"]

_log = logging.getLogger("refsync")


@dataclass
class Refsync:
    """refsync as a library: ``Refsync.from_config().resolve(["10.1038/nrc3239"])``."""

    settings: Settings
    registry: Registry
    plugin_manager: pluggy.PluginManager | None = None
    #: where the API key variable is read (the process environment when ``None``)
    environ: Mapping[str, str] | None = None

    @classmethod
    def from_config(
        cls,
        *,
        project: Path | None = None,
        cwd: Path | None = None,
        overrides: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
        entrypoints: bool = True,
        plugins: pluggy.PluginManager | None = None,
    ) -> Refsync:
        """Settings from the usual places, objects from every plugin.

        :param plugins: a manager already built (the CLI's, which also added the plugins'
            commands), so plugins load once per run; built here when not given.
        """
        settings = load_settings(project=project, cwd=cwd, overrides=overrides, environ=environ)
        pm = plugins or make_plugin_manager(entrypoints=entrypoints, environ=environ)
        return cls(settings, Registry.from_plugin_manager(pm, settings), pm, environ)

    def plugins(self) -> list[PluginInfo]:
        """The plugins this run loaded, where they come from and what each brings."""
        return plugin_infos(self.plugin_manager, self.registry) if self.plugin_manager else []

    def resolve(
        self,
        inputs: Sequence[str],
        *,
        refresh: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> list[Resolution]:
        """Resolve DOIs (any pasted form, or free text holding DOIs); one result per DOI found,
        in input order, with errors per input instead of exceptions."""
        resolvers = [self.registry.resolver(name) for name in self.settings.resolvers]
        with WorkCache.from_settings(self.settings) as cache:
            return resolve_inputs(inputs, resolvers, cache, refresh=refresh, progress=progress)

    @property
    def project_dir(self) -> Path:
        return self.settings.project_dir or Path.cwd()

    def plan_pull(self, targets: Sequence[Target] | None = None, *, force: bool = False) -> Pull:
        """Plan every target (all of refsync.toml's by default) without writing anything;
        ``.apply()`` on the result writes them.

        Each library is synced into its mirror once, however many targets read it. All plans
        are made before any file is written, so a conflict in one target writes nothing at all.

        :raises ConfigError: when there is nothing to pull.
        """
        targets = list(targets if targets is not None else self.settings.targets)
        if not targets:
            raise ConfigError(
                "nothing to pull: no [[target]] in refsync.toml",
                hint="run 'refsync init', or give --collection/--tag and --output",
            )
        lock_path = self.project_dir / LOCK_FILE
        lock = Lock.load(lock_path)
        views: dict[str, LibraryView] = {}
        with ExitStack() as stack:
            plans = [self._plan_target(target, self._library_view(target, stack, views), lock,
                                       force) for target in targets]
        return Pull(plans, lock, lock_path)

    def _plan_target(self, target: Target, view: LibraryView, lock: Lock,
                     force: bool) -> PullPlan:
        collections = view.collections()
        # a collection's items come from the membership index; a tag filter needs the whole
        # library, to tell an unknown tag from one that selects nothing here
        items = (view.items_in(collection_keys(target.collection, collections,
                                               target.subcollections))
                 if target.collection and not target.tags else view.items())
        path = self.project_dir / target.output
        try:
            current = path.read_text(encoding="utf-8") if path.is_file() else None
        except (OSError, UnicodeDecodeError) as exc:
            reason = ("it is not UTF-8 text" if isinstance(exc, UnicodeDecodeError)
                      else exc.strerror or str(exc))
            raise LocalFileError(
                f"cannot read '{path}' ({reason})",
                hint="convert it to UTF-8 (e.g. iconv -f latin1 -t utf-8), or move it away "
                     "and pull again") from exc
        return plan_pull(
            target,
            items=items,
            collections=collections,
            path=path,
            current=current,
            lock=lock,
            exporter=self.registry.exporter(target.format or self.settings.format),
            formatter=self.registry.key_formatter(self.settings.citekey),
            source=target.snapshot or view.library,
            producer=f"refsync {__version__}",
            force=force,
        )

    def _library_view(self, target: Target, stack: ExitStack,
                      opened: dict[str, LibraryView]) -> LibraryView:
        """The target's snapshot, or its library's mirror synced once per run; ``stack``
        closes what was opened."""
        name = (f"snapshot:{target.snapshot}" if target.snapshot
                else self._library_name(target.library))
        if name not in opened:
            if target.snapshot:
                opened[name] = SnapshotLibrary.load(self.project_dir / target.snapshot)
            else:
                client, mirror = self._synced_mirror(name)
                stack.enter_context(client)
                opened[name] = stack.enter_context(mirror)
        return opened[name]

    def _library_name(self, library: str = "") -> str:
        name = library or default_library(self.settings.zotero)
        if not name:
            raise ConfigError(
                "no Zotero library configured",
                hint="set [zotero] library = 'user:ID' or 'group:ID', or run 'refsync login'",
            )
        return name

    def _synced_mirror(self, library: str) -> tuple[ZoteroClient, Mirror]:
        """A client for the library and its mirror, brought up to date (one request when
        nothing changed). The caller closes both."""
        zotero = self.settings.zotero
        api_key = None if zotero.local else load_api_key(zotero.url, self.environ)
        if not zotero.local and api_key is None:
            raise ConfigError(
                f"no Zotero API key for {zotero.url}",
                hint="run 'refsync login', or set ZOTERO_API_KEY",
            )
        client = ZoteroClient(zotero, api_key, library=library)
        try:
            mirror = Mirror.open(self.settings.cache_dir, client.url, library)
        except BaseException:
            client.close()
            raise
        try:
            _log.info("%s", sync_mirror(client, mirror).summary())
        except BaseException:
            client.close()
            mirror.close()
            raise
        return client, mirror

    def add(
        self,
        candidates: Sequence[Candidate],
        *,
        collection: str = "",
        tags: Sequence[str] = (),
        dry_run: bool = False,
    ) -> list[Outcome]:
        """Add works to the library unless they are already there (then file them into
        ``collection`` and ``tags``); one outcome per candidate, in order."""
        client, mirror = self._synced_mirror(self._library_name())
        with client, mirror, WriteJournal.open(self.settings.cache_dir, client.url,
                                               mirror.library) as journal:
            collection_key = (
                next(iter(collection_keys(collection, mirror.collections())))
                if collection else ""
            )
            return add_references(
                candidates, _MirrorWriter(client, mirror), journal,
                matchers=list(self.registry.matchers.values()),
                collection=collection_key, tags=tags, dry_run=dry_run,
            )

    def candidates_from_dois(
        self, inputs: Sequence[str], *, refresh: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> list[Candidate]:
        """Resolve inputs for :meth:`add`; an input naming several DOIs gives one candidate
        per DOI, named by its DOI."""
        results = self.resolve(inputs, refresh=refresh, progress=progress)
        per_input = Counter(r.input for r in results)
        return [Candidate(r.input if per_input[r.input] == 1 else r.doi, r.reference, r.error)
                for r in results]

    def candidates_from_bib(self, path: Path, *, enrich: bool = False) -> list[Candidate]:
        """Read a .bib for :meth:`add`: one candidate per entry in file order, named by its
        key; entries that cannot be read become failed candidates naming their line. With
        ``enrich``, entries with a DOI are completed from Crossref (the file's values win).

        :raises BibParseError: when the file cannot be read at all.
        """
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BibParseError(f"cannot read '{path}' ({exc})",
                                hint="give a UTF-8 encoded .bib file") from exc
        candidates = candidates_from_bib(text, str(path), path.name)
        if not enrich:
            return candidates
        # imported DOIs are already normalised, as resolve() keys its results
        dois = [c.reference.doi for c in candidates if c.reference and c.reference.doi]
        return completed(candidates, {r.doi: r.reference for r in self.resolve(dois)
                                      if r.reference})

    def duplicates(self, target: Target | None = None) -> list[Group]:
        """Groups of library items that are one work (within ``target``'s selection: a
        collection, tags, another library or a snapshot)."""
        target = target or Target()
        with ExitStack() as stack:
            view = self._library_view(target, stack, {})
            items = select_items(target, view.items(), view.collections())
        return duplicate_groups(items, list(self.registry.matchers.values()))

    def login(self, api_key: str) -> tuple[str, str]:
        """Check the key against the configured Zotero server, store it in the keyring, and
        remember the key's own user library when none is configured.

        :returns: the library (``user:ID``) and the keyring backend's name.
        :raises ZoteroAuthError: for a key the server refuses; nothing is stored then.
        :raises SecretStoreError: when no keyring exists (the message explains ZOTERO_API_KEY).
        """
        zotero = self.settings.zotero
        # /keys/current names no library: the user's own id will do until the key tells it
        with ZoteroClient(replace(zotero, local=False), api_key,
                          library=zotero.library or LOCAL_USER_LIBRARY) as client:
            info = client.key_info()
        library = f"user:{info['userID']}"
        backend = store_api_key(zotero.url, api_key)
        if not zotero.library:
            save_user_setting("zotero.library", library)
        return zotero.library or library, backend

    def render(self, refs: Sequence[Reference], fmt: str | None = None) -> str:
        """Render records with fresh, collision-free keys from the configured formula."""
        exporter = self.registry.exporter(fmt or self.settings.format)
        keys = assign_keys(refs, self.registry.key_formatter(self.settings.citekey))
        return exporter.export({keys[ref.identity]: ref for ref in refs})


class _MirrorWriter:
    """The library as :func:`add_references` sees it: the mirror for reading, the client for
    writing, each write guarded by the last library version this run saw."""

    batch = MAX_KEYS

    def __init__(self, client: ZoteroClient, mirror: Mirror) -> None:
        self._client, self._mirror = client, mirror
        self._version = mirror.version or 0

    def items(self) -> list[Reference]:
        return self._mirror.items()

    def has(self, key: str) -> bool:
        return self._mirror.item(key) is not None

    def refresh(self) -> None:
        sync_mirror(self._client, self._mirror)
        self._version = self._mirror.version or 0

    def write(self, payloads: Sequence[Mapping[str, Any]]) -> list[ObjectResult]:
        report = self._client.create_items(payloads, library_version=self._version)
        self._version = report.version
        results = []
        for i, payload in enumerate(payloads):
            if i in report.failed:
                failure = report.failed[i]
                results.append(ObjectResult(
                    False, failure.key or payload.get("key", ""),
                    f"{failure.code} {failure.message}", failure.already_exists,
                    failure.permanent))
            else:
                results.append(ObjectResult(True, str(payload.get("key", ""))))
        return results
