"""`refsync init` writes a refsync.toml that refsync itself reads back."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from refsync.cli import cli
from refsync.config import load_settings


def test_init_from_flags_writes_a_file_refsync_reads(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["init", "--library", "group:123456", "--collection",
                                      "neuro-immune", "--tag", "cite", "--tag", "-draft",
                                      "-o", "refs.bib"])
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "refsync.toml").read_text()
    assert text.count("#") >= 5  # every setting explained
    settings = load_settings(cwd=tmp_path, environ={})
    assert settings.zotero.library == "group:123456"
    (target,) = settings.targets
    assert (target.output, target.collection, target.tags) == ("refs.bib", "neuro-immune",
                                                                ("cite", "-draft"))


def test_init_never_overwrites_without_force(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "refsync.toml").write_text("# mine\n")
    refused = CliRunner().invoke(cli, ["init", "--collection", "x"])
    assert refused.exit_code == 2 and "--force" in refused.stderr
    assert (tmp_path / "refsync.toml").read_text() == "# mine\n"
    assert CliRunner().invoke(cli, ["init", "--collection", "x", "--force"]).exit_code == 0
    assert load_settings(cwd=tmp_path, environ={}).targets[0].collection == "x"
