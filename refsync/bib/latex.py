"""Text → LaTeX for .bib fields: characters escaped, and links kept working (``verbatim``).

Remote metadata is untrusted, so the one rule here is that *text stays text*: every backslash,
brace and other special character in a value is escaped, and the only control sequences in the
output are the ones this package chooses (formatting commands and pylatexenc's character
macros). :func:`refsync.bib.safety.safety_problems` states that contract so writers and tests
can check it; :mod:`refsync.bib.richtext` adds Zotero's markup and case protection.
Pure: no I/O.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from pylatexenc.latex2text._defaultspecs import (  # type: ignore[import-untyped]
    unicode_accents_list,
)
from pylatexenc.latexencode import get_builtin_uni2latex_dict  # type: ignore[import-untyped]

from refsync.util.charmap import LazyTable

__all__ = ["encode", "escape", "greek_as_tex", "prepare", "verbatim"]

# BibTeX and biber count every brace, escaped or not, so ``\\{`` would unbalance a field; the
# LaTeX kernel's text symbols print literal braces without any. An accent goes on "i" itself, not
# the dotless "\\i": biber decodes "\\'\\i" to U+0131 U+0301, which pdflatex cannot set, while
# LaTeX has set "\\'i" as "í" in every font encoding since 2018.
_UNI2LATEX = {**get_builtin_uni2latex_dict(), ord("{"): "\\textbraceleft",
              ord("}"): "\\textbraceright", ord("ì"): "\\`i", ord("í"): "\\'i",
              ord("î"): "\\^i", ord("ï"): '\\"i'}
# Text-mode accent commands are the one-character macro names (\' \` \^ \~ \" \c \H \k …) in
# pylatexenc's own LaTeX→Unicode accent list; inverting it composes characters pylatexenc has no
# precomposed entry for, such as Vietnamese ễ → {\~{\^e}}.
_ACCENTS = {comb: macro for macro, comb in unicode_accents_list if len(macro) == 1}


@functools.cache
def _char(ch: str) -> str:
    """The LaTeX for one character that is not plain printable ASCII (see :data:`_SPECIAL`)."""
    if ch in "[]":  # braced, so a name in \bibitem[…] (natbib) cannot end the optional argument
        return "{" + ch + "}"
    if unicodedata.category(ch).startswith("L") and not unicodedata.name(ch, "").startswith(
        "LATIN"
    ):  # Greek, Cyrillic, CJK …: pylatexenc would turn Greek into math or Latin look-alikes
        return ch
    latex: str | None = _UNI2LATEX.get(ord(ch))
    if latex is not None:
        return "{" + latex + "}" if latex.startswith("\\") else latex
    category = unicodedata.category(ch)
    if category in ("Cc", "Cf", "Mn"):  # controls, zero-width formatting, stray combining marks
        return ""
    base, *marks = list(unicodedata.normalize("NFD", ch))
    if marks and all(m in _ACCENTS for m in marks) and base != ch:
        out = _char(base).strip("{}")
        for mark in marks:
            out = "\\" + _ACCENTS[mark] + "{" + out + "}"
        return "{" + out + "}"
    return ch  # no LaTeX form (CJK …): biber and XeLaTeX read UTF-8; it carries no syntax


# Everything pylatexenc maps in printable ASCII, brackets, and all that is not printable ASCII;
# the rest is copied as is (most text is, which keeps 100k-entry exports fast).
_SPECIAL = re.compile(r'[^\x20-\x7e]|["#$%&<>\\^_{}~\[\]]')


def _latex_char(ch: str) -> str:
    return _char(ch) if _SPECIAL.match(ch) else ch


_TRANSLATION = LazyTable(_latex_char)


#: Encode text :func:`prepare` gave (or any piece of it: a piece of NFC text is NFC)
encode = _TRANSLATION.translate


def _greek_char(ch: str) -> str:
    latex: str | None = _UNI2LATEX.get(ord(ch))
    if latex is None:  # polytonic forms (Ἀθῆναι): the letter, without breathings and accents
        base = unicodedata.normalize("NFD", ch)[0]
        latex = _UNI2LATEX.get(ord(base)) if base != ch else None
    if latex is None:
        return ch
    return "{" + latex + "}" if latex.startswith("\\") else latex  # capitals that look Latin


_GREEK = LazyTable(_greek_char)
_GREEK_RUN = re.compile("[\u0370-\u03ff\u1f00-\u1fff]+")
#: a run of this many Greek letters is Greek text, not a symbol
_GREEK_WORD = 3


def greek_as_tex(latex: str, *, words: bool) -> str:
    """The Greek letters in ``latex`` (as :func:`encode` left them) as TeX that pdflatex sets
    without a Greek font: pylatexenc's math forms (``{\\ensuremath{\\alpha}}``), and capitals that
    look Latin as Latin letters.

    Single letters and pairs always: they are the symbols of science (α-synuclein, TGF-β, μM,
    γδ T cells). Greek words only when ``words`` is set, for BibTeX, whose users write with
    pdflatex (Better BibTeX's ASCII export does the same); BibLaTeX output keeps Greek text as
    UTF-8 for XeLaTeX or babel's greek, as Better BibLaTeX does.
    """
    if latex.isascii():  # most values
        return latex
    return _GREEK_RUN.sub(lambda m: m.group() if not words and len(m.group()) >= _GREEK_WORD
                          else _GREEK.translate(m.group()), latex)


_OPENING_QUOTE = re.compile(r'(?:^|(?<=[\s(\[{\u2014/-]))"')


def prepare(text: str) -> str:
    """Collapse whitespace (a blank line in a field is ``\\par`` in the .bbl, which breaks
    styles passing the field to a non-long macro), compose characters (a decomposed "o\u0308"
    must not be split between two words) and turn straight double quotes into curly ones by
    position: pylatexenc maps every ``"`` to a closing ``''``, and a bare ``"`` is a babel
    shorthand."""
    # the same whitespace as the regex \s, so the same result; most text has nothing to collapse
    # (a space is the only whitespace str.isprintable accepts)
    if not text.isprintable() or "  " in text or text[0] == " " or text[-1] == " ":
        text = " ".join(text.split())
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if '"' not in text:
        return text
    return _OPENING_QUOTE.sub("\u201c", text).replace('"', "\u201d")


@functools.lru_cache(maxsize=1 << 16)
def escape(text: str) -> str:
    """Plain text → LaTeX: Unicode via pylatexenc's table, specials escaped, spaces collapsed.
    Cached: names, places, publishers and numbers recur all through a library."""
    if not text:  # most optional fields are empty
        return text
    return encode(prepare(text))


# RFC 3986 §2: characters a URI may hold literally, plus ``<>"|`` which DOIs use (SICI DOIs
# such as 10.1175/…(1987)115<1606:GARSPP>2.0.CO;2) and which mean nothing to TeX; the rest
# (space, \ { } ^ and non-ASCII) is percent-encoded.
_URI_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%"
    '<>"|'
)
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_BARE_PERCENT = re.compile(r"%(?![0-9A-F]{2})")


def _uri_char(ch: str) -> str:
    return ch if ch in _URI_CHARS else "".join(f"%{b:02X}" for b in ch.encode("utf-8"))


_URI_TABLE = LazyTable(_uri_char)
# a value of these characters only is left as it is, in both dialects (most DOIs and URLs)
_PLAIN_URI = re.compile("[" + re.escape("".join(sorted(_URI_CHARS - set("%#")))) + "]*")


def verbatim(value: str, *, bibtex: bool) -> str:
    """Make a ``doi`` or ``url`` value safe while keeping it a working link.

    Spaces, ``\\ { } ^``, controls and non-ASCII are percent-encoded (RFC 3986 §2), so nothing
    can open a command, unbalance braces or spell ``^^5c``. Escapes
    of unreserved characters are decoded (equivalent per RFC 3986 §6.2.2.2). For BibTeX the
    remaining ``%`` and ``#`` become ``\\%``/``\\#``: styles such as plainnat with hyperref's
    ``backref`` pass the URL through a macro argument, where a raw ``%`` comments out the rest
    of the entry (BBT#1966, BBT#18, zotero#708); hyperref prints ``\\%`` as ``%``. Biber reads
    ``url``/``doi`` verbatim, so BibLaTeX output keeps ``%`` as is.
    """
    if _PLAIN_URI.fullmatch(value):
        return value
    text = _URI_TABLE.translate(value.strip())
    if "%" in text:
        text = _PERCENT.sub(lambda m: chr(int(m.group(1), 16)) if chr(int(m.group(1), 16))
                            in _UNRESERVED else m.group(0).upper(), text)
        text = _BARE_PERCENT.sub("%25", text)
    if bibtex:
        text = text.replace("%", "\\%").replace("#", "\\#")
    return text
