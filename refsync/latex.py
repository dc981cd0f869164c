"""Text → LaTeX for .bib fields: escaping, Zotero rich text, case protection, verbatim safety.

Remote metadata is untrusted, so the one rule here is that *text stays text*: every backslash,
brace and other special character in a value is escaped, and the only control sequences in the
output are the ones this module chooses (formatting commands and pylatexenc's character
macros). :func:`safety_problems` states that contract so writers and tests can check it.
Pure: no I/O.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator

from pylatexenc.latex2text._defaultspecs import (  # type: ignore[import-untyped]
    unicode_accents_list,
)
from pylatexenc.latexencode import get_builtin_uni2latex_dict  # type: ignore[import-untyped]

__all__ = ["escape", "rich_text", "safety_problems", "verbatim"]

# BibTeX and biber count every brace, escaped or not, so ``\\{`` would unbalance a field; the
# LaTeX kernel's text symbols print literal braces without any.
_UNI2LATEX = {**get_builtin_uni2latex_dict(), ord("{"): "\\textbraceleft",
              ord("}"): "\\textbraceright"}
# Text-mode accent commands are the one-character macro names (\' \` \^ \~ \" \c \H \k …) in
# pylatexenc's own LaTeX→Unicode accent list; inverting it composes characters pylatexenc has no
# precomposed entry for, such as Vietnamese ễ → {\~{\^e}}.
_ACCENTS = {comb: macro for macro, comb in unicode_accents_list if len(macro) == 1}
_WHITESPACE = re.compile(r"\s+")


@functools.cache
def _char(ch: str) -> str:
    """The LaTeX for one character that is not plain printable ASCII (see :data:`_SPECIAL`)."""
    if ch in "[]":  # braced, so a name in \bibitem[…] (natbib) cannot end the optional argument
        return "{" + ch + "}"
    if unicodedata.category(ch).startswith("L") and not unicodedata.name(ch, "").startswith(
        "LATIN"
    ):  # Greek, Cyrillic, CJK …: pylatexenc would turn Greek into math or Latin look-alikes
        return ch
    if (latex := _UNI2LATEX.get(ord(ch))) is not None:
        return "{" + latex + "}" if latex.startswith("\\") else latex
    category = unicodedata.category(ch)
    if category in ("Cc", "Cf", "Mn"):  # controls, zero-width formatting, stray combining marks
        return ""
    base, *marks = unicodedata.normalize("NFD", ch)
    if marks and all(m in _ACCENTS for m in marks) and base != ch:
        out = _char(base).strip("{}")
        for mark in marks:
            out = "\\" + _ACCENTS[mark] + "{" + out + "}"
        return "{" + out + "}"
    return ch  # no LaTeX form (CJK …): biber and XeLaTeX read UTF-8; it carries no syntax


# Everything pylatexenc maps in printable ASCII, brackets, and all that is not printable ASCII;
# the rest is copied as is (most text is, which keeps 100k-entry exports fast).
_SPECIAL = re.compile(r'[^\x20-\x7e]|["#$%&<>\\^_{}~\[\]]')


def _encode(text: str) -> str:
    """Encode without touching whitespace (callers decide how to collapse it)."""
    return _SPECIAL.sub(lambda m: _char(m.group()), unicodedata.normalize("NFC", text))


_OPENING_QUOTE = re.compile(r'(?:^|(?<=[\s(\[{\u2014/-]))"')


def _prepare(text: str) -> str:
    """Collapse whitespace (a blank line in a field is ``\\par`` in the .bbl, which breaks
    styles passing the field to a non-long macro), compose characters (a decomposed "o\u0308"
    must not be split between two words) and turn straight double quotes into curly ones by
    position: pylatexenc maps every ``"`` to a closing ``''``, and a bare ``"`` is a babel
    shorthand."""
    text = unicodedata.normalize("NFC", _WHITESPACE.sub(" ", text).strip())
    return _OPENING_QUOTE.sub("\u201c", text).replace('"', "\u201d")


def escape(text: str) -> str:
    """Plain text → LaTeX: Unicode via pylatexenc's table, specials escaped, whitespace collapsed."""
    return _encode(_prepare(text))


# Zotero's rich-text subset (zotero.org/support/kb/rich_text_bibliography): the only tags that
# are markup; anything else that looks like a tag is literal text (think "p<q").
_TAG = re.compile(r"<(/?)(i|b|sup|sub|span|sc)\b([^<>]*)>", re.IGNORECASE)
_OPENERS = {"i": "\\emph{", "b": "\\textbf{", "sup": "\\textsuperscript{",
            "sub": "\\textsubscript{", "sc": "\\textsc{"}
# words, hyphenated compounds counting as one ("Data-Intensive", as BBT groups them)
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*|\s+|.", re.DOTALL)


def _needs_protection(word: str, first: bool) -> bool:
    """BBT's rule: a word with a capital, or mixing digits and letters (``3D``, ``p53``), keeps
    its case, except a plain capitalised first word (which every style capitalises anyway)."""
    letters = word.replace("-", "")
    if not any(c.isupper() for c in letters) and (letters.isdigit() or letters.isalpha()):
        return False
    plain_capitalised = letters.isalpha() and letters[0].isupper() and letters[1:].islower()
    return not (first and (plain_capitalised or len(word) == 1))


