"""Duplicate-detection quality on labelled data: refsync versus Zotero's three-pass rules.

DBLP-ACM (Köpcke, Thor & Rahm, PVLDB 3(1), 2010): the ACM side is the library, the DBLP side a
.bib file being imported: its rows are written as BibTeX (``@article`` or ``@inproceedings``,
LaTeX special characters escaped) and read back with ``refsync.bib.reader.parse_bib``, so the
measured path is the real import path, name splitting and LaTeX decoding included.
"refsync" counts every duplicate a look-up lists, "best match" only the one
``Existing.duplicate`` names, which is what an import acts on.
Cora (McCallum et al.): one messy table, deduplicated in place; ``cora_gt.csv`` lists every
pair inside its 112 clusters, by entity id. Of the pairs refsync judges other versions of one
work (conference, journal, report), the labels join about 30 % and split the rest, so the strict
row, one set per publication, is the one the labelling matches; "versions joined" shows the
cost of the other reading.
Run: ``.venv/bin/python bench/dedup_quality.py [--data ../shared/corpora/dedup] [--misses 20]
[--causes]``; ``--misses`` prints that many missed and wrongly made pairs per dataset, with
refsync's reason; ``--causes`` counts Cora's missed pairs by cause, and so the recall that keeping
versions apart leaves reachable.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from rapidfuzz import fuzz  # noqa: E402

from bench.zotero_rules import zotero_groups  # noqa: E402
from refsync.bib.reader import parse_bib  # noqa: E402
from refsync.matching.features import normalize_title  # noqa: E402
from refsync.matching.index import compare  # noqa: E402
from refsync.matching.library import duplicate_groups, find_existing  # noqa: E402
from refsync.model import Creator, Reference  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
Pair = tuple[int, int]


def person(text: str) -> Creator:
    """``First Middle Last`` as a Zotero two-field creator (the form DBLP and ACM print)."""
    words = text.split()
    return Creator(last=words[-1], first=" ".join(words[:-1])) if words else Creator()


def dblp_acm_reference(row: dict[str, str]) -> Reference:
    """A record as a .bib import would give it: journals vs proceedings told apart by venue."""
    venue = row["venue"].strip()
    journal = re.search(r"record|journal|j\.|trans", venue, re.IGNORECASE)
    fields = {"title": row["title"], "date": row["year"],
              "publicationTitle" if journal else "proceedingsTitle": venue}
    authors = tuple(person(a) for a in row["authors"].split(",") if a.strip())
    return Reference("journalArticle" if journal else "conferencePaper", fields, authors)


_LATEX_SPECIAL = re.compile(r"([&%$#_{}])")


def bib_value(text: str) -> str:
    """A field value as a .bib writer would give it: LaTeX's special characters escaped."""
    return "{" + _LATEX_SPECIAL.sub(r"\\\1", text.replace("\\", "/")) + "}"


def dblp_bib(rows: list[dict[str, str]]) -> str:
    """DBLP rows as a .bib file, one entry per row keyed by its id (``dblp17``); journals and
    proceedings told apart by venue, as ``dblp_acm_reference`` does for the library side."""
    entries = []
    for row in rows:
        venue = row["venue"].strip()
        journal = re.search(r"record|journal|j\.|trans", venue, re.IGNORECASE)
        authors = " and ".join(a.strip() for a in row["authors"].split(",") if a.strip())
        fields = {"title": row["title"], "author": authors, "year": row["year"],
                  "journal" if journal else "booktitle": venue}
        body = ",\n".join(f"  {name} = {bib_value(value)}" for name, value in fields.items()
                          if value.strip())
        kind = "article" if journal else "inproceedings"
        entries.append(f"@{kind}{{dblp{row['id']},\n{body}\n}}\n")
    return "\n".join(entries)


def read_bib(text: str) -> dict[str, Reference]:
    """Citation key → record, through refsync's own importer; every entry must be readable."""
    imported = parse_bib(text, "dblp.bib")
    if imported.errors:
        raise SystemExit(f"dblp.bib: {len(imported.errors)} entries unreadable: "
                         f"{imported.errors[0]}")
    return {entry.key: entry.reference for entry in imported.entries}


def read_rows(path: Path, delimiter: str) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter, quoting=csv.QUOTE_NONE))


# one or more initials, each a single letter ended by a dot, hyphen, space or the end ("r.e",
# "m. j", "j.-p"); a whole word such as "blum" is not one
_INITIALS = re.compile(r"^(?:[a-z](?:[.\s-]+|$))+$", re.IGNORECASE)


