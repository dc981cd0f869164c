"""An example refsync plugin, written against refsync's public API only.

It brings a format, a citation-key formula and a command:

- ``keylist``: one citation key per line, for scripts that only need the keys;
- ``author-year``: keys such as ``smith2020`` (the first author's family name in ASCII lower
  case, then the year); refsync adds ``a``, ``b`` … to keys that collide;
- ``refsync example-keys FILE.bib``: print the keys a ``.bib`` file defines.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import TextIO

import click

from refsync import Exporter, KeyFormatter, Reference, Settings, hookimpl


class KeyList:
    """The ``keylist`` format."""

    name = "keylist"
    suffix = ".txt"

    def export(self, entries: Mapping[str, Reference]) -> str:
        return "".join(f"{key}\n" for key in entries)


class AuthorYear:
    """The ``author-year`` citation-key formula."""

    name = "author-year"

    def format_key(self, ref: Reference) -> str:
        family = ref.creators[0].family if ref.creators else "anon"
        ascii_name = unicodedata.normalize("NFKD", family).encode("ascii", "ignore").decode()
        year = ref.issued.year
        return re.sub(r"[^a-z]", "", ascii_name.lower()) + (str(year) if year else "")


@hookimpl
def register_exporters(settings: Settings) -> Iterable[Exporter]:
    return [KeyList()]


@hookimpl
def register_key_formatters(settings: Settings) -> Iterable[KeyFormatter]:
    return [AuthorYear()]


@hookimpl
def register_commands(cli: click.Group) -> None:
    @cli.command("example-keys")
    @click.argument("bib", type=click.File("r", encoding="utf-8"))
    def example_keys(bib: TextIO) -> None:
        """Print the citation keys a .bib file defines."""
        for key in re.findall(r"^@\w+\s*\{\s*([^,\s]+)\s*,", bib.read(), re.MULTILINE):
            click.echo(key)
