"""Citation keys: pinned keys, sanitising and deterministic disambiguation.

A formatter plugin only proposes a base key; everything that makes keys *safe* and *stable*
lives here, so every formula gets the same guarantees:

* a key the user pinned in Zotero wins; a key refsync handed out before (the lock) never changes
  and is never given to another item;
* new keys are ASCII, free of BibTeX-unsafe characters, and unique ignoring case;
* collision suffixes ``a, b, … z, aa …`` (Better BibTeX's scheme) are given in an order that
  depends only on the records, not on the order a server returned them, so two machines that
  see the same library produce the same keys (the instability of BBT#3019).

Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING

from refsync.bib.vocabulary import KEY_CHARACTERS
from refsync.model import Reference, extra_lines
from refsync.util.charmap import SPELLED_OUT, LazyTable

if TYPE_CHECKING:
    from refsync.hookspecs import KeyFormatter

__all__ = ["assign_keys", "fold_ascii", "pinned_key", "sanitize_key", "suffix"]


def _fold_char(ch: str) -> str:
    """One character's ASCII form. Folding character by character gives what folding the
    whole text would: NFKD maps each character on its own, and the marks it may reorder are
    not ASCII, so they are dropped either way."""
    spelled = SPELLED_OUT.get(ch, ch)
    return unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode("ascii")


_FOLD = LazyTable(_fold_char)
# BBT removes its citekeyUnsafeChars \"#%'(),={}~ and whitespace (preferences.yaml). That is not
# enough for LaTeX: a key reaches \bibitem and the .aux, where ``^^5c`` reads as a backslash and
# ``& $ ^ [ ]`` break \cite. So only letters, digits and ``_ - : . / +`` are kept.
_UNSAFE = re.compile(r"[^\w:./+-]")
# A key the user chose keeps every character a key may hold: one that loses a character
# breaks its \cite
_UNSAFE_PINNED = re.compile(f"[^{KEY_CHARACTERS}]")


def fold_ascii(text: str) -> str:
    """Transliterate to ASCII (BBT's ``citekeyFold``): drop accents, spell out ß/æ/ø/ł …; any
    character with no ASCII form is removed."""
    return text if text.isascii() else _FOLD.translate(text)


def sanitize_key(text: str, *, fold: bool = True) -> str:
    """Make a key BibTeX, biber and LaTeX accept: fold to ASCII, keep only safe characters.

    Pinned keys are cleaned with ``fold=False``: the user chose them, only syntax is enforced.
    """
    text = fold_ascii(text) if fold else "".join(c for c in text if c.isprintable())
    unsafe = _UNSAFE if fold else _UNSAFE_PINNED
    return text if text.isalnum() else unsafe.sub("", text)  # most keys: nothing to remove


def suffix(n: int) -> str:
    """The n-th collision suffix: ``""`` for 0, then ``a … z, aa, ab …`` (like spreadsheet
    columns)."""
    letters = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


# a key holds no "[" (one would not survive sanitize_key anyway); stopping there keeps a run
# of "biblatexcitekey[" from being scanned again from each of them
_BIBLATEX_KEY = re.compile(r"biblatexcitekey\[([^\[\]\s]+)\]", re.IGNORECASE)
_KEY_LABELS = frozenset({"citation key", "bibtex"})  # Extra labels of a pinned key
_SPACE = re.compile(r"\s")  # a key is one word: "bibtex: see below" pins nothing


def pinned_key(ref: Reference) -> str | None:
    """The key the user fixed in Zotero, cleaned of BibTeX-unsafe characters, or ``None``.

    Read in the order Better BibTeX reads them (``content/key-manager.ts``): Zotero's native
    ``citationKey`` field (Zotero 8 / BBT 8+), then Extra lines ``Citation Key: …`` (BBT 6–7)
    and ``bibtex: …`` or ``biblatexcitekey[…]`` (BBT ≤ 5).
    """
    candidates = [ref.get("citationKey")]
    extra = ref.get("extra")
    lowered = extra.lower()
    if "key" in lowered or "bibtex" in lowered:  # in every label below; absent from most Extras
        candidates += [value for label, value in extra_lines(extra)
                       if label.lower() in _KEY_LABELS and not _SPACE.search(value)]
        candidates += _BIBLATEX_KEY.findall(extra)
    for candidate in candidates:
        if candidate and (key := sanitize_key(candidate, fold=False)):
            return key
    return None


def _order(ref: Reference, ident: str) -> str:
    """Records with a DOI first, by DOI; then by Zotero key, then title: only the records'
    content decides, never the order a server listed them in. A Zotero item's title is not
    looked at: its key already tells it apart (and folding every title's case is not free).

    One string, the parts joined by NUL (which sorts first, so a part that is a prefix of
    another still sorts first), rather than a tuple: see bench/README.md.
    """
    doi = ref.doi
    key = ref.key
    title = "" if key else ref.title.casefold()
    return f"{'1' if not doi else '0'}{doi.lower()}\x00{key}\x00{title}\x00{ident}"


def assign_keys(
    refs: Sequence[Reference],
    formatter: KeyFormatter,
    taken: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Give every record a unique citation key; returns ``identity → key``.

    :param taken: ``identity → key`` handed out earlier (the lock file). Those records keep their
        key whatever changed, and no other record may use it, in any letter case.

    Precedence: the lock, then the pinned key, then the formatter's key. A pinned or formula
    key that is already used gets the first free suffix; records are visited in
    :func:`_order`, so suffixes do not depend on input order. A formula that yields nothing
    falls back to ``ref`` plus a hash of the identity.
    """
    taken = taken or {}
    result: dict[str, str] = {}
    new: list[tuple[str, str, Reference]] = []  # (order, identity, record)
    for ref in refs:
        if (ident := ref.identity) in taken:
            result[ident] = taken[ident]
        else:
            new.append((_order(ref, ident), ident, ref))
    if not new:  # a pull with nothing new: no formula, no ordering
        return result
    used = {key.casefold() for key in taken.values()}
    pending: dict[str, Reference] = {}
    new.sort(key=itemgetter(0))
    for _, ident, ref in new:
        pending.setdefault(ident, ref)  # a record listed twice gets one key
    pins = {ident: pinned_key(ref) for ident, ref in pending.items()}
    # pinned keys are claimed before formula keys, so a new item cannot take a pinned key
    bases = [(ident, pin) for ident, pin in pins.items() if pin] + [
        (ident, sanitize_key(formatter.format_key(ref)) or _fallback(ident))
        for ident, ref in pending.items() if not pins[ident]
    ]
    tried: dict[str, int] = {}
    for ident, base in bases:
        result[ident] = _claim(base, used, tried)
    return result


def _fallback(ident: str) -> str:
    return "ref" + hashlib.sha1(ident.encode("utf-8")).hexdigest()[:8]


def _claim(base: str, used: set[str], tried: dict[str, int]) -> str:
    """``base`` with the first suffix whose key is not ``used`` (ignoring case).

    ``tried`` holds, per base, how many suffixes an earlier claim found taken; keys are only
    ever added to ``used``, so they are still taken and the search starts after them (without
    it, n records sharing a base cost n²/2 look-ups).
    """
    n = tried.get(base, 0)
    while (key := base + suffix(n)).casefold() in used:
        n += 1
    used.add(key.casefold())
    tried[base] = n + 1
    return key