def cora_people(text: str) -> tuple[Creator, ...]:
    """Cora author strings in their shapes: ``a. blum, m. furst``, ``blum, a., furst, m.``,
    ``blum a., furst m.`` and ``avrim blum and merrick furst``; ``et al.`` is dropped."""
    text = re.sub(r"\bet\.? al\.?|\band\b|&|;", ",", text.strip().strip(".,"))
    parts = [p.strip(" .:") for p in text.split(",") if p.strip(" .:")]
    people: list[Creator] = []
    i = 0
    while i < len(parts):
        part = parts[i]
        following = parts[i + 1] if i + 1 < len(parts) else ""
        if " " not in part and following and _INITIALS.match(following):
            people.append(Creator(last=part, first=following))  # "blum, a."
            i += 2
            continue
        words = part.split()
        # "blum a." and "kearns m. j.": a name, then nothing but initials
        cut = next((k for k in range(1, len(words)) if _INITIALS.match(" ".join(words[k:]))), 0)
        if cut and not _INITIALS.match(words[0]):
            people.append(Creator(last=" ".join(words[:cut]), first=" ".join(words[cut:])))
        else:
            people.append(person(part))
        i += 1
    return tuple(people)


# The entry type a .bib would carry (@inproceedings, @article …), read from Cora's venue wording,
# first rule that matches wins; no venue at all is a @misc, Zotero's generic "document".
_CORA_TYPES = (
    ("manuscript", r"unpublished|manuscript|submitted"),
    ("thesis", r"thesis|dissertation"),
    ("report", r"tech(nical|\.)? ?rep|report|\btr\b|university|universit|dept|department"),
    ("conferencePaper", r"^in\b|proc|conf|symp|workshop|colt|icml|nips|stoc|focs|aaai|ijcai"
                        r"|uai|advances in|lecture notes|annual|meeting|congress"),
    ("journalArticle", r"."),
)


def cora_reference(row: dict[str, str]) -> Reference:
    year = re.search(r"(19|20)\d\d", row.get("year") or "")
    venue = (row.get("venue") or "").strip(" .,")
    described = venue or (row.get("institution") and "report") or ""
    kind = next((t for t, p in _CORA_TYPES if re.search(p, described)), "document")
    fields = {"title": (row.get("title") or "").strip(" \"'.,"),
              "date": year.group(0) if year else "", "publicationTitle": venue}
    return Reference(kind, fields, cora_people(row.get("author") or ""))


def scores(predicted: set[Pair], truth: set[Pair]) -> tuple[float, float, float]:
    tp = len(predicted & truth)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return precision, recall, f1


def print_misses(name: str, predicted: set[Pair], truth: set[Pair], left: list[Reference],
                 right: list[Reference], limit: int) -> None:
    """The first ``limit`` false negatives and false positives, each pair with the verdict."""
    def line(ref: Reference) -> str:
        names = "; ".join(f"{c.last}, {c.first}" for c in ref.creators)
        venue = ref.get("publicationTitle") or ref.get("proceedingsTitle")
        return f"  {ref.item_type} | {ref.title} | {names} | {ref.get('date')} | {venue}"

    for label, pairs in (("missed", truth - predicted), ("wrongly made", predicted - truth)):
        print(f"## {name}: {len(pairs)} {label} pairs")
        for i, j in sorted(pairs)[:limit]:
            print(line(left[i]), line(right[j]), f"  -> {compare(left[i], right[j])}", sep="\n")


#: causes a rule cannot act on: nothing in the titles to go by, or versions kept apart by design
_BY_DESIGN = ("no title evidence", "another version", "years more than 1 apart",
              "kept apart by a version")


def miss_causes(missed: set[Pair], refs: list[Reference]) -> Counter[str]:
    """Why each missed pair was missed: titles that share too little to go by (token-set
    similarity under 0.70), versions refsync keeps apart by design (related pairs; the same
    title years apart; a pair judged duplicate whose sets a version separates), or fields too
    weak for the threshold."""
    causes: Counter[str] = Counter()
    for i, j in missed:
        a, b = refs[i], refs[j]
        if fuzz.token_set_ratio(normalize_title(a.title), normalize_title(b.title)) < 70:
            causes["no title evidence"] += 1
            continue
        decision = compare(a, b)
        if decision.kind == "related":
            causes["another version"] += 1
        elif decision.kind == "duplicate":
            causes["kept apart by a version"] += 1
        elif "years " in decision.reason:
            causes["years more than 1 apart"] += 1
        else:
            causes["fields too weak"] += 1
    return causes


