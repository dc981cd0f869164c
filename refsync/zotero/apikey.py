"""The Zotero API key: stored in the system keyring, or given by ``ZOTERO_API_KEY`` where no
keyring exists (CI, headless boxes). The key never enters settings, files, logs or messages.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import keyring
import keyring.errors

from refsync.errors import SecretStoreError

__all__ = ["API_KEY_ENV", "load_api_key", "store_api_key"]

API_KEY_ENV = "ZOTERO_API_KEY"
_SERVICE = "refsync"
_NO_KEYRING_HINT = (
    "no keyring backend is available here (a headless machine?); "
    f"set the environment variable {API_KEY_ENV} instead, e.g. from your CI's secret store"
)


def _account(api_url: str) -> str:
    """Keys are stored per API server, so a test server or a mirror never sees the real key."""
    return f"zotero:{api_url.rstrip('/')}"


def load_api_key(api_url: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The key for ``api_url``: the environment variable wins (explicit beats stored), then the
    keyring; ``None`` when neither has one."""
    env = os.environ if environ is None else environ
    if env.get(API_KEY_ENV):
        return env[API_KEY_ENV]
    if not _keyring_usable():
        return None
    try:
        return keyring.get_password(_SERVICE, _account(api_url))
    except keyring.errors.KeyringError:
        return None


def store_api_key(api_url: str, key: str) -> str:
    """Save the key in the system keyring and return the backend's name for the message.

    :raises SecretStoreError: when no keyring backend exists or it refuses the key.
    """
    if not _keyring_usable():
        raise SecretStoreError("cannot store the API key: " + _NO_KEYRING_HINT)
    try:
        keyring.set_password(_SERVICE, _account(api_url), key)
    except keyring.errors.KeyringError:
        # 'from None': a backend's message may quote what it was given, and that is the key
        raise SecretStoreError(
            f"the keyring ({type(keyring.get_keyring()).__module__}) refused the key",
            hint=_NO_KEYRING_HINT,
        ) from None
    return type(keyring.get_keyring()).__module__


def _keyring_usable() -> bool:
    # The 'fail' and 'null' backends have priority 0 or less: keyring found nothing real.
    backend = keyring.get_keyring()
    try:
        return float(backend.priority) > 0
    except Exception:  # a broken backend raises here on purpose (keyring docs)
        return False
