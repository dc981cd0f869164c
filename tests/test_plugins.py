"""The plugin machinery as a plugin author meets it: entry points, errors that name the plugin,
the two environment switches, hook wrappers and tracing, and the example plugin installed for
real and used by ``refsync pull``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pytest

from refsync import Reference, Settings, hookimpl
from refsync.errors import PluginError
from refsync.plugins import Registry, make_plugin_manager

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "refsync-plugin-example"
MANUSCRIPT = ROOT / "examples" / "neuro-immune"


def _registry(**plugins: object) -> Registry:
    pm = make_plugin_manager(entrypoints=False, extra=plugins)
    return Registry.from_plugin_manager(pm, Settings())


class _Format:
    def __init__(self, name: str) -> None:
        self.name, self.suffix = name, ".txt"

    def export(self, entries: Mapping[str, Reference]) -> str:
        return "".join(entries)


class _Exporters:
    def __init__(self, *objects: object) -> None:
        self.objects = objects

    @hookimpl
    def register_exporters(self, settings: Settings) -> Iterable[object]:
        return self.objects


def test_a_plugin_adds_a_format_beside_the_built_ins() -> None:
    registry = _registry(mine=_Exporters(_Format("plain")))
    assert {"bibtex", "biblatex", "csljson", "json", "plain"} <= set(registry.exporters)


def test_a_name_taken_twice_names_both_modules() -> None:
    with pytest.raises(PluginError, match="format 'bibtex' is registered by both") as error:
        _registry(mine=_Exporters(_Format("bibtex")))
    assert {"'refsync.builtin.bibtex'", "'test_plugins'"} <= set(str(error.value).split())


def test_an_object_that_is_not_what_its_hook_promises_is_named() -> None:
    class NoExport:
        name, suffix = "broken", ".txt"

    with pytest.raises(PluginError, match=r"NoExport was registered as a format but is not an? "
                       r"Exporter"):
        _registry(mine=_Exporters(NoExport()))


def test_a_misspelled_hook_is_an_error_not_silence() -> None:
    class Typo:
        @hookimpl
        def register_exporter(self, settings: Settings) -> Iterable[object]:
            return [_Format("never")]

    with pytest.raises(PluginError, match="register_exporter"):
        make_plugin_manager(entrypoints=False, extra={"typo": Typo()})


def test_a_plugin_registered_twice_under_one_name_is_an_error() -> None:
    with pytest.raises(PluginError, match="plugin 'refsync.builtin.bibtex' cannot be registered"):
        make_plugin_manager(entrypoints=False,
                            extra={"refsync.builtin.bibtex": _Exporters(_Format("plain"))})


def test_a_hook_wrapper_wraps_the_collection() -> None:
    class HideJson:
        @hookimpl(wrapper=True)
        def register_exporters(self, settings: Settings) -> Iterator[None]:
            results = yield
            return [[e for e in found if e.name != "json"] for found in results]

    assert set(_registry(hide=HideJson()).exporters) == {"bibtex", "biblatex", "csljson"}


def test_tracing_sees_every_registration_hook(capsys: pytest.CaptureFixture[str]) -> None:
    pm = make_plugin_manager(entrypoints=False, environ={"REFSYNC_TRACE_PLUGINS": "1"})
    Registry.from_plugin_manager(pm, Settings())
    traced = capsys.readouterr().err
    for hook in ("register_resolvers", "register_exporters", "register_key_formatters",
                 "register_matchers"):
        assert hook in traced


# -- installed for real: entry points, failures, the switches, register_commands --------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the example plugin as pip installs it, and a plugin that cannot be
    imported (a distribution whose module raises), each with its entry point."""
    target = tmp_path_factory.mktemp("site")
    source = shutil.copytree(EXAMPLE, tmp_path_factory.mktemp("build") / EXAMPLE.name)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--no-build-isolation", "--no-index", "--target", str(target),
                    str(source)], check=True, capture_output=True, timeout=300)
    return target


