"""The composition root: settings + plugins + adapters, wired for the use cases.

A thin facade so that Python users get what the CLI gets without the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .cache import WorkCache
from .citekeys import assign_keys, identity
from .config import Settings, Target, load_settings, save_user_setting
from .errors import ConfigError
from .lockfile import LOCK_FILE, Lock
from .mirror import LibraryView, Mirror, sync_mirror
from .model import Reference
from .plugins import Registry, make_plugin_manager
from .resolve import Resolution, resolve_inputs
from .secrets import load_api_key, store_api_key
from .snapshot import SnapshotLibrary
from .sync import PullPlan, apply_pull, plan_pull
from .zotero import ZoteroClient

__all__ = ["Refsync"]


@dataclass
class Refsync:
    """refsync as a library: ``Refsync.from_config().resolve(["10.1038/nrc3239"])``."""

    settings: Settings
    registry: Registry
    _lock: Lock = field(default_factory=Lock, repr=False)

    @classmethod
    def from_config(
        cls,
        *,
        project: Path | None = None,
        cwd: Path | None = None,
        overrides: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
        entrypoints: bool = True,
    ) -> Refsync:
        settings = load_settings(project=project, cwd=cwd, overrides=overrides, environ=environ)
        pm = make_plugin_manager(entrypoints=entrypoints)
        return cls(settings, Registry.from_plugin_manager(pm, settings))

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

    def plan_pull(
        self, targets: Sequence[Target] | None = None, *, force: bool = False
    ) -> list[PullPlan]:
        """Plan every target (all of refsync.toml's by default) without writing anything.

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
        self._lock = Lock.load(self.project_dir / LOCK_FILE)
        views: dict[str, LibraryView] = {}
        plans = []
        for target in targets:
            view = self._library_view(target, views)
            plans.append(plan_pull(
                target,
                items=view.items(),
                collections=view.collections(),
                path=self.project_dir / target.output,
                lock=self._lock,
                exporter=self.registry.exporter(target.format or self.settings.format),
                formatter=self.registry.key_formatter(self.settings.citekey),
                source=target.snapshot or view.library,
                force=force,
            ))
        return plans

    def apply_pull(self, plans: Sequence[PullPlan]) -> None:
        """Write the planned files (each atomically, only if changed), then the lock."""
        for plan in plans:
            apply_pull(plan, self._lock)
        self._lock.save(self.project_dir / LOCK_FILE)

    def _library_view(self, target: Target, opened: dict[str, LibraryView]) -> LibraryView:
        if target.snapshot:
            name = f"snapshot:{target.snapshot}"
            if name not in opened:
                opened[name] = SnapshotLibrary.load(self.project_dir / target.snapshot)
            return opened[name]
        zotero = self.settings.zotero
        library = target.library or zotero.library or ("user:0" if zotero.local else "")
        if not library:
            raise ConfigError(
                "no Zotero library configured",
                hint="set [zotero] library = 'user:ID' or 'group:ID', or run 'refsync login'",
            )
        if library not in opened:
            api_key = None if zotero.local else load_api_key(zotero.url)
            if not zotero.local and api_key is None:
                raise ConfigError(
                    f"no Zotero API key for {zotero.url}",
                    hint="run 'refsync login', or set ZOTERO_API_KEY",
                )
            mirror = Mirror.open(self.settings.cache_dir, library, local=zotero.local)
            with ZoteroClient(zotero, api_key, library=library) as client:
                sync_mirror(client, mirror)
            opened[library] = mirror
        return opened[library]

    def login(self, api_key: str) -> tuple[str, str]:
        """Check the key against the configured Zotero server, store it in the keyring, and
        remember the key's own user library when none is configured.

        :returns: the library (``user:ID``) and the keyring backend's name.
        :raises ZoteroAuthError: for a key the server refuses; nothing is stored then.
        :raises SecretStoreError: when no keyring exists (the message explains ZOTERO_API_KEY).
        """
        zotero = self.settings.zotero
        with ZoteroClient(replace(zotero, local=False), api_key,
                          library=zotero.library or "user:0") as client:
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
        return exporter.export({keys[identity(ref)]: ref for ref in refs})
