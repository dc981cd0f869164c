"""Plugin loading: a fresh pluggy manager per run, built-ins first, then entry points.

There is no global manager: the CLI builds one per invocation and tests build their own, so no
state leaks between runs.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, TypeVar

import pluggy

from refsync import hookspecs
from refsync.config import Settings
from refsync.errors import PluginError
from refsync.hookspecs import Exporter, KeyFormatter, Matcher, Resolver

__all__ = ["DEFAULT_PLUGINS", "ENTRY_POINT_GROUP", "Registry", "make_plugin_manager"]

ENTRY_POINT_GROUP = "refsync"
DEFAULT_PLUGINS = (
    "refsync.builtin.crossref",
    "refsync.builtin.bibtex",
    "refsync.builtin.jsonformats",
    "refsync.builtin.bbt_keys",
    "refsync.builtin.matchers",
)

T = TypeVar("T")


def make_plugin_manager(
    *, entrypoints: bool = True, extra: Iterable[object] = ()
) -> pluggy.PluginManager:
    """Build a manager holding the built-ins, installed plugins and ``extra`` objects.

    ``REFSYNC_DISABLE_PLUGIN_AUTOLOAD=1`` skips entry points (the way out of a broken plugin);
    ``REFSYNC_TRACE_PLUGINS=1`` traces every hook call to stderr.

    :raises PluginError: when a plugin fails to import or implements an unknown hook.
    """
    pm = pluggy.PluginManager("refsync")
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    if entrypoints and not os.environ.get("REFSYNC_DISABLE_PLUGIN_AUTOLOAD"):
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            try:
                plugin = ep.load()
            except Exception as exc:  # any import failure must name the plugin
                raise PluginError(
                    f"plugin '{ep.dist.name if ep.dist else ep.value}' (entry point "
                    f"'{ep.name}') failed to import: {exc}",
                    hint="uninstall it or set REFSYNC_DISABLE_PLUGIN_AUTOLOAD=1",
                ) from exc
            pm.register(plugin, name=f"entrypoint:{ep.name}")
    for obj in extra:
        pm.register(obj)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"invalid plugin: {exc}") from exc
    if os.environ.get("REFSYNC_TRACE_PLUGINS"):
        pm.trace.root.setwriter(sys.stderr.write)
        pm.enable_tracing()
    return pm


@dataclass(frozen=True)
class Registry:
    """Named objects collected from every plugin, one mapping per extension point."""

    resolvers: Mapping[str, Resolver]
    exporters: Mapping[str, Exporter]
    key_formatters: Mapping[str, KeyFormatter]
    matchers: Mapping[str, Matcher]

    @classmethod
    def from_plugin_manager(cls, pm: pluggy.PluginManager, settings: Settings) -> Registry:
        """Collect objects; a name claimed twice is an error that names both plugins."""
        return cls(
            resolvers=_collect(pm, "register_resolvers", settings),
            exporters=_collect(pm, "register_exporters", settings),
            key_formatters=_collect(pm, "register_key_formatters", settings),
            matchers=_collect(pm, "register_matchers", settings),
        )

    def resolver(self, name: str) -> Resolver:
        return _pick(self.resolvers, name, "resolver")

    def exporter(self, name: str) -> Exporter:
        return _pick(self.exporters, name, "format")

    def key_formatter(self, name: str) -> KeyFormatter:
        return _pick(self.key_formatters, name, "citation-key formula")


def _collect(pm: pluggy.PluginManager, hook_name: str, settings: Settings) -> dict[str, Any]:
    found: dict[str, Any] = {}
    owner: dict[str, str] = {}
    hook = getattr(pm.hook, hook_name)
    for impl in reversed(hook.get_hookimpls()):  # registration order
        for obj in impl.function(settings=settings) or ():
            if obj.name in found:
                raise PluginError(
                    f"{hook_name}: name '{obj.name}' is registered by both "
                    f"'{owner[obj.name]}' and '{impl.plugin_name}'",
                    hint="uninstall one of the plugins",
                )
            found[obj.name] = obj
            owner[obj.name] = impl.plugin_name
    return found


def _pick(table: Mapping[str, T], name: str, kind: str) -> T:
    try:
        return table[name]
    except KeyError:
        known = ", ".join(sorted(table)) or "none"
        raise PluginError(f"unknown {kind} '{name}' (known: {known})") from None
