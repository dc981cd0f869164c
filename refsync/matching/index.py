"""Are two records the same work? Identifier rules, the verdict, blocking and grouping, no I/O.

Pair decisions follow the Fellegi–Sunter idea (Fellegi & Sunter, JASA 64(328), 1969): each field
adds log-odds for or against "same work", and the sum, squashed to (0, 1), is the score compared
with ``MatchSettings.duplicate_threshold``; the weighing itself is ``refsync.matching.evidence``.
Identifiers decide before any field is weighed.
Blocking keeps cost near-linear: a pair is scored only when both records share a blocking key.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain

from rapidfuzz import fuzz, process

from refsync.hookspecs import Match, Matcher
from refsync.matching.evidence import Decision, MatchSettings, field_decision, same_container
from refsync.matching.features import Fingerprint, fingerprint
from refsync.model import Reference
from refsync.model.identifiers import SCHEMES

__all__ = [
    "CoreMatcher",
    "Decision",
    "Group",
    "MatchIndex",
    "MatchSettings",
    "compare",
    "compare_fields",
    "compare_identifiers",
    "find_duplicate_groups",
]

#: title similarity (0–100) from which a DOI read from a URL or Extra is taken as the record's own
_SAME_TITLE = 80.0
#: library records besides the one compared that share a title, author and year with the pair,
#: from which the title is taken for a column's: two may be a paper's online-first and print
#: records (copies), three are issues
_SERIES = 2


@dataclass(frozen=True)
class Group:
    """Records judged to be one work, in input order, with the reason of the first link and
    their positions in the input."""

    items: tuple[Reference, ...]
    reason: str
    positions: tuple[int, ...] = ()

    def as_json(self) -> dict[str, object]:
        """The group as ``dedupe --json`` prints it: item keys and the reason."""
        return {"items": [r.key for r in self.items], "reason": self.reason}


class CoreMatcher:
    """Base of matchers that expose one of the core's rules through the plugin protocol.

    :class:`MatchIndex` runs the core natively on prepared records and skips these, so they cost
    nothing there; called directly, they judge one pair. Related pairs score 0: they are two
    records to keep.
    """

    name = "core"

    def __init__(self, settings: MatchSettings | None = None) -> None:
        self.settings = settings or MatchSettings()

    def match(self, candidate: Reference, existing: Reference) -> Match | None:
        decision = self.decide(candidate, existing)
        if decision is None:
            return None
        return Match(0.0 if decision.kind == "related" else decision.score, decision.reason)

    def decide(self, candidate: Reference, existing: Reference) -> Decision | None:
        """The full core decision; subclasses narrow it to one rule."""
        return compare(candidate, existing, self.settings)


def compare(a: Reference, b: Reference, settings: MatchSettings | None = None) -> Decision:
    """Decide one pair without an index (the slow path, for single checks and plugins)."""
    return _decide(fingerprint(a), fingerprint(b), settings or MatchSettings())


def compare_identifiers(a: Reference, b: Reference) -> Decision | None:
    """The identifier rule alone: ``None`` when the records share no identifier scheme."""
    return _identifier_decision(fingerprint(a), fingerprint(b))


def compare_fields(a: Reference, b: Reference, settings: MatchSettings | None = None) -> Decision:
    """The title/creator/year evidence alone, ignoring identifiers."""
    return field_decision(fingerprint(a, {}), fingerprint(b, {}), settings or MatchSettings(),
                           recurring=False)


def _decide(a: Fingerprint, b: Fingerprint, settings: MatchSettings,
            recurring: bool = False, namesakes: int = 0) -> Decision:
    """``recurring``: the title is also held by other records (a column, a panel), so it is
    weighed like a generic title; ``namesakes``: how many other records share title, first
    author and year with either of the pair."""
    by_id = _identifier_decision(a, b)
    if by_id is not None and (by_id.kind != "distinct" or _vetoes(by_id, a, b)):
        return by_id
    fields = field_decision(a, b, settings, recurring, namesakes)
    if fields.kind == "duplicate" and (by_id is not None or _other_version(a, b)):
        # a preprint and its article, a conference paper and its journal version: two records
        # a user keeps apart, but should hear about (zoplicate#37; Zotero's duplicates.js)
        if "preprint" in (a.family, b.family):
            what = "preprint and published version"
        else:
            what = f"other version ({a.ref.item_type} / {b.ref.item_type})"
        return Decision("related", fields.score, f"{what}: {fields.reason}")
    return by_id or fields


def _vetoes(by_id: Decision, a: Fingerprint, b: Fingerprint) -> bool:
    """Different identifiers settle it, except between a preprint and an article: those always
    carry different DOIs (zoplicate#37) and are told apart by their fields."""
    return by_id.kind == "distinct" and (a.family == "preprint") == (b.family == "preprint")


def _other_version(a: Fingerprint, b: Fingerprint) -> bool:
    """Two specific, different item types in different containers: a conference paper and its
    journal version. (Zotero's generic "document" fits any type; one container means one
    publication entered with the wrong type.)"""
    types = {a.ref.item_type, b.ref.item_type}
    return len(types) == 2 and "document" not in types and not same_container(a, b)


def _container_doi(a: Fingerprint, b: Fingerprint) -> bool:
    """A shared DOI read from a URL or Extra, between records whose titles differ: most likely
    the DOI of the book or proceedings both appear in, so it proves nothing and fields decide."""
    hearsay = "doi" in a.scraped or "doi" in b.scraped
    return hearsay and fuzz.token_sort_ratio(a.title.text, b.title.text) < _SAME_TITLE


def _identifier_decision(a: Fingerprint, b: Fingerprint) -> Decision | None:
    """Shared identifier → same work; different identifiers of one scheme → different works."""
    if a.related & b.ids.get("doi", set()) or b.related & a.ids.get("doi", set()):
        return Decision("related", 1.0, "linked as preprint and published version")
    conflicts = []
    for scheme in SCHEMES:
        mine, theirs = a.ids.get(scheme), b.ids.get(scheme)
        if not mine or not theirs or (scheme == "isbn" and not a.family == b.family == "book"):
            continue  # chapters and papers carry the ISBN of the book they appear in
        if mine & theirs:
            if scheme == "doi" and _container_doi(a, b):
                continue
            label = "arXiv id" if scheme == "arxiv" else scheme.upper()
            if scheme == "arxiv" and (a.family == "preprint") != (b.family == "preprint"):
                return Decision("related", 1.0, f"same {label}: preprint and published version")
            return Decision("duplicate", 1.0, f"same {label}")
        conflicts.append(scheme.upper() + "s" if scheme != "arxiv" else "arXiv ids")
    if conflicts:
        return Decision("distinct", 0.0, "different " + ", ".join(conflicts))
    return None


class MatchIndex:
    """A library prepared for many look-ups: normalised once, blocked by identifier, rare title
    words and first author + year, so each look-up scores a handful of pairs, not the library.

    :param settings: thresholds; by default those of the registry's core matchers (which carry
        ``[plugins.matchers]``), else :class:`MatchSettings` defaults.
    :param matchers: plugin matchers consulted on every blocked pair besides the core rules
        (instances of :class:`CoreMatcher` are skipped: the index runs those natively).
    :param batch: records about to be looked up (an import): not indexed, but their titles count
        when telling a column from a title held by one work, so three issues of "Treasurer's
        message" in the .bib show it to be a column even if the library holds one.
    """

    def __init__(self, refs: Iterable[Reference], settings: MatchSettings | None = None,
                 matchers: Iterable[Matcher] = (), *, batch: Iterable[Reference] = ()) -> None:
        given = tuple(matchers)
        core = next((m.settings for m in given if isinstance(m, CoreMatcher)), MatchSettings())
        self.settings = settings or core
        self.matchers = tuple(m for m in given if not isinstance(m, CoreMatcher))
        self._items = [fingerprint(r) for r in refs]
        self._rarity = Counter(chain.from_iterable(set(i.title.tokens) for i in self._items))
        queued = [fingerprint(r) for r in batch]
        shared = Counter(item.title.text for item in chain(self._items, queued))
        # who published under each title held more than once: a series, or copies?
        self._bylines: dict[str, set[tuple[str, int | None]]] = defaultdict(set)
        for item in chain(self._items, queued):
            if shared[item.title.text] > 1:
                self._bylines[item.title.text].add(_byline(item))
        self._copies = Counter((item.title.text, _byline(item)) for item in self._items
                               if shared[item.title.text] > 1)
        self._blocks: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for i, item in enumerate(self._items):
            for key in _block_keys(item, self._rarity):
                self._blocks[key].append(i)

    def __len__(self) -> int:
        return len(self._items)

    def find(self, candidate: Reference) -> list[tuple[Reference, Decision]]:
        """Library records that are the same work as ``candidate`` or related to it, best first."""
        probe = fingerprint(candidate)
        near: set[int] = set()
        for key in _block_keys(probe, self._rarity):
            block = self._blocks.get(key, ())
            if len(block) <= self._limit(key):
                near.update(block)
        found = []
        for i in sorted(near):
            namesakes = self._namesakes(probe, self._items[i])
            decision, _ = self._judge(probe, self._items[i], within=False, namesakes=namesakes)
            if decision.kind != "distinct":
                found.append((self._items[i], decision))
        found = _without_rival_parts(probe, found)
        found.sort(key=lambda pair: (pair[1].kind != "duplicate", -pair[1].score))
        return [(item.ref, decision) for item, decision in found]

    def pairs(self, *, vetoed: bool = False) -> Iterator[tuple[int, int, Decision]]:
        """Every duplicate or related pair inside the library (indices in input order).

        :param vetoed: also yield pairs whose different identifiers prove them two works, so a
            grouping can keep them apart.
        """
        seen: set[tuple[int, int]] = set()
        for key, block in self._blocks.items():
            if len(block) < 2:
                continue
            pairs: Iterable[tuple[int, int]]
            if key[0] == "id" and len(block) > self.settings.max_block:
                # an identifier shared by that many records: each is judged against the first
                # (linear, not quadratic), which groups them all unless an identifier vetoes
                pairs = ((block[0], j) for j in block[1:])
            elif len(block) > self._limit(key):
                continue
            else:
                pairs = self._similar_in(block, key[0] == "a")
            for i, j in pairs:
                if (i, j) in seen:
                    continue
                seen.add((i, j))
                decision, veto = self._judge(self._items[i], self._items[j], within=True)
                if decision.kind != "distinct" or (vetoed and veto):
                    yield i, j, decision

    def _limit(self, key: tuple[str, ...]) -> float:
        """The most records a block may hold to be searched pair by pair. Identifier blocks
        have no limit for a look-up (scoring every holder of a DOI is linear, and skipping
        them would let a much-copied DOI be added once more); common title words and names
        do, or one look-up would score a large part of the library."""
        if key[0] == "id":
            return math.inf
        return self.settings.max_name_block if key[0] == "a" else self.settings.max_block

    def _similar_in(self, block: list[int], by_name: bool) -> Iterator[tuple[int, int]]:
        """Pairs of a block worth scoring; titles are screened in C by rapidfuzz ``extract``.

        Name blocks catch titles with typos in their rare words, so plain edit similarity screens
        them; a shortened title shares its rare words and is found through the title blocks.
        """
        if self.matchers or len(block) == 2:
            yield from ((i, j) for n, i in enumerate(block) for j in block[n + 1:])
            return
        titles = [self._items[i].title.text for i in block]
        scorer = fuzz.ratio if by_name else fuzz.token_set_ratio
        for x, title in enumerate(titles[:-1]):
            for _, _, y in process.extract(title, titles[x + 1:], scorer=scorer,
                                           score_cutoff=self.settings.prefilter, limit=None):
                yield block[x], block[x + 1 + y]

    def _judge(self, a: Fingerprint, b: Fingerprint, *, within: bool,
               namesakes: int = 0) -> tuple[Decision, bool]:
        """Decide a blocked pair, and say whether identifiers vetoed it; ``within``: both records
        are in the index (and their titles already screened)."""
        by_id = _identifier_decision(a, b)
        if by_id is not None and _vetoes(by_id, a, b):
            return by_id, True  # conflicting identifiers veto every matcher
        if not within and not self.matchers and by_id is None and fuzz.token_set_ratio(
                a.title.text, b.title.text, score_cutoff=self.settings.prefilter) == 0:
            return Decision("distinct", 0.0, "titles differ"), False
        # a title that other authors or other years also carry is a column or a series name, not
        # evidence (the idea behind IDF weighting); copies of one work do not make it one
        bylines = self._bylines.get(a.title.text, set()) | self._bylines.get(b.title.text, set())
        recurring = bool(bylines - {_byline(a), _byline(b)}) or namesakes >= _SERIES
        decision = _decide(a, b, self.settings, recurring, namesakes)
        for matcher in self.matchers:
            verdict = matcher.match(a.ref, b.ref)
            if verdict and verdict.score >= self.settings.duplicate_threshold and (
                    decision.kind != "duplicate" or verdict.score > decision.score):
                decision = Decision("duplicate", verdict.score, f"{matcher.name}: {verdict.reason}")
        return decision, False

    def _namesakes(self, a: Fingerprint, b: Fingerprint) -> int:
        """Library records besides ``b`` with the title, first author and year of ``a`` or ``b``:
        under a column's title, issues the fields cannot tell apart. Counted for look-ups only,
        where the library is taken to hold distinct works; inside one library (``pairs``) such
        records are as likely copies, which is what deduplication is for."""
        mine, theirs = (a.title.text, _byline(a)), (b.title.text, _byline(b))
        return sum(self._copies[key] - (key == theirs) for key in {mine, theirs}
                   if self._copies[key])


def _without_rival_parts(probe: Fingerprint, found: list[tuple[Fingerprint, Decision]]
                         ) -> list[tuple[Fingerprint, Decision]]:
    """Drop the duplicates that number their titles where the candidate does not, when they
    number them differently: a candidate fitting "… (part I)" and "… (part II)" alike is
    neither, as two parts are two works."""
    extra = {id(item): item.title.numbers - probe.title.numbers
             for item, decision in found if decision.kind == "duplicate"}
    if len({numbers for numbers in extra.values() if numbers}) < 2:
        return found
    return [(item, decision) for item, decision in found if not extra.get(id(item))]


def _byline(item: Fingerprint) -> tuple[str, int | None]:
    return item.first_author, item.year


def _block_keys(item: Fingerprint, rarity: Counter[str]) -> list[tuple[str, ...]]:
    """Identifiers; each pair of the three rarest title words (one typo still leaves a pair);
    first author + year, and the alphabetically first author + year, which a byline listed in
    another order keeps ("Fan, Buneman" / "Buneman, Fan"). Shortened titles add their own keys."""
    keys: list[tuple[str, ...]] = [
        ("id", scheme, value) for scheme, values in item.ids.items() for value in values]
    for title in (item.title, item.main, item.bare):
        if title is None:
            continue
        # stable sorts: by word, then by rarity, so ties break alphabetically
        rare = sorted(sorted(sorted(t for t in set(title.tokens) if t in rarity),
                             key=rarity.__getitem__)[:3])
        if len(rare) < 2:
            keys.append(("t", *rare))
        keys.extend(("t", rare[x], rare[y]) for x in range(len(rare))
                    for y in range(x + 1, len(rare)))
    if item.first_author and item.year is not None:
        for surname in {item.first_author, item.least_author}:
            # any two years ±1 apart share one of these keys
            keys.extend((("a", surname, str(item.year)), ("a", surname, str(item.year + 1))))
    return keys


def find_duplicate_groups(refs: Iterable[Reference], settings: MatchSettings | None = None,
                          matchers: Iterable[Matcher] = (), *,
                          versions: bool = False) -> list[Group]:
    """Sets of records in one library that are the same work (transitive, by union-find).

    :param versions: also join related records (preprint and article, conference paper and
        journal version), giving one set per work rather than per publication; otherwise a
        related pair keeps the two sets it would bridge apart.
    """
    items = list(refs)
    return _group(items, MatchIndex(items, settings, matchers), versions)


def _group(items: list[Reference], index: MatchIndex, versions: bool) -> list[Group]:
    """Union-find over the index's links, strongest first, never joining two sets that a
    cannot-link (different identifiers; another version unless ``versions``) separates."""
    parent = list(range(len(items)))
    apart: dict[int, set[int]] = defaultdict(set)  # root → records its set must not absorb
    reasons: dict[int, str] = {}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    links = []
    for i, j, decision in index.pairs(vetoed=True):
        if decision.kind == "duplicate" or (versions and decision.kind == "related"):
            links.append((decision.score, i, j, decision.reason))
        else:  # different identifiers, or another version: keep the two sets apart
            apart[i].add(j)
            apart[j].add(i)
    # strongest links first, so a weak link cannot chain two sets that a related pair separates
    for _, i, j, reason in sorted(links, key=lambda link: (-link[0], link[1], link[2])):
        ri, rj = root(i), root(j)
        if ri == rj or any(root(k) == rj for k in apart[ri]):
            continue
        keep, gone = min(ri, rj), max(ri, rj)
        parent[gone] = keep
        apart[keep] |= apart.pop(gone, set())
        reasons[keep] = reasons.get(keep) or reasons.pop(gone, "") or reason
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(len(items)):
        members[root(i)].append(i)
    return [Group(tuple(items[i] for i in group), reasons.get(r, ""), tuple(group))
            for r, group in members.items() if len(group) > 1]
