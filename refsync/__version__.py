"""The installed distribution's version, for the lock file's writer line and ``--version``."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("refsync")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
