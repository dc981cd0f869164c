"""Settings: defaults < user config < project refsync.toml < environment < explicit overrides.

Secrets are not settings: the Zotero API key comes from the keyring or ``ZOTERO_API_KEY``
(see ``secrets``) and never passes through here. Imports nothing from refsync but ``errors``.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import tomllib
import types
import typing
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import platformdirs

from refsync.errors import ConfigError
from refsync.util.atomic import write_atomic

__all__ = [
    "PROJECT_FILE",
    "CrossrefSettings",
    "Settings",
    "Target",
    "ZoteroSettings",
    "find_project_file",
    "load_settings",
    "read_table",
    "render_project_file",
    "save_user_setting",
    "user_config_file",
]

PROJECT_FILE = "refsync.toml"
T = TypeVar("T")


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True)
class CrossrefSettings:
    """How refsync talks to the Crossref REST API."""

    url: str = field(default="https://api.crossref.org", metadata=_help("API base URL"))
    mailto: str = field(default="", metadata=_help("contact address for Crossref's polite pool"))
    timeout: float = field(default=20.0, metadata=_help("seconds before a request times out"))
    max_age_days: float = field(default=90.0, metadata=_help("days a cached work stays fresh"))
    batch_size: int = field(default=60, metadata=_help("most DOIs asked for in one request"))
    retries: int = field(default=5, metadata=_help("attempts after a timeout, 429 or 5xx"))
    max_wait: float = field(default=60.0, metadata=_help(
        "longest wait a server may ask for (Retry-After) before refsync gives up"))


@dataclass(frozen=True)
class ZoteroSettings:
    """Which Zotero library refsync reads and writes, and where the API lives."""

    url: str = field(default="https://api.zotero.org", metadata=_help("Web API base URL"))
    library: str = field(default="", metadata=_help("'user:ID' or 'group:ID'"))
    local: bool = field(default=False, metadata=_help("use Zotero desktop's local API"))
    local_url: str = field(
        default="http://127.0.0.1:23119/api", metadata=_help("Zotero desktop's local API URL")
    )
    timeout: float = field(default=30.0, metadata=_help("seconds before a request times out"))
    retries: int = field(default=5, metadata=_help("attempts after a timeout, 429 or 503"))
    max_wait: float = field(default=60.0, metadata=_help(
        "longest wait Zotero may ask for (Retry-After, Backoff) before refsync gives up"))


@dataclass(frozen=True)
class Target:
    """One output file of ``refsync pull``: what to select from which library, and how to write it.

    ``tags`` follows the Zotero API: every entry must hold (AND), ``a || b`` is OR, ``-a`` is NOT.
    """

    output: str = field(default="references.bib", metadata=_help("the file to write"))
    name: str = field(default="", metadata=_help("a name for messages; defaults to output"))
    library: str = field(default="", metadata=_help("library of this target; default [zotero]"))
    collection: str = field(default="", metadata=_help("collection name, key or Parent/Child"))
    subcollections: bool = field(default=False, metadata=_help("include subcollections"))
    tags: tuple[str, ...] = field(default=(), metadata=_help("tag filters, ANDed"))
    exclude_types: tuple[str, ...] = field(default=(), metadata=_help("item types to leave out"))
    format: str = field(default="", metadata=_help("bibtex, biblatex or csljson"))
    snapshot: str = field(default="", metadata=_help("a Zotero JSON snapshot file to read"))

    @property
    def label(self) -> str:
        return self.name or self.output


@dataclass(frozen=True)
class Settings:
    """Everything refsync is configured with; built by :func:`load_settings`."""

    crossref: CrossrefSettings = field(default_factory=CrossrefSettings)
    zotero: ZoteroSettings = field(default_factory=ZoteroSettings)
    format: str = field(default="bibtex", metadata=_help("default output format"))
    citekey: str = field(default="bbt-default", metadata=_help("citation-key formula"))
    resolvers: tuple[str, ...] = field(default=("crossref",), metadata=_help("resolver order"))
    cache_dir: Path = field(
        default_factory=lambda: Path(platformdirs.user_cache_dir("refsync")),
        metadata=_help("where the Crossref cache and Zotero mirrors live"),
    )
    project_dir: Path | None = field(default=None, metadata=_help("folder of refsync.toml"))
    targets: tuple[Target, ...] = field(default=(), metadata=_help("[[target]] tables"))
    plugins: Mapping[str, Mapping[str, Any]] = field(
        default_factory=dict, metadata=_help("[plugins.NAME] tables")
    )

    def plugin_config(self, name: str) -> dict[str, Any]:
        """The ``[plugins.NAME]`` table, its ``{ env = "VAR" }`` values already read from the
        environment :func:`load_settings` was given."""
        return dict(self.plugins.get(name, {}))


#: environment variable → dotted setting
ENVIRONMENT = {
    "REFSYNC_CROSSREF_URL": "crossref.url",
    "REFSYNC_MAILTO": "crossref.mailto",
    "REFSYNC_ZOTERO_URL": "zotero.url",
    "ZOTERO_LIBRARY": "zotero.library",
    "REFSYNC_CACHE_DIR": "cache_dir",
}


def user_config_file() -> Path:
    return Path(platformdirs.user_config_dir("refsync")) / "config.toml"


def save_user_setting(dotted: str, value: str) -> Path:
    """Set one string setting in the user config file, keeping the others.

    refsync writes only flat tables of plain values there, which is all it ever stores.
    """
    path = user_config_file()
    table = _read_toml(path) if path.is_file() else {}
    _set_dotted(table, dotted, value)
    lines: list[str] = []
    for section, values in sorted(table.items(), key=lambda kv: isinstance(kv[1], dict)):
        if isinstance(values, dict):
            lines += ["", f"[{section}]"] if lines else [f"[{section}]"]
            lines += [f"{k} = {toml_value(v)}" for k, v in values.items()]
        else:
            lines.append(f"{section} = {toml_value(values)}")
    write_atomic(path, "\n".join(lines) + "\n")
    return path


def toml_value(value: Any) -> str:
    """A TOML value for a bool, number, string or list of them. Strings are basic strings with
    every character TOML forbids there escaped (quotes, backslashes, controls, DEL): JSON's
    escapes are TOML's, but for DEL, which JSON leaves as it is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")


