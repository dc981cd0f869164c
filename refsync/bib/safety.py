"""Is a LaTeX value safe to put in a .bib? Brace balance as BibTeX counts it, no command that
runs programs, touches files or redefines the language, no ``^^`` character notation; and how
deep braces nest, for the parsers that recurse once per level. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["PARSABLE_DEPTH", "SafetyCheck", "UnsafeValueError", "all_safe", "braces_nest_deeper",
           "safety_problems"]

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
_CONTROL_WORD = re.compile(r"\\([A-Za-z@]+)|\\.", re.DOTALL)  # findall: the word, or ""
_CONTROL_WORD_NAME = re.compile(r"\\([A-Za-z@]+)")  # may also find one after an escaped "\"
# bytes.translate deletion tables: everything but the braces (and NUL, the values' separator);
# UTF-8 keeps brace and NUL bytes for those characters alone
_ALL_BUT_BRACES = bytes(b for b in range(256) if b not in b"{}")
_ALL_BUT_BRACES_AND_NUL = bytes(b for b in range(256) if b not in b"{}\x00")
_MAYBE_UNSAFE = re.compile(r"[\\^{}]")


def safety_problems(latex: str) -> list[str]:
    """Reasons ``latex`` is unsafe to put in a .bib; empty when it is safe.

    Checks brace balance as BibTeX counts it (every brace, escaped or not), forbidden control
    words and TeX's ``^^`` character notation (``^^5c`` reads as a backslash).
    """
    problems: list[str] = []
    if not _MAYBE_UNSAFE.search(latex):  # most values: nothing to look into
        return problems
    if "\\" in latex:
        problems += [f"forbidden command \\{name}" for name in _CONTROL_WORD.findall(latex)
                     if name in _FORBIDDEN]
    if "^^" in latex:
        problems.append("TeX ^^ notation")
    if _unmatched(_braces(latex, _ALL_BUT_BRACES)):
        problems.append("unbalanced braces")
    return problems


def all_safe(values: Iterable[str]) -> bool:
    """Whether :func:`safety_problems` finds nothing in every one of ``values``, checked in
    one pass over them all (a :class:`SafetyCheck` batch); when it says no, ask
    :func:`safety_problems` value by value which one and why.

    The values are joined with NUL, which is no letter, backslash, caret or brace, so no
    control word, ``^^`` or ``{}`` pair can span two of them. It never says yes where the
    exact check finds a problem; it may say no where it finds none (a value holding NUL, a
    forbidden name after an escaped backslash), which the value-by-value check then clears.
    """
    joined = "\x00".join(values)
    if not _MAYBE_UNSAFE.search(joined):
        return True
    if "^^" in joined:
        return False
    if "\\" in joined and not _FORBIDDEN.isdisjoint(_CONTROL_WORD_NAME.findall(joined)):
        return False
    return not _unmatched(_braces(joined, _ALL_BUT_BRACES_AND_NUL)).replace(b"\x00", b"")


class UnsafeValueError(ValueError):
    """A value :func:`safety_problems` objects to, by its position among all values checked."""

    def __init__(self, position: int, problems: list[str]) -> None:
        super().__init__(f"value {position} is unsafe ({', '.join(problems)})")
        self.position, self.problems = position, problems


#: values joined into one :func:`all_safe` pass: a pass costs a few microseconds however short,
#: and a bounded batch keeps the joined text small
_BATCH = 1 << 13


class SafetyCheck:
    """Checks values as a writer produces them, many at a time; the writer hands them over in
    order and learns, through :class:`UnsafeValueError`, the position of the first unsafe one.
    """

    def __init__(self) -> None:
        self._pending: list[str] = []
        self._checked = 0

    def add(self, values: Iterable[str]) -> None:
        """Queue ``values``; checks the queue once it is a batch long."""
        self._pending += values
        if len(self._pending) >= _BATCH:
            self._flush()

    def finish(self) -> None:
        """Check what is still queued."""
        self._flush()

    def _flush(self) -> None:
        if not all_safe(self._pending):
            for i, value in enumerate(self._pending):
                if problems := safety_problems(value):
                    raise UnsafeValueError(self._checked + i, problems)
        self._checked += len(self._pending)
        self._pending.clear()


#: Brace levels refsync hands to a parser: more than any real value uses, and well within what
#: bibtexparser (about 95 levels) and pylatexenc (about 250) follow before they run out of stack.
PARSABLE_DEPTH = 32


def braces_nest_deeper(text: str, depth: int = PARSABLE_DEPTH) -> bool:
    """Whether braces in ``text`` nest more than ``depth`` levels (every brace counted, as
    BibTeX counts them). Worked out ``depth`` passes at most, in C, with no recursion: the
    parsers that recurse once per level are what it protects."""
    braces = _braces(text, _ALL_BUT_BRACES)
    for _ in range(depth):
        if b"{}" not in braces:
            return False
        braces = braces.replace(b"{}", b"")
    return b"{}" in braces


def _braces(text: str, others: bytes) -> bytes:
    """The braces of ``text`` in order (and NULs, unless ``others`` deletes them): deleting
    bytes from the UTF-8 form runs in C, several times faster than a regex substitution."""
    return text.encode("utf-8", "surrogatepass").translate(None, others)


def _unmatched(braces: bytes) -> bytes:
    """The braces left after taking out innermost ``{}`` pairs until none is left (one pass
    per nesting level): nothing exactly when they nest properly. Other bytes in ``braces``
    stay and keep the pairs on either side of them apart."""
    while b"{}" in braces:
        braces = braces.replace(b"{}", b"")
    return braces
