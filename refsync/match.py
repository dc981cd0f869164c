"""Are two records the same work? Identifier rules, evidence scoring and blocking, no I/O.

Pair decisions follow the Fellegi–Sunter idea (Fellegi & Sunter, JASA 64(328), 1969): each field
adds log-odds for or against "same work", and the sum, squashed to (0, 1), is the score compared
with ``MatchSettings.duplicate_threshold``. Identifiers decide before any field is weighed.
Blocking keeps cost near-linear: a pair is scored only when both records share a blocking key.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from pylatexenc.latex2text import LatexNodes2Text
from rapidfuzz import fuzz, process

from .doi import extract_dois
from .hookspecs import Matcher
from .identifiers import SCHEMES, identifiers_of
from .model import Reference

__all__ = [
    "CoreMatcher",
    "Decision",
    "Group",
    "MatchIndex",
    "MatchSettings",
    "compare",
    "find_duplicate_groups",
    "normalize_title",
]

Kind = Literal["duplicate", "related", "distinct"]


@dataclass(frozen=True)
class MatchSettings:
    """Thresholds of the matcher; the defaults favour precision (a missed merge is cheaper to
    fix than a wrongly merged pair of works)."""

    duplicate_threshold: float = 0.99
    year_tolerance: int = 1
    prefilter: float = 70.0  #: title similarity (0–100) below which a blocked pair is not scored
    max_block: int = 2000  #: blocking keys shared by more records than this are skipped


@dataclass(frozen=True)
class Decision:
    """The verdict on one pair, with a reason a person can check (``title 0.97 + 3/3 authors``)."""

    kind: Kind
    score: float
    reason: str


@dataclass(frozen=True)
class Group:
    """Records judged to be one work, in input order, with the reason of the first link and
    their positions in the input."""

    items: tuple[Reference, ...]
    reason: str
    positions: tuple[int, ...] = ()


class CoreMatcher:
    """Base of the matchers :class:`MatchIndex` already runs natively on prepared records.

    Plugins wrapping the core derive from it so the index does not consult them a second time.
    """

    name = "core"
    settings: MatchSettings = MatchSettings()

    def decide(self, candidate: Reference, existing: Reference) -> Decision:
        return compare(candidate, existing, self.settings)


def compare(a: Reference, b: Reference, settings: MatchSettings | None = None) -> Decision:
    """Decide one pair without an index (the slow path, for single checks and plugins)."""
    return _decide(_prepare(a, identifiers_of(a)), _prepare(b, identifiers_of(b)),
                   settings or MatchSettings())


def _decide(a: _Record, b: _Record, settings: MatchSettings, recurring: bool = False) -> Decision:
    """``recurring``: the title is also held by other records (a column, a panel), so it is
    weighed like a generic title."""
    by_id = _identifier_decision(a, b)
    if by_id is not None and by_id.kind != "distinct":
        return by_id
    fields = _field_decision(a, b, settings, recurring)
    if by_id is None and fields.kind == "duplicate" and a.ref.item_type != b.ref.item_type:
        # a preprint and its article, a conference paper and its journal version: two records
        # a user keeps apart, but should hear about (zoplicate#37; anchors §b)
        what = "preprint and published" if "preprint" in (a.family, b.family) else "other"
        return Decision("related", fields.score, f"{what} version: " + fields.reason)
    return by_id or fields


def _identifier_decision(a: _Record, b: _Record) -> Decision | None:
    """Shared identifier → same work; different identifiers of one scheme → different works."""
    if a.related & b.ids.get("doi", set()) or b.related & a.ids.get("doi", set()):
        return Decision("related", 1.0, "linked as preprint and published version")
    conflicts = []
    for scheme in SCHEMES:
        mine, theirs = a.ids.get(scheme), b.ids.get(scheme)
        if not mine or not theirs or (scheme == "isbn" and not a.family == b.family == "book"):
            continue  # chapters and papers carry the ISBN of the book they appear in
        if mine & theirs:
            label = "arXiv id" if scheme == "arxiv" else scheme.upper()
            if scheme == "arxiv" and (a.family == "preprint") != (b.family == "preprint"):
                return Decision("related", 1.0, f"same {label}: preprint and published version")
            return Decision("duplicate", 1.0, f"same {label}")
        conflicts.append(scheme.upper() + "s" if scheme != "arxiv" else "arXiv ids")
    if conflicts:
        return Decision("distinct", 0.0, "different " + ", ".join(conflicts))
    return None


# log-odds weights; tuned on DBLP-ACM and Cora (bench/dedup_quality.py), kept round on purpose
_EXACT_TITLE = 8.0
_TITLE_SLOPE = 0.6  # log-odds lost per point of title similarity below 100
_SHORT_TITLE_CAP = 3.0  # one- or two-word titles say little on their own
_GENERIC_TITLE_CAP = 0.5  # "Editorial", "Preface": only authors and year can tell them apart
_SUBTITLE_PENALTY = 2.0
_AUTHORS_ALL, _AUTHORS_MOST, _AUTHORS_HALF, _AUTHORS_SOME, _AUTHORS_NONE = 3.0, 2.0, 1.0, -2.0, -6.0
_YEAR_SAME, _YEAR_NEAR, _YEAR_FAR, _YEAR_VERY_FAR = 1.0, 0.0, -3.0, -6.0
_CONTAINER_SAME, _FAMILY_SAME, _FAMILY_OTHER = 1.0, 0.5, -1.0
_NUMBERS_DIFFER = -8.0  # "Part II" vs "Part III": series members share everything else


def _field_decision(a: _Record, b: _Record, settings: MatchSettings,
                    recurring: bool) -> Decision:
    sim, via_main = _title_similarity(a, b)
    weight = max(-10.0, _EXACT_TITLE - (100.0 - sim) * _TITLE_SLOPE)
    compared_a = a.main if via_main and a.main else a.title
    compared_b = b.main if via_main and b.main else b.title
    generic = recurring or compared_a.generic or compared_b.generic
    if generic:
        weight = min(weight, _GENERIC_TITLE_CAP)
    elif min(len(compared_a.tokens), len(compared_b.tokens)) <= 2:
        weight = min(weight, _SHORT_TITLE_CAP)
    reasons = [f"title {sim / 100:.2f}" + (" without subtitle" if via_main else "")]
    if via_main:
        weight -= _SUBTITLE_PENALTY
    numbered = compared_a.numbers and compared_b.numbers
    if (numbered and compared_a.numbers != compared_b.numbers) or a.notices != b.notices:
        weight += _NUMBERS_DIFFER
        reasons[0] += " (numbering or notice words differ)"
    for part_weight, text in (_author_evidence(a, b, generic),
                              _year_evidence(a, b, settings, generic),
                              _container_evidence(a, b)):
        weight += part_weight
        if text:
            reasons.append(text)
    score = 1.0 / (1.0 + math.exp(-weight))
    kind: Kind = "duplicate" if score >= settings.duplicate_threshold else "distinct"
    return Decision(kind, round(score, 4), " + ".join(reasons))


def _title_similarity(a: _Record, b: _Record) -> tuple[float, bool]:
    """Best of full-vs-full and, when only one side has a subtitle, main-vs-full."""
    full = max(fuzz.ratio(a.title.text, b.title.text),
               fuzz.token_sort_ratio(a.title.text, b.title.text))  # "X (demo): Y" vs "X: Y (demo)"
    if full >= 99.5 or bool(a.main) == bool(b.main):
        return full, False
    short = fuzz.ratio(a.main.text, b.title.text) if a.main else fuzz.ratio(a.title.text, b.main.text)
    return (short, True) if short > full else (full, False)


def _author_evidence(a: _Record, b: _Record, generic: bool) -> tuple[float, str]:
    """Shared authors; for a generic title every author on both sides must be shared, since a
    column editor alone does not make two columns one."""
    if not a.authors or not b.authors:
        return 0.0, ""
    matched = _matched_authors(a.authors, b.authors)
    fewer = (max if generic else min)(len(a.authors), len(b.authors))
    text = f"{matched}/{max(len(a.authors), len(b.authors))} authors"
    if matched == fewer:
        return _AUTHORS_ALL, text
    if matched * 4 >= fewer * 3:
        return _AUTHORS_MOST, text
    if matched * 2 >= fewer:
        return _AUTHORS_HALF, text
    return (_AUTHORS_SOME if matched else _AUTHORS_NONE), text


def _matched_authors(mine: Sequence[tuple[str, str, str]],
                     theirs: Sequence[tuple[str, str, str]]) -> int:
    """Greedy order-insensitive pairing on last name (whole or final word) and first initial."""
    free = list(theirs)
    matched = 0
    for last, final, initial in mine:
        for i, (o_last, o_final, o_initial) in enumerate(free):
            same_name = last == o_last or final == o_final or (
                len(last) > 4 and fuzz.ratio(last, o_last) >= 85)
            if same_name and (not initial or not o_initial or initial == o_initial):
                matched += 1
                del free[i]
                break
    return matched


def _year_evidence(a: _Record, b: _Record, settings: MatchSettings,
                   generic: bool) -> tuple[float, str]:
    """Same year, or ±1 for online-first vs issue dates; a yearly column has no such excuse."""
    if a.year is None or b.year is None:
        return 0.0, ""
    gap = abs(a.year - b.year)
    if gap == 0:
        return _YEAR_SAME, "year"
    if gap <= settings.year_tolerance and not generic:
        return _YEAR_NEAR, f"year ±{gap}"
    return (_YEAR_FAR if gap <= 2 else _YEAR_VERY_FAR), f"years {a.year}/{b.year}"


def _container_evidence(a: _Record, b: _Record) -> tuple[float, str]:
    weight, text = 0.0, ""
    if a.container and b.container and fuzz.token_set_ratio(a.container, b.container) >= 90:
        weight, text = _CONTAINER_SAME, "same container"
    if a.family == b.family:
        return weight + _FAMILY_SAME, text
    return weight + _FAMILY_OTHER, (text + " + " if text else "") + "different item types"


class MatchIndex:
    """A library prepared for many look-ups: normalised once, blocked by identifier, rare title
    words and first author + year, so each look-up scores a handful of pairs, not the library.

    :param matchers: plugin matchers consulted on every blocked pair besides the core rules
        (instances of :class:`CoreMatcher` are skipped: the index runs those natively).
    """

    def __init__(self, refs: Iterable[Reference], settings: MatchSettings | None = None,
                 matchers: Iterable[Matcher] = ()) -> None:
        self.settings = settings or MatchSettings()
        self.matchers = tuple(m for m in matchers if not isinstance(m, CoreMatcher))
        self._items = [_prepare(r, identifiers_of(r)) for r in refs]
        self._rarity: dict[str, int] = defaultdict(int)
        self._titles: dict[str, int] = defaultdict(int)
        for item in self._items:
            self._titles[item.title.text] += 1
            for token in set(item.title.tokens):
                self._rarity[token] += 1
        self._blocks: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for i, item in enumerate(self._items):
            for key in _block_keys(item, self._rarity):
                self._blocks[key].append(i)

    def __len__(self) -> int:
        return len(self._items)

    def find(self, candidate: Reference) -> list[tuple[Reference, Decision]]:
        """Library records that are the same work as ``candidate`` or related to it, best first."""
        probe = _prepare(candidate, identifiers_of(candidate))
        near: set[int] = set()
        for key in _block_keys(probe, self._rarity):
            block = self._blocks.get(key, ())
            if len(block) <= self.settings.max_block:
                near.update(block)
        found = []
        for i in sorted(near):
            decision = self._judge(probe, self._items[i], within=False)
            if decision.kind != "distinct":
                found.append((self._items[i].ref, decision))
        found.sort(key=lambda pair: (pair[1].kind != "duplicate", -pair[1].score))
        return found

    def pairs(self) -> Iterator[tuple[int, int, Decision]]:
        """Every duplicate or related pair inside the library (indices in input order)."""
        seen: set[tuple[int, int]] = set()
        for block in self._blocks.values():
            if len(block) < 2 or len(block) > self.settings.max_block:
                continue
            for i, j in self._similar_in(block):
                if (i, j) in seen:
                    continue
                seen.add((i, j))
                decision = self._judge(self._items[i], self._items[j], within=True)
                if decision.kind != "distinct":
                    yield i, j, decision

    def _similar_in(self, block: list[int]) -> Iterator[tuple[int, int]]:
        """Pairs of a block worth scoring; titles are screened in C by rapidfuzz ``extract``."""
        if self.matchers or len(block) == 2:
            yield from ((i, j) for n, i in enumerate(block) for j in block[n + 1:])
            return
        titles = [self._items[i].title.text for i in block]
        for x, title in enumerate(titles[:-1]):
            for _, _, y in process.extract(title, titles[x + 1:], scorer=fuzz.token_set_ratio,
                                           score_cutoff=self.settings.prefilter, limit=None):
                yield block[x], block[x + 1 + y]

    def _judge(self, a: _Record, b: _Record, *, within: bool) -> Decision:
        """Decide a blocked pair; ``within``: both records are in the index (already screened)."""
        by_id = _identifier_decision(a, b)
        if by_id is not None and by_id.kind == "distinct":
            return by_id  # conflicting identifiers veto every matcher
        if not within and not self.matchers and by_id is None and fuzz.token_set_ratio(
                a.title.text, b.title.text, score_cutoff=self.settings.prefilter) == 0:
            return Decision("distinct", 0.0, "titles differ")
        # how many other records carry one of these two titles: a title shared across a library
        # is a column or a series name, not evidence (the idea behind IDF weighting)
        others = self._titles.get(a.title.text, 0) - 1 - within
        if b.title.text != a.title.text:
            others += self._titles.get(b.title.text, 0)
        decision = _decide(a, b, self.settings, recurring=others > 0)
        for matcher in self.matchers:
            verdict = matcher.match(a.ref, b.ref)
            if verdict and verdict.score >= self.settings.duplicate_threshold and (
                    decision.kind != "duplicate" or verdict.score > decision.score):
                decision = Decision("duplicate", verdict.score, f"{matcher.name}: {verdict.reason}")
        return decision


def _block_keys(item: _Record, rarity: dict[str, int]) -> Iterator[tuple[str, ...]]:
    for scheme, values in item.ids.items():
        for value in values:
            yield ("id", scheme, value)
    for title in (item.title, item.main):
        if title is None:
            continue
        known = sorted((t for t in set(title.tokens) if rarity.get(t)), key=lambda t: (rarity[t], t))
        rare = sorted(known[:3])
        if len(rare) < 2:
            yield ("t", *rare)
        for x in range(len(rare)):
            for y in range(x + 1, len(rare)):
                yield ("t", rare[x], rare[y])
    if item.authors and item.year is not None:
        for year in (item.year, item.year + 1):  # any two years ±1 apart share one key
            yield ("a", item.authors[0][1], str(year))


def find_duplicate_groups(refs: Iterable[Reference], settings: MatchSettings | None = None,
                          matchers: Iterable[Matcher] = ()) -> list[Group]:
    """Sets of records in one library that are the same work (transitive, by union-find)."""
    items = list(refs)
    index = MatchIndex(items, settings, matchers)
    parent = list(range(len(items)))
    reasons: dict[int, str] = {}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j, decision in index.pairs():
        if decision.kind == "duplicate" and (ri := root(i)) != (rj := root(j)):
            parent[max(ri, rj)] = min(ri, rj)
            reasons.setdefault(min(ri, rj), decision.reason)
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(len(items)):
        members[root(i)].append(i)
    return [Group(tuple(items[i] for i in group), reasons.get(r, ""), tuple(group))
            for r, group in members.items() if len(group) > 1]


# --- normalisation: done once per record, so pair scoring only compares prepared values ---

_LATEX = LatexNodes2Text()
_HTML_TAG = re.compile(r"<[^>]+>")
_NON_WORD = re.compile(r"[\W_]+")  # Unicode-aware: curly quotes and dashes count as punctuation
# letters Unicode gives no decomposition, so NFKD alone would keep them apart from their ASCII form
_UNDECOMPOSED = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D",
                               "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ı": "i", "þ": "th"})
_SUBTITLE = re.compile(r"\s*(?:[:?!.]|\s[-\u2013\u2014]{1,2})\s+")
_GENERIC = frozenset({
    "editorial", "guest editorial", "editors note", "introduction", "preface", "foreword",
    "index", "author index", "subject index", "book review", "book reviews", "reply",
    "response", "erratum", "errata", "corrigendum", "correction", "retraction", "comment",
    "commentary", "discussion", "letter to the editor", "letters to the editor", "contents",
    "table of contents", "front matter", "back matter", "acknowledgments", "acknowledgements",
    "obituary", "in memoriam", "news", "announcements", "abstracts", "conclusion",
    "conclusions", "summary", "overview", "reviewers", "introduction to the special issue",
})
_NOTICE_WORDS = frozenset({"erratum", "errata", "corrigendum", "correction", "retraction",
                           "retracted", "reply", "rejoinder", "addendum"})
_NUMERALS = frozenset({"ii", "iii", "iv", "vi", "vii", "viii", "ix", "xi", "xii"})
_FAMILIES = {"journalArticle": "article", "magazineArticle": "article",
             "newspaperArticle": "article", "conferencePaper": "article",
             "bookSection": "chapter", "encyclopediaArticle": "chapter",
             "dictionaryEntry": "chapter", "blogPost": "webpage", "forumPost": "webpage"}
_CONTAINERS = ("publicationTitle", "proceedingsTitle", "bookTitle", "conferenceName")


def normalize_title(text: str) -> str:
    """Title text reduced to lower-case ASCII-folded words: LaTeX and HTML markup, diacritics and
    all punctuation (ASCII or not) removed, so ``{\\"u}ber`` and ``Über`` compare equal."""
    if "\\" in text or "$" in text:
        text = _LATEX.latex_to_text(text)
    if "<" in text or "&" in text:
        text = html.unescape(_HTML_TAG.sub(" ", text))
    text = text.replace("{", "").replace("}", "")
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSED))
        text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