def render_project_file(*, library: str, collection: str, tags: Sequence[str], output: str,
                        fmt: str, snapshot: str) -> str:
    """A commented refsync.toml; every line the user may want to change is explained."""
    lines = ["# refsync.toml: which Zotero items `refsync pull` writes into which file.", ""]
    if library:
        lines += ["[zotero]", f"library = {toml_value(library)}"
                  "   # 'user:ID' or 'group:ID'; `refsync login` stores the API key", ""]
    lines += ["[[target]]",
              f"output = {toml_value(output)}   # written atomically; hand edits are kept"]
    if snapshot:
        lines.append(f"snapshot = {toml_value(snapshot)}   # read a Zotero JSON snapshot")
    if collection:
        lines += [f"collection = {toml_value(collection)}   # name, key or Parent/Child path",
                  "subcollections = false   # true takes the subcollections' items too"]
    if tags:
        lines.append(f"tags = [{', '.join(toml_value(t) for t in tags)}]"
                     "   # all must hold; 'a || b' is OR, '-a' is NOT")
    lines += [f"format = {toml_value(fmt)}   # bibtex, biblatex or csljson",
              '# exclude_types = ["webpage"]   # item types to leave out', ""]
    return "\n".join(lines)


def find_project_file(start: Path) -> Path | None:
    """The nearest refsync.toml in ``start`` or a parent folder, as git finds .git."""
    for folder in (start, *start.parents):
        candidate = folder / PROJECT_FILE
        if candidate.is_file():
            return candidate
    return None


