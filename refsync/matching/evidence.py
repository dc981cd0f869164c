"""How much a pair's fields say for "same work": title, creators, year and container, each as
log-odds, summed and squashed to a score (the Fellegi–Sunter idea; see ``refsync.matching.index``).

Identifiers are not weighed here: ``refsync.matching.index`` decides on them first. Pure: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz

from refsync.matching.features import Fingerprint, PersonKey, TitleForm

__all__ = ["Decision", "Kind", "MatchSettings", "field_decision", "same_container"]

Kind = Literal["duplicate", "related", "distinct"]


@dataclass(frozen=True)
class MatchSettings:
    """Thresholds of the matcher; the defaults favour precision (a missed merge is cheaper to
    fix than a wrongly merged pair of works)."""

    duplicate_threshold: float = 0.99
    year_tolerance: int = 1
    prefilter: float = 70.0  #: title similarity (0–100) below which a blocked pair is not scored
    max_block: int = 2000  #: blocking keys shared by more records than this are skipped
    #: the same for first author + year ("Wang 2020"), a fallback key that common names blur
    max_name_block: int = 100


@dataclass(frozen=True)
class Decision:
    """The verdict on one pair, with a reason a person can check (``title 0.97 + 3/3 authors``)."""

    kind: Kind
    score: float
    reason: str


# log-odds weights; tuned on DBLP-ACM and Cora (bench/dedup_quality.py), kept round on purpose
_EXACT_TITLE = 8.0
_TITLE_SLOPE = 0.6  # log-odds lost per point of title similarity below 100
_LONG_TITLE_BONUS = 1.5  # reached at 11 words
_SHORT_TITLE_CAP = 3.0  # one- or two-word titles say little on their own
_GENERIC_TITLE_CAP = 0.5  # "Editorial", "Preface": only authors and year can tell them apart
# comparing shortened titles is weaker evidence: "Deep learning" may be a different work from
# "Deep learning: a survey"; a parenthetical note ("(extended abstract)") rarely names one
# citation text glued to a title by a sloppy import ("schapire (1996). experiments with …") is
# cut only when names, a year or the venue explain it, yet the cut may still hide a real word
# a title found whole at the start of a longer one is a truncated form ("Observations on the
# ODMG-93 proposal [for an object-oriented database language]"): a dropped subtitle without its
# punctuation to show it, so a little weaker than one
_VARIANT_PENALTY = {"": 0.0, "without notes": 1.0, "without subtitle": 2.0,
                    "without citation text": 1.5, "cut short": 2.5}
_MIN_CUT_SHORT_WORDS = 3  # "Transactional information systems" within its book's full title
_SAME_ORDER = 90.0  # edit similarity of the words a shorter title shares with a longer one
_MIN_CUT_WORDS = 4  # a shorter title found inside a longer one is a coincidence too easily
# words a reference list wraps around names and venues
_CITATION_WORDS = frozenset({"in", "ed", "eds", "editor", "editors", "pp", "pages", "vol",
                             "volume", "no", "proc", "appeared", "also", "tech", "rep", "report",
                             "technical", "et", "al", "and", "to", "appear"})
_AUTHORS_ALL, _AUTHORS_MOST, _AUTHORS_HALF, _AUTHORS_SOME, _AUTHORS_NONE = 3.0, 2.0, 1.0, -2.0, -6.0
# a byline of three or more names agreeing in full is rarer by chance than one or two names
_AUTHORS_EACH_MORE, _AUTHORS_MORE_CAP = 0.6, 1.8
_YEAR_SAME, _YEAR_NEAR, _YEAR_FAR, _YEAR_VERY_FAR = 1.0, 0.0, -5.0, -9.0
_CONTAINER_SAME, _FAMILY_SAME, _FAMILY_OTHER = 1.0, 0.5, -1.0
_NUMBERS_DIFFER = -8.0  # "Part II" vs "Part III": series members share everything else
_UNDECIDABLE = -10.0  # a column title whose other issues share author and year too


def field_decision(a: Fingerprint, b: Fingerprint, settings: MatchSettings,
                   recurring: bool, namesakes: int = 0) -> Decision:
    """Weigh the fields of a pair. ``recurring``: the title is also held by other authors or in
    other years (a column); ``namesakes``: other records share title, first author and year with
    either of the pair."""
    sim, compared_a, compared_b, variant = _title_similarity(a, b)
    weight = max(-10.0, _EXACT_TITLE - (100.0 - sim) * _TITLE_SLOPE) - _VARIANT_PENALTY[variant]
    if sim >= 99.5:  # the longer an identical title, the less likely two works share it
        words = min(len(compared_a.tokens), len(compared_b.tokens))
        weight += min(_LONG_TITLE_BONUS, 0.25 * max(0, words - 5))
    generic = compared_a.generic or compared_b.generic
    if generic:
        weight = min(weight, _GENERIC_TITLE_CAP)
    elif recurring or min(len(compared_a.tokens), len(compared_b.tokens)) <= 2:
        weight = min(weight, _SHORT_TITLE_CAP)
    strict = generic or recurring
    reasons = [f"title {sim / 100:.2f}" + (f" {variant}" if variant else "")]
    numbers_a, numbers_b = compared_a.numbers, compared_b.numbers
    # one title adding a number ("March 1994") is a longer form; two different numbers are not
    clash = not (numbers_a <= numbers_b or numbers_b <= numbers_a)
    if clash or a.notices != b.notices:
        weight += _NUMBERS_DIFFER
        reasons[0] += " (numbering or notice words differ)"
    if strict and namesakes:
        # issues of a column ("Book review column", Aberer, 2002, four times): only an issue,
        # pages or an identifier could say which one this is, and none decided
        weight += _UNDECIDABLE
        reasons[0] += f" (also on {namesakes} other record{'s' if namesakes > 1 else ''}" \
                      " by the same first author in the same year)"
    for part_weight, text in (_author_evidence(a, b, strict),
                              _year_evidence(a, b, settings, strict),
                              _container_evidence(a, b)):
        weight += part_weight
        if text:
            reasons.append(text)
    score = 1.0 / (1.0 + math.exp(-weight))
    kind: Kind = "duplicate" if score >= settings.duplicate_threshold else "distinct"
    return Decision(kind, round(score, 4), " + ".join(reasons))


def _title_similarity(a: Fingerprint, b: Fingerprint) -> tuple[float, TitleForm, TitleForm, str]:
    """Best of: full titles (any word order), titles without parenthetical notes, and one side's
    main title against the other's full title (never main against main: two subtitles that
    differ name two works)."""
    best = (_similarity(a.title, b.title), a.title, b.title, "")
    if best[0] >= 99.5:
        return best
    options = []
    if a.bare or b.bare:
        options.append((a.bare or a.title, b.bare or b.title, "without notes"))
    if a.main:
        options.append((a.main, b.title, "without subtitle"))
    if b.main:
        options.append((a.title, b.main, "without subtitle"))
    if (cut := _without_citation_text(a, b)) is not None:
        options.append((*cut, "without citation text"))
    options.extend((*pair, "cut short") for pair in _cut_short(a, b))
    for x, y, variant in options:
        sim = _similarity(x, y)
        if sim - _VARIANT_PENALTY[variant] / _TITLE_SLOPE > best[0]:
            best = (sim, x, y, variant)
    return best


def _cut_short(a: Fingerprint, b: Fingerprint) -> list[tuple[TitleForm, TitleForm]]:
    """The shorter title (without its notes) against as many words from the start of the longer
    full title, when they read the same in the same order and both records name the same
    container: a title cut short, or one with a subtitle glued on without punctuation. Elsewhere
    a longer title may add a topic ("… in medical imaging") and name another work by the same
    authors; nor at the end: "A system for watermarking relational databases" is the demo, not
    the paper. Empty when the shorter has fewer than three words."""
    if not same_container(a, b):
        return []
    x, y = a.bare or a.title, b.bare or b.title
    flip = len(x.tokens) > len(y.tokens)
    short, long = (y, a.title) if flip else (x, b.title)
    size = len(short.tokens)
    if size < _MIN_CUT_SHORT_WORDS or size >= len(long.tokens):
        return []
    words = long.tokens[:size]
    cut = TitleForm(" ".join(words), words, short.generic)
    if fuzz.ratio(cut.text, short.text, score_cutoff=_SAME_ORDER) == 0:
        return []
    return [(cut, short) if flip else (short, cut)]


def _without_citation_text(a: Fingerprint, b: Fingerprint) -> tuple[TitleForm, TitleForm] | None:
    """Both titles, the longer cut to the words that match the shorter, when what is cut is
    citation text that leaked into it: a name, a year or the venue, with at most as many other
    words ("schapire (1996). experiments with …", "the strength of weak learnability machine
    learning"). ``None`` when the shorter title is not found, or the rest reads like a title."""
    if abs(len(a.title.tokens) - len(b.title.tokens)) < 1:
        return None
    short, long = (a, b) if len(a.title.tokens) < len(b.title.tokens) else (b, a)
    if len(short.title.tokens) < _MIN_CUT_WORDS:
        return None
    found = fuzz.partial_ratio_alignment(short.title.text, long.title.text, score_cutoff=90)
    if found is None:
        return None
    text = long.title.text  # widen the matched stretch to whole words
    start = text.rfind(" ", 0, found.dest_start) + 1
    end = text.find(" ", found.dest_end) if text[found.dest_end - 1:found.dest_end] != " " else -1
    end = len(text) if end < 0 else end
    leaked = (text[:start] + " " + text[end:]).split()
    if not leaked or not _explains(leaked, a, b):
        return None
    core = text[start:end].strip()
    cut = TitleForm(core, tuple(core.split()), False)
    return (short.title, cut) if short is a else (cut, short.title)


def _explains(leaked: list[str], a: Fingerprint, b: Fingerprint) -> bool:
    """At least one leaked word is a creator's name, a year or a venue word of either record,
    and such words (or citation words, numbers, initials) make up more than half of them:
    "… vision 2020 in medical imaging" adds a topic, not a citation.
    A name split by a line break ("war muth") counts when its halves join up."""
    names = a.name_words | b.name_words
    venue = set(a.container.split()) | set(b.container.split())
    telling = [w in names or w in venue or _is_year(w) for w in leaked]
    joined = [f"{x}{y}" in names for x, y in zip(leaked, leaked[1:], strict=False)]
    for i, whole in enumerate(joined):
        if whole:
            telling[i] = telling[i + 1] = True
    explained = sum(t or w in _CITATION_WORDS or w.isdigit() or len(w) == 1
                    for t, w in zip(telling, leaked, strict=True))
    return any(telling) and 2 * explained > len(leaked)


def _is_year(word: str) -> bool:
    return len(word) == 4 and word.isdigit() and 1800 <= int(word) <= 2099


def _similarity(a: TitleForm, b: TitleForm) -> float:
    return max(fuzz.ratio(a.text, b.text), fuzz.token_sort_ratio(a.text, b.text))


def _author_evidence(a: Fingerprint, b: Fingerprint, strict: bool) -> tuple[float, str]:
    """Shared authors, as log-odds and a reason; a review's authors never count against it."""
    if not a.authors or not b.authors:
        return 0.0, ""
    weight, text = _byline_agreement(a, b, strict)
    if weight < 0 and (a.review or b.review):
        # a review is often filed under the reviewed book's authors (Zotero's "reviewed author")
        return 0.0, text + " (a review: may name the book's authors)"
    return weight, text


def _byline_agreement(a: Fingerprint, b: Fingerprint, strict: bool) -> tuple[float, str]:
    """For a generic or recurring title every author on both sides must be shared, since a
    column editor alone does not make two columns one. A shared last name whose initials
    disagree ("Gerber, Robert H." / "Gerber, Bob") counts half: a nickname or a typo is likelier
    than a namesake on the same title, but it is no proof."""
    matched, surnames_only = _matched_authors(a.authors, b.authors)
    credit = matched + surnames_only / 2
    fewer = (max if strict else min)(len(a.authors), len(b.authors))
    text = f"{matched}/{max(len(a.authors), len(b.authors))} authors"
    if surnames_only:
        text += f" (+{surnames_only} last name{'s' if surnames_only > 1 else ''} only)"
    if matched == fewer:
        whole_byline = matched == len(a.authors) == len(b.authors)
        more = min(_AUTHORS_MORE_CAP, _AUTHORS_EACH_MORE * max(0, matched - 2))
        return _AUTHORS_ALL + (more if whole_byline else 0.0), text
    if credit * 4 >= fewer * 3:
        return _AUTHORS_MOST, text
    if credit * 2 >= fewer:
        return _AUTHORS_HALF, text
    return (_AUTHORS_SOME if credit else _AUTHORS_NONE), text


def _matched_authors(mine: Sequence[PersonKey], theirs: Sequence[PersonKey]) -> tuple[int, int]:
    """Greedy order-insensitive pairing on last name (whole or final word) and initials, the
    first initial of one among the other's ("J. Robert" / "Robert"); then, among the names
    left, pairs that share only a last name. A name with an unreadable letter ("B?hm" for Böhm)
    is compared loosely. Returns the count of each kind of pair."""
    free, left = list(theirs), []
    for person in mine:
        found = next((i for i, other in enumerate(free) if _same_last_name(person, other)
                      and _initials_agree(person[2], other[2])), None)
        if found is None:
            left.append(person)
        else:
            del free[found]
    surnames_only = 0
    for person in left:
        found = next((i for i, other in enumerate(free) if _same_last_name(person, other)), None)
        if found is not None:
            surnames_only += 1
            del free[found]
    return len(mine) - len(left), surnames_only


def _same_last_name(mine: PersonKey, theirs: PersonKey) -> bool:
    last, final, _, blurred = mine
    o_last, o_final, _, o_blurred = theirs
    return last == o_last or final == o_final or (
        (len(last) > 4 or blurred or o_blurred)
        and fuzz.ratio(last, o_last) >= (80 if blurred or o_blurred else 85))


def _initials_agree(mine: str, theirs: str) -> bool:
    return not mine or not theirs or mine[0] in theirs or theirs[0] in mine


def _year_evidence(a: Fingerprint, b: Fingerprint, settings: MatchSettings,
                   strict: bool) -> tuple[float, str]:
    """Same year, or ±1 for online-first vs issue dates; a yearly column has no such excuse."""
    if a.year is None or b.year is None:
        return 0.0, ""
    gap = abs(a.year - b.year)
    if gap == 0:
        return _YEAR_SAME, "year"
    if gap <= settings.year_tolerance and not strict:
        return _YEAR_NEAR, f"year ±{gap}"
    return (_YEAR_FAR if gap <= 2 else _YEAR_VERY_FAR), f"years {a.year}/{b.year}"


def same_container(a: Fingerprint, b: Fingerprint) -> bool:
    """Containers agree when one's words hold the other's, but a lone acronym ("VLDB") is
    shared by a conference and a journal, so it needs an exact match."""
    if not a.container or not b.container:
        return False
    if " " not in a.container or " " not in b.container:
        return a.container == b.container
    return fuzz.token_set_ratio(a.container, b.container, score_cutoff=90) > 0


def _container_evidence(a: Fingerprint, b: Fingerprint) -> tuple[float, str]:
    weight, text = 0.0, ""
    if same_container(a, b):
        weight, text = _CONTAINER_SAME, "same container"
    if a.family == b.family:
        return weight + _FAMILY_SAME, text
    return weight + _FAMILY_OTHER, (text + " + " if text else "") + "different item types"
