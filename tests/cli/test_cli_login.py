"""`refsync login` against the loopback Zotero server; the key must never be shown."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakes.zotero import API_KEY, FakeZotero

from refsync.cli import cli
from refsync.config import load_settings


def test_without_a_keyring_login_checks_the_key_then_explains_the_variable(
        zotero: FakeZotero) -> None:
    result = CliRunner().invoke(cli, ["login", "--stdin"], input=API_KEY + "\n",
                                env={"REFSYNC_ZOTERO_URL": zotero.url})
    assert result.exit_code == 1
    assert "ZOTERO_API_KEY" in result.stderr
    assert API_KEY not in result.output + result.stderr
    assert any(r.path == "/keys/current" for r in zotero.requests)


def test_a_refused_key_is_a_clear_error_that_does_not_echo_it(zotero: FakeZotero) -> None:
    result = CliRunner().invoke(cli, ["login", "--stdin"], input="WrongKey12345678\n",
                                env={"REFSYNC_ZOTERO_URL": zotero.url})
    assert result.exit_code == 1
    assert "WrongKey12345678" not in result.output + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
                    reason="gnome-keyring and dbus are not installed")
def test_login_stores_the_key_in_secret_service_and_remembers_the_library(
        zotero: FakeZotero, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHON_KEYRING_BACKEND"}
    env.update(HOME=str(tmp_path), REFSYNC_ZOTERO_URL=zotero.url)
    for name in ("XDG_RUNTIME_DIR", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        (tmp_path / name).mkdir(mode=0o700)
        env[name] = str(tmp_path / name)
    read_back = ("import keyring; print(keyring.get_password('refsync', "
                 f"'zotero:{zotero.url}') == '{API_KEY}')")
    shell = (
        "echo -n test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; "
        f"echo {API_KEY} | {sys.executable} -m refsync login --stdin && "
        f"{sys.executable} -c \"{read_back}\""
    )
    done = subprocess.run(["dbus-run-session", "--", "sh", "-c", shell], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
    assert "library user:123" in done.stderr and API_KEY not in done.stderr
    config = Path(env["XDG_CONFIG_HOME"]) / "refsync" / "config.toml"
    assert API_KEY not in config.read_text()
    os.environ["XDG_CONFIG_HOME"] = env["XDG_CONFIG_HOME"]
    assert load_settings(environ={}).zotero.library == "user:123"