class _Protector:
    """Wraps runs of case-sensitive words in ``{{…}}`` (double braces: BBT FAQ, a single brace
    group at the start of a field is ignored by biblatex's sentence-casing)."""

    def __init__(self) -> None:
        self.seen_word = False

    def __call__(self, text: str) -> str:
        out: list[str] = []
        group: list[str] = []
        gap = ""

        def flush() -> None:
            nonlocal gap
            if group:
                out.append("{{" + _encode("".join(group)) + "}}")
                group.clear()
            out.append(_encode(gap))
            gap = ""

        for tok in _WORD.findall(text):
            if tok[0].isalnum() and _needs_protection(tok, not self.seen_word):
                if group:
                    group.append(gap)
                else:
                    out.append(_encode(gap))
                gap = ""
                group.append(tok)
            elif tok.isspace():
                gap += tok
            else:
                flush()
                out.append(_encode(tok))
            if tok[0].isalnum():
                self.seen_word = True
        flush()
        return "".join(out)


def rich_text(html: str, *, protect: bool = False) -> str:
    """Zotero rich text → LaTeX, with BBT-style case protection when ``protect`` is set.

    ``<span class="nocase">`` becomes a brace group; unclosed tags are closed at the end and
    stray closing tags dropped, so braces always balance whatever the input.
    """
    protector = _Protector() if protect else None
    text = _prepare(html)
    out: list[str] = []
    closers: list[tuple[str, str, bool]] = []  # (tag, closing text, protection was on)
    pos = 0
    for m in _TAG.finditer(text):
        chunk = text[pos:m.start()]
        out.append(protector(chunk) if protector and not _in_nocase(closers) else _encode(chunk))
        pos = m.end()
        closing, tag, attrs = m.group(1), m.group(2).lower(), m.group(3).lower()
        if closing:
            if any(t == tag for t, _, _ in closers):
                while closers:
                    t, close, _ = closers.pop()
                    out.append(close)
                    if t == tag:
                        break
            continue
        if tag == "span" and "nocase" in attrs:
            out.append("{")
            closers.append((tag, "}", True))
        elif tag == "span":
            small_caps = "small-caps" in attrs
            out.append("\\textsc{" if small_caps else "")
            closers.append((tag, "}" if small_caps else "", False))
        else:
            out.append(_OPENERS[tag])
            closers.append((tag, "}", False))
    chunk = text[pos:]
    out.append(protector(chunk) if protector and not _in_nocase(closers) else _encode(chunk))
    out.extend(close for _, close, _ in reversed(closers))
    return re.sub(" {2,}", " ", "".join(out)).strip()  # dropped tags can leave double spaces


def _in_nocase(closers: list[tuple[str, str, bool]]) -> bool:
    return any(nocase for _, _, nocase in closers)


# RFC 3986 §2: characters a URI may hold literally, plus ``<>"|`` which DOIs use (SICI DOIs
# such as 10.1175/…(1987)115<1606:GARSPP>2.0.CO;2) and which mean nothing to TeX; the rest
# (space, \ { } ^ and non-ASCII) is percent-encoded.
_URI_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%"
    '<>"|'
)
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")


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
    text = "".join(
        ch if ch in _URI_CHARS else "".join(f"%{b:02X}" for b in ch.encode("utf-8"))
        for ch in value.strip()
    )
    text = _PERCENT.sub(lambda m: chr(int(m.group(1), 16))
                        if chr(int(m.group(1), 16)) in _UNRESERVED else m.group(0).upper(), text)
    text = re.sub(r"%(?![0-9A-F]{2})", "%25", text)
    if bibtex:
        text = text.replace("%", "\\%").replace("#", "\\#")
    return text


# TeX primitives and LaTeX commands that run programs, touch files or redefine the language;
# none can come out of escaped text, and this list lets writers and tests verify that.
_FORBIDDEN = frozenset("""
    write write18 immediate openout openin closeout closein read readline input include
    includeonly endinput InputIfFileExists IfFileExists scantokens special shipout catcode
    lccode uccode sfcode mathcode delcode def edef gdef xdef let futurelet csname endcsname
    expandafter afterassignment aftergroup everypar everyeof everyjob newcommand renewcommand
    providecommand DeclareRobustCommand newenvironment renewenvironment usepackage
    RequirePackage documentclass makeatletter makeatother ShellEscape directlua latelua
    luaexec luadirect pdfprimitive primitive jobname outer long global chardef mathchardef
    countdef toksdef newwrite newread verbatiminput lstinputlisting addbibresource bibliography
    batchmode nonstopmode scrollmode errorstopmode errmessage message
""".split())
_CONTROL_WORD = re.compile(r"\\([A-Za-z@]+)|\\.", re.DOTALL)


def safety_problems(latex: str) -> list[str]:
    """Reasons ``latex`` is unsafe to put in a .bib; empty when it is safe.

    Checks brace balance as BibTeX counts it (every brace, escaped or not), forbidden control
    words and TeX's ``^^`` character notation (``^^5c`` reads as a backslash).
    """
    problems = [f"forbidden command \\{name}" for name in _control_words(latex)
                if name in _FORBIDDEN]
    if "^^" in latex:
        problems.append("TeX ^^ notation")
    depth = 0
    for brace in re.findall(r"[{}]", latex):
        depth += 1 if brace == "{" else -1
        if depth < 0:
            break
    if depth:
        problems.append("unbalanced braces")
    return problems


def _control_words(latex: str) -> Iterator[str]:
    for m in _CONTROL_WORD.finditer(latex):
        if m.group(1):
            yield m.group(1)
