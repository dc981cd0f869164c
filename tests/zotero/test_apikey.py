"""The API key in a real Secret Service keyring (gnome-keyring under a private D-Bus session)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from refsync.errors import SecretStoreError
from refsync.zotero.apikey import load_api_key, store_api_key

needs_keyring = pytest.mark.skipif(
    not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
    reason="gnome-keyring and dbus are not installed",
)


def in_keyring_session(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run Python code inside a fresh D-Bus session with an unlocked gnome-keyring."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHON_KEYRING_BACKEND"}
    env["HOME"] = str(tmp_path)  # the daemon keeps its keyrings under $HOME
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    for name in ("XDG_RUNTIME_DIR", "XDG_CACHE_HOME"):  # the daemon puts its sockets there
        folder = tmp_path / name.lower()
        folder.mkdir(mode=0o700)
        env[name] = str(folder)
    code = tmp_path / "script.py"
    code.write_text(textwrap.dedent(script))
    shell = (
        "echo -n test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; "
        f"{sys.executable} {code}"
    )
    return subprocess.run(["dbus-run-session", "--", "sh", "-c", shell], env=env,
                          capture_output=True, text=True, timeout=20)


@needs_keyring
def test_key_is_stored_and_read_back_from_secret_service(tmp_path: Path) -> None:
    done = in_keyring_session(
        """
        from refsync.zotero.apikey import load_api_key, store_api_key
        backend = store_api_key("http://127.0.0.1:1", "K3yK3yK3yK3yK3yK3yK3yK3y")
        print(backend)
        print(load_api_key("http://127.0.0.1:1", environ={}) == "K3yK3yK3yK3yK3yK3yK3yK3y")
        print(load_api_key("https://api.zotero.org", environ={}))
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    backend, same, other = done.stdout.split()
    assert "SecretService" in backend and same == "True" and other == "None"


def test_without_a_keyring_login_explains_the_environment_variable() -> None:
    with pytest.raises(SecretStoreError) as info:
        store_api_key("https://api.zotero.org", "secret-value")
    assert "ZOTERO_API_KEY" in info.value.message
    assert "secret-value" not in info.value.message


def test_environment_variable_wins_and_nothing_found_is_none() -> None:
    assert load_api_key("https://api.zotero.org", environ={"ZOTERO_API_KEY": "abc"}) == "abc"
    assert load_api_key("https://api.zotero.org", environ={}) is None
