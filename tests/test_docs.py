"""The README is the user's reference: it must name every setting, variable and command."""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path

import pytest

from refsync.config import ENVIRONMENT, CrossrefSettings, Settings, ZoteroSettings

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize(
    "name",
    [f"crossref.{f.name}" for f in dataclasses.fields(CrossrefSettings)]
    + [f"zotero.{f.name}" for f in dataclasses.fields(ZoteroSettings)]
    + [f.name for f in dataclasses.fields(Settings)
       if f.name not in {"crossref", "zotero", "targets", "plugins", "project_dir"}],
)
def test_every_setting_is_documented(name: str) -> None:
    assert f"`{name}`" in README


@pytest.mark.parametrize("variable", [*ENVIRONMENT, "ZOTERO_API_KEY"])
def test_every_environment_variable_is_documented(variable: str) -> None:
    assert f"`{variable}`" in README


def test_every_command_is_documented() -> None:
    from refsync.cli import cli

    for name in cli.commands:
        assert f"### `refsync {name}`" in README, name


def test_ci_runs_exactly_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    extract = re.search(r"cmd=\$\((.*)\)\n", script)
    assert extract, ".ci/run no longer reads the README's test command"
    command = subprocess.run(["bash", "-c", extract.group(1)], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
    assert command.endswith("pytest -q") and command in README