def _refsync(site: Path, *args: str, cwd: Path, also: str = "",
             **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m refsync ARGS`` with the example installed, and with ``also`` (a fixture
    distribution under fixtures/plugins) beside it."""
    paths = [str(site)]
    if also:
        paths.append(str(Path(__file__).parent / "fixtures" / "plugins" / also))
    environ = {k: v for k, v in os.environ.items() if not k.startswith("REFSYNC_")}
    environ.update(env, PYTHONPATH=os.pathsep.join(paths))
    return subprocess.run([sys.executable, "-m", "refsync", *args], cwd=cwd, env=environ,
                          capture_output=True, text=True, timeout=120)


def test_plugins_lists_each_plugin_with_its_distribution_and_version(
        site: Path, tmp_path: Path) -> None:
    out = _refsync(site, "plugins", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "entrypoint:example  (refsync-plugin-example 0.1.0)\n  format keylist\n" \
        "  citation-key formula author-year\n" in out.stdout
    assert "refsync.builtin.bibtex  (refsync " in out.stdout


def test_the_installed_example_plugin_writes_its_format_with_its_keys(
        site: Path, tmp_path: Path) -> None:
    shutil.copy(MANUSCRIPT / "library.json", tmp_path)
    (tmp_path / "refsync.toml").write_text(
        'citekey = "author-year"\n\n[[target]]\noutput = "keys.txt"\n'
        'snapshot = "library.json"\ncollection = "neuro-immune"\nformat = "keylist"\n')
    out = _refsync(site, "pull", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    keys = (tmp_path / "keys.txt").read_text().split()
    assert keys and all(key[:-4].isalpha() and key[-4:].isdigit() for key in keys)


def test_a_plugin_command_is_added_to_the_cli(site: Path, tmp_path: Path) -> None:
    (tmp_path / "refs.bib").write_text("@article{smith2020,\n  title = {T},\n}\n")
    out = _refsync(site, "example-keys", "refs.bib", cwd=tmp_path)
    assert (out.returncode, out.stdout) == (0, "smith2020\n")


def test_a_plugin_that_fails_to_import_is_named_and_can_be_switched_off(
        site: Path, tmp_path: Path) -> None:
    out = _refsync(site, "plugins", cwd=tmp_path, also="broken")
    assert out.returncode == 1
    assert out.stderr == (
        "Error: plugin 'refsync-broken-plugin' (entry point 'broken') failed to import: "
        "this plugin is broken on purpose (uninstall it or set "
        "REFSYNC_DISABLE_PLUGIN_AUTOLOAD=1)\n")
    off = _refsync(site, "plugins", cwd=tmp_path, also="broken",
                   REFSYNC_DISABLE_PLUGIN_AUTOLOAD="1")
    assert off.returncode == 0, off.stderr
    assert "refsync.builtin.bibtex" in off.stdout and "entrypoint:" not in off.stdout


def test_two_installed_plugins_claiming_one_name_are_an_error_not_a_silent_pick(
        site: Path, tmp_path: Path) -> None:
    out = _refsync(site, "plugins", cwd=tmp_path, also="twin")
    assert out.returncode == 1
    assert out.stderr.startswith("Error: plugin 'entrypoint:example' cannot be registered: ")
    assert out.stderr.endswith("(uninstall one of the two copies)\n")


def test_tracing_in_the_cli_shows_the_command_hook_too(site: Path, tmp_path: Path) -> None:
    out = _refsync(site, "plugins", cwd=tmp_path, REFSYNC_TRACE_PLUGINS="1")
    assert out.returncode == 0
    for hook in ("register_commands", "register_exporters", "register_matchers"):
        assert hook in out.stderr


class _PlainBib:
    """A third-party .bib format: entries rendered one by one, so pull can merge them."""

    name, suffix = "plain-bib", ".bib"

    def render_entries(self, entries: Mapping[str, Reference]) -> dict[str, str]:
        return {key: f"@misc{{{key},\n  title = {{{ref.title}}},\n}}\n"
                for key, ref in entries.items()}

    def export(self, entries: Mapping[str, Reference]) -> str:
        return "\n".join(self.render_entries(entries).values())


def test_a_plugin_entry_format_keeps_hand_edits_as_the_built_in_bibtex_does(
        tmp_path: Path) -> None:
    from refsync.builtin.bbt_keys import BBTDefault
    from refsync.config import Target
    from refsync.pull import Pull, plan_pull
    from refsync.pull.lock import Lock

    path, lock = tmp_path / "refs.bib", Lock()

    def pull(*refs: Reference) -> None:
        current = path.read_text() if path.exists() else None
        plan = plan_pull(Target(output="refs.bib"), items=refs, collections=[], path=path,
                         current=current, lock=lock, exporter=_PlainBib(),
                         formatter=BBTDefault(), source="test", producer="refsync test")
        Pull([plan], lock, tmp_path / "refsync.lock").apply()

    first = Reference("book", {"title": "Alpha", "date": "2001"}, key="A1", version=1)
    second = Reference("book", {"title": "Beta", "date": "2002"}, key="B2", version=1)
    pull(first, second)
    path.write_text(path.read_text().replace("{Alpha}", "{Alpha, edited by hand}"))
    pull(first, Reference("book", {"title": "Beta revised", "date": "2002"}, key="B2",
                          version=2))
    text = path.read_text()
    assert "{Alpha, edited by hand}" in text and "{Beta revised}" in text
