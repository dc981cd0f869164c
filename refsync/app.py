"""The composition root: settings + plugins + adapters, wired for the use cases.

A thin facade so that Python users get what the CLI gets without the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .cache import WorkCache
from .citekeys import assign_keys, identity
from .config import Settings, load_settings, save_user_setting
from .model import Reference
from .plugins import Registry, make_plugin_manager
from .resolve import Resolution, resolve_inputs
from .secrets import store_api_key
from .zotero import ZoteroClient

__all__ = ["Refsync"]


@dataclass
class Refsync:
    """refsync as a library: ``Refsync.from_config().resolve(["10.1038/nrc3239"])``."""

    settings: Settings
    registry: Registry

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