@dataclass(frozen=True, slots=True)
class _Title:
    text: str
    tokens: tuple[str, ...]
    generic: bool
    numbers: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Record:
    ref: Reference
    ids: dict[str, set[str]]
    title: _Title
    main: _Title | None  # the title before its subtitle, when it has one
    notices: frozenset[str]
    authors: tuple[tuple[str, str, str], ...]  # (last name joined, its final word, initial)
    year: int | None
    family: str
    container: str
    related: frozenset[str]  # DOIs of linked preprints / published versions


def _title(text: str) -> _Title:
    tokens = tuple(text.split())
    numbers = frozenset(t for t in tokens if t.isdigit() or t in _NUMERALS)
    return _Title(text, tokens, text in _GENERIC, numbers)


def _prepare(ref: Reference, ids: dict[str, set[str]]) -> _Record:
    raw = ref.title
    full = _title(normalize_title(raw))
    head = _SUBTITLE.split(raw, maxsplit=1)
    main = _title(normalize_title(head[0])) if len(head) == 2 else None
    if main is not None and (not main.tokens or main.text == full.text):
        main = None
    people = ref.creators_of("author") or ref.creators_of("editor") or ref.creators
    authors = []
    for person in people[:12]:
        last = normalize_title(person.family)
        if last:
            # a mojibake first letter ("?ystein" for Øystein) leaves the initial unknown
            initial = "" if person.first[:1] in "?\ufffd" else normalize_title(person.first)[:1]
            authors.append((last.replace(" ", ""), last.rsplit(" ", 1)[-1], initial))
    related = frozenset(doi for kind, dois in ref.relations.items() if "preprint" in kind
                        for doi in extract_dois(" ".join(dois)))
    container = next((ref.get(name) for name in _CONTAINERS if ref.get(name)), "")
    return _Record(
        ref=ref, ids=ids, title=full, main=main,
        notices=frozenset(full.tokens) & _NOTICE_WORDS, authors=tuple(authors),
        year=ref.issued.year, family=_FAMILIES.get(ref.item_type, ref.item_type),
        container=normalize_title(container) if container else "", related=related,
    )