def load_settings(
    *,
    project: Path | None = None,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Merge the layers into one :class:`Settings`.

    :param project: an explicit refsync.toml; otherwise the nearest one above ``cwd``.
    :param overrides: dotted names (``"crossref.mailto"``) from command-line flags; ``None`` values
        are ignored so unset flags do not mask lower layers.
    :raises ConfigError: naming the file and key of any unknown or mistyped setting.
    """
    env = os.environ if environ is None else environ
    user_file = user_config_file()
    user_table = _read_toml(user_file) if user_file.is_file() else {}
    project = project or find_project_file((cwd or Path.cwd()).resolve())
    table = _read_toml(project) if project is not None else {}

    def layered(*tables: Mapping[str, Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for layer in tables:
            _merge(merged, layer)
        for var, dotted in ENVIRONMENT.items():
            if env.get(var):
                _set_dotted(merged, dotted, env[var])
        for dotted, value in (overrides or {}).items():
            if value is not None:
                _set_dotted(merged, dotted, value)
        return merged

    if project is not None:  # checked against what the user chose: all layers but the project
        _check_project(table, project, layered(user_table))
    merged = layered(user_table, table)
    if project is not None:
        merged["project_dir"] = str(project.parent.resolve())
    source = str(project or user_file)
    if "target" in merged:
        merged["targets"] = merged.pop("target")
    if isinstance(merged.get("plugins"), Mapping):
        merged["plugins"] = {name: _from_environment(table, env, f"{source}: [plugins.{name}]")
                             for name, table in merged["plugins"].items()}
    settings: Settings = _build(Settings, merged, source, "")
    outputs = Counter(os.path.normpath(target.output) for target in settings.targets)
    if twice := [output for output, n in outputs.items() if n > 1]:
        raise ConfigError(f"{source}: two [[target]] tables write '{twice[0]}'; the second "
                          "would overwrite the first", hint="give each target its own output")
    return settings


#: settings a project's refsync.toml may not choose: it arrives with a cloned repository, and
#: these decide where the user's API key is sent and where refsync keeps its private state
_USERS_OWN = ("cache_dir", "zotero.url", "zotero.local_url")


def _check_project(table: Mapping[str, Any], project: Path, own: Mapping[str, Any]) -> None:
    """Refuse what a project file may not do (the README's trust model): choose the user's own
    settings (unless it agrees with them), or read or write outside its folder.

    :raises ConfigError: naming the file, the setting and where the user may set it instead.
    """
    defaults = {"zotero.url": ZoteroSettings.url, "zotero.local_url": ZoteroSettings.local_url}
    for dotted in _USERS_OWN:
        value = _get_dotted(table, dotted)
        if value is None:
            continue
        chosen = _get_dotted(own, dotted)
        if chosen is None:
            chosen = defaults.get(dotted)
        if chosen is not None and str(value).rstrip("/") == str(chosen).rstrip("/"):
            continue
        raise ConfigError(
            f"{project}: {dotted} = {toml_value(value)}: a project's refsync.toml cannot set "
            "this (it would choose where your API key is sent, or where refsync keeps its "
            "cache)", hint=f"set {dotted} in your own {user_config_file()} if you trust it")
    folder = project.parent.resolve()
    targets = table.get("target", [])
    for n, target in enumerate(targets if isinstance(targets, list) else [], start=1):
        for name in ("output", "snapshot"):
            value = target.get(name) if isinstance(target, Mapping) else None
            if value is None or (name == "snapshot" and value == ""):
                continue
            where = f"{project}: [[target]] {n}: {name} = {toml_value(value)}"
            place = (folder / str(value)).resolve()
            if not str(value).strip() or place == folder or place.is_dir():
                raise ConfigError(f"{where}: not a file name", hint="name a file, e.g. refs.bib")
            if Path(str(value)).is_absolute() or not place.is_relative_to(folder):
                raise ConfigError(
                    f"{where}: outside the project folder {folder} (through '..', an absolute "
                    "path or a symbolic link)",
                    hint="a project's refsync.toml reads and writes only inside its folder; "
                         "give -o on the command line to write elsewhere")


def _get_dotted(table: Mapping[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(table, Mapping) or part not in table:
            return None
        table = table[part]
    return table


def _from_environment(table: Any, env: Mapping[str, str], where: str) -> Any:
    """A plugin's table with each ``{ env = "VAR" }`` value read from ``env``. The Zotero API
    key is never handed to a plugin this way: a cloned refsync.toml could send it anywhere."""
    if not isinstance(table, Mapping):
        return table
    values = {}
    for key, value in table.items():
        if isinstance(value, Mapping) and "env" in value:
            if value["env"] == "ZOTERO_API_KEY":
                raise ConfigError(f"{where}: {key}: the Zotero API key is not given to plugins",
                                  hint="remove this setting")
            value = env.get(str(value["env"]), "")
        values[key] = value
    return values


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}", hint="fix the TOML syntax") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from exc


def _merge(into: dict[str, Any], table: Mapping[str, Any]) -> None:
    for key, value in table.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = dict(value) if isinstance(value, Mapping) else value


def _set_dotted(into: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        into = into.setdefault(part, {})
    into[last] = value


def read_table(cls: type[T], table: Mapping[str, Any], source: str) -> T:
    """A settings dataclass from a TOML table, coerced and checked as refsync's own settings
    are (for plugins' tables: ``settings.plugin_config(NAME)``).

    :raises ConfigError: naming ``source`` and the key that is unknown or of the wrong type.
    """
    built: T = _build(cls, table, source, "")
    return built


def _build(cls: type[Any], table: Mapping[str, Any], source: str, path: str) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        where = f"{path}{key}"
        if key not in known:
            close = difflib.get_close_matches(key, list(known), n=1)
            raise ConfigError(
                f"{source}: {where}: unknown setting"
                + (f" (did you mean '{path}{close[0]}'?)" if close else ""),
            )
        kwargs[key] = _coerce(hints[key], value, source, where)
    return cls(**kwargs)


def _coerce(hint: Any, value: Any, source: str, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{source}: {where}: expected a table")
        return _build(hint, value, source, f"{where}.")
    if origin is tuple:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            raise ConfigError(f"{source}: {where}: expected a list")
        return tuple(_coerce(args[0], v, source, f"{where}[{i}]") for i, v in enumerate(items))
    if origin in (types.UnionType, typing.Union):
        if value is None:
            return None
        return _coerce(next(a for a in args if a is not type(None)), value, source, where)
    if origin is not None:  # Mapping[...] and the like: take tables as they are
        if not isinstance(value, Mapping):
            raise ConfigError(f"{source}: {where}: expected a table")
        return value
    if hint is bool:
        if isinstance(value, str) and value.lower() in {"1", "true", "yes", "0", "false", "no"}:
            return value.lower() in {"1", "true", "yes"}
        if not isinstance(value, bool):
            raise ConfigError(f"{source}: {where}: expected true or false, got {value!r}")
        return value
    if hint in (int, float):
        try:
            return hint(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{source}: {where}: expected a number, got {value!r}") from None
    if hint is Path:
        return Path(os.path.expanduser(str(value)))
    if not isinstance(value, str):
        raise ConfigError(f"{source}: {where}: expected a string, got {value!r}")
    return value
