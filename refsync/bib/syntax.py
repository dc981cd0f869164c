"""Where an entry's values are: the tokens of a .bib entry's body that lie outside braces and
quotes, as BibTeX reads them. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["between_values"]


def between_values(tokens: re.Pattern[str], body: str) -> Iterator[re.Match[str]]:
    """The matches of ``tokens`` in ``body`` that lie outside every brace group and quoted
    value. ``tokens`` must also match ``{``, ``}`` and ``"`` on their own, which are followed
    here and not yielded; a quote inside braces is text."""
    depth, quoted = 0, False
    for m in tokens.finditer(body):
        token = m.group()
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
        elif token == '"':
            quoted = quoted != (depth == 0)
        elif depth == 0 and not quoted:
            yield m
