"""Plugin loading: a fresh pluggy manager per run, built-ins first, then entry points.

There is no global manager: the CLI builds one per invocation and tests build their own, so no
state leaks between runs. Every hook is called through ``pm.hook``, so tracing sees it and
hook wrappers wrap it, and every object a plugin returns is checked against its protocol
before refsync uses it.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import (
    EntryPoint,
    PackageNotFoundError,
    entry_points,
    packages_distributions,
    version,
)
from types import ModuleType
from typing import Any, TypeVar

import pluggy

from refsync import hookspecs
from refsync.config import Settings
from refsync.errors import PluginError
from refsync.hookspecs import Exporter, KeyFormatter, Matcher, Resolver

__all__ = [
    "DEFAULT_PLUGINS", "ENTRY_POINT_GROUP", "PluginInfo", "Registry", "make_plugin_manager",
    "plugin_infos",
]

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
    *,
    entrypoints: bool = True,
    extra: Mapping[str, object] | None = None,
    environ: Mapping[str, str] | None = None,
) -> pluggy.PluginManager:
    """Build a manager holding the built-ins, installed plugins and ``extra`` objects by name.

    ``REFSYNC_DISABLE_PLUGIN_AUTOLOAD=1`` skips entry points (the way out of a broken plugin);
    ``REFSYNC_TRACE_PLUGINS=1`` traces every hook call to stderr.

    :param environ: where those two variables are read (the process environment by default).
    :raises PluginError: when a plugin fails to import, a name is taken twice, or a plugin
        implements a hook refsync does not have.
    """
    env = os.environ if environ is None else environ
    pm = pluggy.PluginManager("refsync")
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        _register(pm, module_name, importlib.import_module(module_name))
    if entrypoints and not env.get("REFSYNC_DISABLE_PLUGIN_AUTOLOAD"):
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            _register(pm, f"entrypoint:{ep.name}", _load(ep))
    for name, obj in (extra or {}).items():
        _register(pm, name, obj)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"invalid plugin: {exc}",
                          hint="check the hook's spelling against refsync.hookspecs") from exc
    if env.get("REFSYNC_TRACE_PLUGINS"):
        pm.trace.root.setwriter(sys.stderr.write)
        pm.enable_tracing()
    return pm


def _load(ep: EntryPoint) -> object:
    try:
        return ep.load()
    except Exception as exc:  # any import failure must name the plugin
        raise PluginError(
            f"plugin '{ep.dist.name if ep.dist else ep.value}' (entry point "
            f"'{ep.name}') failed to import: {exc}",
            hint="uninstall it or set REFSYNC_DISABLE_PLUGIN_AUTOLOAD=1",
        ) from exc


def _register(pm: pluggy.PluginManager, name: str, plugin: object) -> None:
    try:
        pm.register(plugin, name=name)
    except ValueError as exc:  # pluggy: the name or the object is registered already
        raise PluginError(f"plugin '{name}' cannot be registered: {exc}",
                          hint="uninstall one of the two copies") from exc
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"invalid plugin '{name}': {exc}") from exc


@dataclass(frozen=True)
class PluginInfo:
    """One registered plugin, where it comes from, and the objects it brings."""

    name: str
    distribution: str
    version: str
    provides: tuple[str, ...] = ()


def plugin_infos(pm: pluggy.PluginManager, registry: Registry) -> list[PluginInfo]:
    """The registered plugins in registration order, each with its distribution, its version
    and the ``kind name`` of each object it registered."""
    owners = registry.owners()
    distributions = packages_distributions()  # reads every installed distribution: once
    result = []
    for name, plugin in pm.list_name_plugin():
        module = _module_of(plugin)
        dist = next(iter(distributions.get(module.split(".")[0], [])), "-")
        provides = tuple(f"{kind} {obj}" for (kind, obj), owner in owners.items()
                         if owner == module or owner.startswith(module + "."))
        result.append(PluginInfo(name, dist, _version(dist), provides))
    return result


def _module_of(obj: object) -> str:
    return obj.__name__ if isinstance(obj, ModuleType) else type(obj).__module__


def _version(dist: str) -> str:
    try:
        return version(dist)
    except (PackageNotFoundError, ValueError):
        return "-"


#: extension point → (hook, protocol, what users call it)
_POINTS: dict[str, tuple[str, type, str]] = {
    "resolvers": ("register_resolvers", Resolver, "resolver"),
    "exporters": ("register_exporters", Exporter, "format"),
    "key_formatters": ("register_key_formatters", KeyFormatter, "citation-key formula"),
    "matchers": ("register_matchers", Matcher, "matcher"),
}


@dataclass(frozen=True)
class Registry:
    """Named objects collected from every plugin, one mapping per extension point."""

    resolvers: Mapping[str, Resolver]
    exporters: Mapping[str, Exporter]
    key_formatters: Mapping[str, KeyFormatter]
    matchers: Mapping[str, Matcher]

    @classmethod
    def from_plugin_manager(cls, pm: pluggy.PluginManager, settings: Settings) -> Registry:
        """Collect objects through the hooks.

        :raises PluginError: for an object that is not what its hook promises, or a name
            claimed twice (naming the modules that define both).
        """
        return cls(**{field: _collect(getattr(pm.hook, hook)(settings=settings), protocol, kind)
                      for field, (hook, protocol, kind) in _POINTS.items()})

    def owners(self) -> dict[tuple[str, str], str]:
        """``(kind, name)`` → the module that defines the object's class."""
        return {(kind, name): type(obj).__module__
                for field, (_, _, kind) in _POINTS.items()
                for name, obj in getattr(self, field).items()}

    def resolver(self, name: str) -> Resolver:
        return _pick(self.resolvers, name, "resolver")

    def exporter(self, name: str) -> Exporter:
        return _pick(self.exporters, name, "format")

    def key_formatter(self, name: str) -> KeyFormatter:
        return _pick(self.key_formatters, name, "citation-key formula")


def _collect(results: Iterable[Iterable[Any] | None], protocol: type,
             kind: str) -> dict[str, Any]:
    """One mapping from the hook's results, in call order."""
    found: dict[str, Any] = {}
    for objects in results:
        for obj in objects or ():
            _check(obj, protocol, kind)
            if obj.name in found:
                raise PluginError(
                    f"{kind} '{obj.name}' is registered by both "
                    f"'{type(found[obj.name]).__module__}' and '{type(obj).__module__}'",
                    hint="uninstall one of the plugins",
                )
            found[obj.name] = obj
    return found


def _check(obj: object, protocol: type, kind: str) -> None:
    if not isinstance(obj, protocol):
        raise PluginError(
            f"{type(obj).__module__}.{type(obj).__qualname__} was registered as a {kind} "
            f"but is not a {protocol.__name__}",
            hint=f"give it what refsync.hookspecs.{protocol.__name__} lists")


def _pick(table: Mapping[str, T], name: str, kind: str) -> T:
    try:
        return table[name]
    except KeyError:
        known = ", ".join(sorted(table)) or "none"
        raise PluginError(f"unknown {kind} '{name}' (known: {known})") from None
