"""Zotero rich text → LaTeX, with Better BibTeX's case protection for titles.

Zotero keeps a few HTML tags in titles (``<i>``, ``<b>``, ``<sup>``, ``<sub>``, ``<sc>``,
``<span class="nocase">``); they become LaTeX commands and everything else is escaped as
:mod:`refsync.bib.latex` escapes text. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections import Counter

from refsync.bib.latex import encode, prepare

__all__ = ["rich_text"]

# Zotero's rich-text subset (zotero.org/support/kb/rich_text_bibliography): the only tags that
# are markup; anything else that looks like a tag is literal text (think "p<q").
# ASCII-only case folding: a dotted capital I ('<İ>') must not pass for <i>
_TAG = re.compile(r"<(/?)(i|b|sup|sub|span|sc)\b([^<>]*)>", re.IGNORECASE | re.ASCII)
_OPENERS = {"i": "\\emph{", "b": "\\textbf{", "sup": "\\textsuperscript{",
            "sub": "\\textsubscript{", "sc": "\\textsc{"}
# Words that may need protection, hyphenated compounds counting as one ("Data-Intensive", as
# BBT groups them): all but those of lower-case ASCII letters and hyphens, which never do and
# are most of a title, so the regex skips them in C. A word starts where no letter or digit
# precedes it, nor a letter or digit and a hyphen (no word starts inside another, so a long
# hyphenated compound is not scanned again from each of its parts).
_MAYBE_PROTECTED = re.compile(
    r"(?<![^\W_])(?<![^\W_]-)(?![a-z]+(?:-[a-z]+)*(?![^\W_]|-[^\W_]))[^\W_]+(?:-[^\W_]+)*"
)
# In ASCII text, once the first word is behind: whole runs of words that need protection, so
# the loop below never sees a word. A compound needs it unless it is lower-case letters only
# or digits only (_needs_protection, for a word that is not the first).
_END = r"(?![A-Za-z0-9]|-[A-Za-z0-9])"  # a compound ends here (no letter, digit or "-x" next)
_PROTECTED_WORD = (rf"(?![a-z]+(?:-[a-z]+)*{_END})(?![0-9]+(?:-[0-9]+)*{_END})"
                   rf"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*{_END}")
_ASCII_RUN = re.compile(
    rf"(?<![A-Za-z0-9])(?<![A-Za-z0-9]-){_PROTECTED_WORD}(?:\s+{_PROTECTED_WORD})*"
)
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")
_DIGIT = re.compile(r"[0-9]")
# A title's first word when it is plain capitalised ASCII ("Deep", "Data-intensive"), which
# _needs_protection never protects: matched whole, as _MAYBE_PROTECTED would take it.
_PLAIN_FIRST_WORD = re.compile(r"[A-Z][a-z]*(?:-[a-z]+)*(?![^\W_]|-[^\W_])")


def _needs_protection(word: str, first: bool) -> bool:
    """BBT's rule: a word with a capital, or mixing digits and letters (``3D``, ``p53``), keeps
    its case, except a plain capitalised first word (which every style capitalises anyway)."""
    letters = word.replace("-", "")
    if letters == letters.lower() and (letters.isalpha() or letters.isdigit()):
        return False  # no capital (caseless scripts included), and not digits among letters
    plain_capitalised = letters.isalpha() and letters[0].isupper() and letters[1:].islower()
    return not (first and (plain_capitalised or len(word) == 1))


class _Protector:
    """Wraps runs of case-sensitive words in ``{{…}}`` (double braces: BBT FAQ, a single brace
    group at the start of a field is ignored by biblatex's sentence-casing).

    A run is protected words separated by whitespace only. Only words that may need protection
    are looked at one by one; the text between runs is encoded in one piece.

    The rule is :func:`_needs_protection`, applied word by word in the loop at the end. The
    shortcuts before it (a plain first word, an all-lower-case rest, whole runs of ASCII words
    found by one pattern) give the same output for the common titles, which is what keeps a
    25,000-entry pull fast; ``fast=False`` leaves them out, and a test in the suite checks the
    two agree.
    """

    def __init__(self, *, fast: bool = True) -> None:
        self.seen_word = False
        self.fast = fast

    def __call__(self, text: str) -> str:
        out: list[str] = []
        written = 0  # text[:written] is in out
        run_start = run_end = -1  # the open run of protected words, if run_start >= 0
        skip = 0
        if self.fast:
            if not self.seen_word and (plain := _PLAIN_FIRST_WORD.match(text)):
                self.seen_word, skip = True, plain.end()  # a capitalised first word stays
            tail = text[skip:]
            if tail.isascii() and tail.islower() and not _DIGIT.search(tail):
                self.seen_word = True  # islower: a letter; no word has a capital or digit
                return encode(text)
            if self.seen_word and tail.isascii():  # no first word to spare: whole runs at once
                return self._ascii_runs(text, skip)
        for match in _MAYBE_PROTECTED.finditer(text, skip):
            start, end = match.span()
            first = not self.seen_word and not _LETTER_OR_DIGIT.search(text, 0, start)
            protect = _needs_protection(match.group(), first)
            self.seen_word = True
            joins_run = run_start >= 0 and text[run_end:start].isspace()
            if run_start >= 0 and not (protect and joins_run):
                out += (encode(text[written:run_start]),
                        "{{" + encode(text[run_start:run_end]) + "}}")
                written, run_start = run_end, -1
            if protect:
                if run_start < 0:
                    run_start = start
                run_end = end
        if run_start >= 0:
            out += (encode(text[written:run_start]),
                    "{{" + encode(text[run_start:run_end]) + "}}")
            written = run_end
        out.append(encode(text[written:]))
        if not self.seen_word and _LETTER_OR_DIGIT.search(text):
            self.seen_word = True
        return "".join(out)

    @staticmethod
    def _ascii_runs(text: str, skip: int) -> str:
        """ASCII text after the first word: every run of words that need protection braced."""
        out: list[str] = []
        written = 0
        for run in _ASCII_RUN.finditer(text, skip):
            out += (encode(text[written:run.start()]), "{{" + encode(run.group()) + "}}")
            written = run.end()
        out.append(encode(text[written:]))
        return "".join(out)


def rich_text(html: str, *, protect: bool = False) -> str:
    """Zotero rich text → LaTeX, with BBT-style case protection when ``protect`` is set.

    ``<span class="nocase">`` becomes a brace group; unclosed tags are closed at the end and
    stray closing tags dropped, so braces always balance whatever the input.
    """
    if not html:
        return html
    protector = _Protector() if protect else None
    text = prepare(html)
    if "<" in text:
        latex = _markup(text, protector)
    else:  # no markup (most values)
        latex = protector(text) if protector else encode(text)
    if "  " in latex:  # dropped tags or characters can leave double spaces
        latex = _SPACES.sub(" ", latex)
    return latex.strip()


#: tags nested deeper than this are dropped (their text stays): no title needs more, and the
#: braces they become must stay within what a parser follows (``PARSABLE_DEPTH``, 32)
MARKUP_DEPTH = 8


def _markup(text: str, protector: _Protector | None) -> str:
    """Text with Zotero's tags in it → LaTeX, each tag's piece encoded (and protected, unless
    inside a ``nocase`` span) on its own.

    Linear in the number of tags: which tags are open, and how many of them are ``nocase``
    spans, are counted as they open and close rather than looked up in the stack.
    """
    out: list[str] = []
    closers: list[tuple[str, str, bool]] = []  # (tag, closing text, a nocase span)
    open_tags: Counter[str] = Counter()
    dropped: Counter[str] = Counter()  # opened beyond MARKUP_DEPTH: their closers are dropped
    nocase = 0
    pos = 0
    for m in _TAG.finditer(text):
        chunk = text[pos:m.start()]
        out.append(protector(chunk) if protector and not nocase else encode(chunk))
        pos = m.end()
        closing, tag, attrs = m.group(1), m.group(2).lower(), m.group(3).lower()
        if closing:
            if dropped[tag]:
                dropped[tag] -= 1
            elif open_tags[tag]:
                while closers:
                    t, close, was_nocase = closers.pop()
                    open_tags[t] -= 1
                    nocase -= was_nocase
                    out.append(close)
                    if t == tag:
                        break
            continue
        if len(closers) >= MARKUP_DEPTH:
            dropped[tag] += 1
            continue
        if tag == "span" and "nocase" in attrs:
            opening, closer, is_nocase = "{", "}", True
        elif tag == "span":
            small_caps = "small-caps" in attrs
            opening, closer = ("\\textsc{", "}") if small_caps else ("", "")
            is_nocase = False
        else:
            opening, closer, is_nocase = _OPENERS[tag], "}", False
        out.append(opening)
        closers.append((tag, closer, is_nocase))
        open_tags[tag] += 1
        nocase += is_nocase
    chunk = text[pos:]
    out.append(protector(chunk) if protector and not nocase else encode(chunk))
    out.extend(close for _, close, _ in reversed(closers))
    return "".join(out)


_SPACES = re.compile(" {2,}")
