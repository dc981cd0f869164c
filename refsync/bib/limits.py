"""How much work one .bib file may make the reader do: the limits, and the cheap counts that
check them before anything is expanded.

A file of a kilobyte can ask for gigabytes: forty ``@string`` macros that each join the previous
one to itself double forty times, and bibtexparser expands them eagerly. Each limit is far above
what real files use and each breach becomes one error naming the file and line. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from refsync.bib.syntax import between_values

__all__ = ["MAX_CROSSREF_DEPTH", "MAX_ENTRY_CHARS", "MAX_EXPANSION", "MAX_MACRO_TOTAL",
           "macro_chars"]

#: characters the macros used in one entry (or ``@string``) may add to it. BibTeX's own buffer
#: holds 20,000 by default (``buf_size`` in bibtex.web); journal names are well under 200
MAX_EXPANSION = 200_000
#: characters all of a file's macros may expand to together: a JabRef journal-abbreviation file
#: of 30,000 macros is ~2 MB
MAX_MACRO_TOTAL = 20_000_000
#: characters of one entry as written, before any macro is expanded (an entry with every
#: abstract of a proceedings volume is ~300 KB)
MAX_ENTRY_CHARS = 2_000_000
#: ``crossref`` parents followed from one entry; biber follows chains (BibTeX one level only),
#: and real ones are two or three deep (inproceedings → proceedings → mvproceedings)
MAX_CROSSREF_DEPTH = 16

# a bare word after "=" or "#" is a macro; the other tokens keep count of braces and quotes
_VALUE_TOKENS = re.compile(r'[{}"]|[=#]\s*([A-Za-z_][^\s,#={}"()]*)')


def macro_chars(body: str, macros: Mapping[str, str]) -> int:
    """The characters the macros in ``body`` (of one entry or ``@string``, after its opening
    brace) add when expanded: the value of every macro it uses, counted without expanding.

    A macro is a bare word after ``=`` or ``#`` outside braces and quotes, as BibTeX reads it;
    names are looked up in lower case, as bibtexparser stores them.
    """
    return sum(len(macros.get(m.group(1).lower(), "")) for m in between_values(_VALUE_TOKENS, body))