def print_causes(name: str, predicted: set[Pair], truth: set[Pair],
                 refs: list[Reference]) -> None:
    causes = miss_causes(truth - predicted, refs)
    print(f"## {name}: {len(truth - predicted)} missed pairs by cause")
    for cause, count in causes.most_common():
        print(f"  {cause}: {count}")
    recall = (len(truth) - sum(causes[c] for c in _BY_DESIGN)) / len(truth)
    print(f"  recall reachable with versions kept apart: {recall:.4f} "
          f"(F1 at most {2 * recall / (1 + recall):.4f}, at precision 1)")


def group_pairs(groups: Iterable[Iterable[int]]) -> set[Pair]:
    return {(min(i, j), max(i, j)) for g in groups for i, j in combinations(g, 2)}


def run_dblp_acm(folder: Path, misses: int = 0) -> dict[str, tuple[float, float, float]]:
    acm = [dblp_acm_reference(r) for r in read_rows(folder / "acm.csv", "%")]
    dblp_rows = read_rows(folder / "dblp.csv", "%")
    by_key = read_bib(dblp_bib(dblp_rows))
    dblp = [by_key[f"dblp{r['id']}"] for r in dblp_rows]  # gt.csv names rows by position
    truth = {(int(r["D1"]), int(r["D2"])) for r in read_rows(folder / "gt.csv", "%")}
    acm_position = {id(ref): j for j, ref in enumerate(acm)}
    existing = find_existing(dblp, acm)
    predicted = {(i, acm_position[id(ref)]) for i, found in enumerate(existing)
                 for ref, decision in found.matches if decision.kind == "duplicate"}
    # what 'refsync add' acts on: the best duplicate only (the labels are one-to-one)
    best = {(i, acm_position[id(found.duplicate[0])]) for i, found in enumerate(existing)
            if found.duplicate}
    # Zotero: candidates imported next to the library; cross pairs of a duplicate set count
    offset = len(dblp)
    zotero = {(i, j - offset) for i, j in group_pairs(zotero_groups(dblp + acm))
              if i < offset <= j}
    if misses:
        print_misses("DBLP-ACM", predicted, truth, dblp, acm, misses)
    return {"refsync": scores(predicted, truth), "refsync, best match": scores(best, truth),
            "zotero": scores(zotero, truth)}


def run_cora(folder: Path, misses: int = 0,
             causes: bool = False) -> dict[str, tuple[float, float, float]]:
    rows = read_rows(folder / "cora.csv", "|")
    refs = [cora_reference(r) for r in rows]
    position = {int(r["Entity Id"]): n for n, r in enumerate(rows)}
    truth: set[Pair] = set()
    with (folder / "cora_gt.csv").open() as handle:
        for line in handle:
            a, b = (position[int(x)] for x in line.strip().split("|")[:2])
            truth.add((min(a, b), max(a, b)))
    publications = group_pairs(g.positions for g in duplicate_groups(refs))
    works = group_pairs(g.positions for g in duplicate_groups(refs, versions=True))
    if misses:
        print_misses("Cora", publications, truth, refs, refs, misses)
    if causes:
        print_causes("Cora", publications, truth, refs)
    return {"refsync": scores(publications, truth),
            "refsync, versions joined": scores(works, truth),
            "zotero": scores(group_pairs(zotero_groups(refs)), truth)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / ".." / "shared/corpora/dedup")
    parser.add_argument("--misses", type=int, default=0, metavar="N",
                        help="print N missed and N wrongly made pairs per dataset")
    parser.add_argument("--causes", action="store_true",
                        help="count Cora's missed pairs by cause")
    args = parser.parse_args()
    table: dict[str, dict[str, tuple[float, float, float]]] = defaultdict(dict)
    runs: tuple[tuple[str, Callable[[], dict[str, tuple[float, float, float]]]], ...] = (
        ("DBLP-ACM", lambda: run_dblp_acm(args.data / "dblp-acm_pyjedai", args.misses)),
        ("Cora", lambda: run_cora(args.data / "cora_pyjedai", args.misses, args.causes)))
    for name, run in runs:
        started = time.perf_counter()
        table[name] = run()
        print(f"{name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    print("| dataset | matcher | precision | recall | F1 |")
    print("|---|---|---|---|---|")
    for name, rows in table.items():
        for matcher, (p, r, f) in rows.items():
            print(f"| {name} | {matcher} | {p:.4f} | {r:.4f} | {f:.4f} |")


if __name__ == "__main__":
    main()
