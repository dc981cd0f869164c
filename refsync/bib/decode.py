"""BibTeX field values → what Zotero stores: Unicode text, Zotero rich text and creators.

The reverse of :mod:`refsync.bib.latex`: pylatexenc decodes accents, dashes, escapes and braces,
and the formatting commands a title may carry become Zotero's rich-text tags
(zotero.org/support/kb/rich_text_bibliography). Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bibtexparser.customization import splitname  # type: ignore[import-untyped]
from pylatexenc import latexwalker, macrospec  # type: ignore[import-untyped]
from pylatexenc.latex2text import (  # type: ignore[import-untyped]
    LatexNodes2Text,
    MacroTextSpec,
    get_default_latex_context_db,
)

from refsync.model import Creator
from refsync.util.patterns import RUN_START

__all__ = ["decode_latex", "split_names"]

# one-argument commands and what they become in rich text; plain text keeps the argument only
_RICH = {
    "emph": "<i>%s</i>", "textit": "<i>%s</i>", "textsl": "<i>%s</i>", "textbf": "<b>%s</b>",
    "textsuperscript": "<sup>%s</sup>", "textsubscript": "<sub>%s</sub>",
    "textsc": '<span style="font-variant:small-caps;">%s</span>',
}
_PLAIN = ("mbox", "textnormal", "textrm", "textsf", "texttt", "textup", "url", "NoCaseChange")
# symbols the default tables lack; refsync's own writer emits the brace ones
_SYMBOLS = {"textbraceleft": "{", "textbraceright": "}", "LaTeX": "LaTeX", "TeX": "TeX"}


def _converter(rich: bool) -> LatexNodes2Text:
    db = get_default_latex_context_db()
    formats = {name: (fmt if rich else "%s") for name, fmt in _RICH.items()}
    formats |= dict.fromkeys(_PLAIN, "%s")
    db.add_context_category(
        "refsync", prepend=True,
        macros=[MacroTextSpec(m, simplify_repl=r) for m, r in {**formats, **_SYMBOLS}.items()],
    )
    return LatexNodes2Text(latex_context=db, math_mode="text", strict_latex_spaces=True)


_WALKER_DB = latexwalker.get_default_latex_context_db()
_WALKER_DB.add_context_category(
    "refsync", prepend=True, macros=[macrospec.MacroSpec(m, "{") for m in (*_RICH, *_PLAIN)]
)
_CONVERTERS = {True: _converter(True), False: _converter(False)}
_SPACE = re.compile(r"[\s\u00a0]+")
_LATEX = re.compile(r"[\\{}$~]|--|''|``")  # values without these are plain text already


def decode_latex(value: str, *, rich: bool = False) -> str:
    """LaTeX source → Unicode text, whitespace collapsed (``{\\"u}`` → ``ü``, ``--`` → ``–``).

    :param rich: keep ``\\emph``, ``\\textbf``, super/subscripts and small caps as Zotero's
        rich-text tags (for titles and abstracts); otherwise keep only their text.
    Math is rendered as text (``$\\alpha$-helix`` → ``α-helix``). Malformed LaTeX is read
    tolerantly: an unbalanced brace is dropped rather than failing the entry.
    """
    if not _LATEX.search(value):
        return _SPACE.sub(" ", value).strip()
    if not _MARKUP.search(value):  # brace groups only ("{DNA}", "{World Health Organization}")
        return _SPACE.sub(" ", value.translate(_NO_BRACES)).strip()
    return _walk(value, rich=rich)


# What pylatexenc reads as more than text and braces: commands, math, ties, comments, alignment,
# and TeX's ligatures (–, ”, “, ¡, ¿). A value without them reads as its text with the braces
# dropped, whether balanced or not, exactly as _walk reads it (tests/bib/test_latex.py checks);
# it skips pylatexenc, which took two thirds of reading a large .bib (bench/parse_bench.py).
_MARKUP = re.compile(r"[\\$~%&]|--|''|``|[!?]`")
_NO_BRACES = str.maketrans("", "", "{}")


def _walk(value: str, *, rich: bool) -> str:
    """:func:`decode_latex` through pylatexenc, the plain way."""
    value = _SCRIPT_DIGITS.sub(_script_digits, value)
    nodes = latexwalker.LatexWalker(value, latex_context=_WALKER_DB,
                                    tolerant_parsing=True).get_latex_nodes()[0]
    return _SPACE.sub(" ", _CONVERTERS[rich].nodelist_to_text(nodes)).strip()


# pylatexenc writes ₂ as $_2$ or \ensuremath{_2}; math-as-text would leave "H_2O"
_SCRIPT_DIGITS = re.compile(r"(?:\$|\\ensuremath\{)([_^])\{?(\d+)\}?[$}]")
_SUB = str.maketrans("0123456789", "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089")
_SUP = str.maketrans("0123456789", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")


def _script_digits(m: re.Match[str]) -> str:
    return m.group(2).translate(_SUB if m.group(1) == "_" else _SUP)


def _split_top_level(value: str, separator: re.Pattern[str]) -> Iterator[str]:
    """Split at ``separator`` matches outside braces (``{Barnes and Noble}`` stays whole)."""
    depth, start = 0, 0
    for m in re.finditer(r"[{}]|" + separator.pattern, value, separator.flags):
        token = m.group()
        if token == "{":
            depth += 1
        elif token == "}":
            depth = max(depth - 1, 0)
        elif depth == 0:
            yield value[start:m.start()]
            start = m.end()
    yield value[start:]


_AND = re.compile(RUN_START + r"\s+and\s+", re.IGNORECASE)
# a particle ending in an apostrophe or hyphen is written joined to the name (d'Este, el-Sadat)
_ELIDED = re.compile(r"(?<!\S)([a-z]['\u2019]|[a-z]{1,3}-)\s+")


def split_names(value: str, creator_type: str) -> list[Creator]:
    """An ``and``-separated BibTeX name list → Zotero creators of ``creator_type``.

    Handles ``First Last``, ``Last, First`` and ``von Last, Jr, First``; the "von" particles
    join the last name and a "Jr" part follows the first name after a comma, which is how
    Zotero stores them and how :mod:`refsync.builtin.bibtex` writes them back. A name that is
    one brace group (``{World Health Organization}``) is an organisation: Zotero's single
    field. ``and others`` (BibTeX's "et al.") is dropped.
    """
    creators = []
    for raw in _split_top_level(value.strip(), _AND):
        name = raw.strip().strip(",").strip()
        if not name or name.lower() == "others":
            continue
        if _is_one_group(name):
            creators.append(Creator(name=decode_latex(name), creator_type=creator_type))
            continue
        parts = splitname(name, strict_mode=False)
        last = _ELIDED.sub(r"\1", decode_latex(" ".join(parts["von"] + parts["last"])))
        first = decode_latex(" ".join(parts["first"]))
        if jr := decode_latex(" ".join(parts["jr"])):
            first = f"{first}, {jr}" if first else jr
        if last:
            creators.append(Creator(last=last, first=first, creator_type=creator_type))
        elif first:  # a mononym
            creators.append(Creator(name=first, creator_type=creator_type))
    return creators


def _is_one_group(name: str) -> bool:
    """True for ``{…}`` whose opening brace closes at the very end."""
    if not (name.startswith("{") and name.endswith("}")):
        return False
    depth = 0
    for i, ch in enumerate(name):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth == 0:
            return i == len(name) - 1
    return False
