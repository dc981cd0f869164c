"""Duplicate-detection speed on a synthetic 100k-item library (goals: 1,000 look-ups < 2 s,
groups over 100k < 10 s).

Titles are drawn from a Zipf-like vocabulary so common words ("learning", "of") are common and
rare ones rare, as in real titles; 2 % of items are re-entered with typical edits (case, a
dropped subtitle, a typo, a year off by one, initials only).
Run: ``.venv/bin/python bench/dedup_speed.py [--size 100000] [--lookups 1000]``.
"""

from __future__ import annotations

import argparse
import random
import resource
import string
import sys
import time
from collections.abc import Callable
from functools import partial
from itertools import accumulate
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from refsync.matching.index import MatchIndex, find_duplicate_groups  # noqa: E402
from refsync.model import Creator, Reference  # noqa: E402
from refsync.util.gc import cyclic_gc_paused  # noqa: E402

T = TypeVar("T")
STOP = ["of", "the", "and", "for", "in", "a", "on", "with", "to", "using", "by", "from"]
TYPES = ["journalArticle"] * 6 + ["conferencePaper"] * 3 + ["book", "preprint"]


def make_word(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 11)))


class Generator:
    """Reproducible records: a 20k-word vocabulary and 30k surnames, both Zipf-weighted."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.words = [make_word(self.rng) for _ in range(20_000)]
        self.word_weights = list(accumulate(1 / (rank + 1) for rank in range(len(self.words))))
        self.surnames = [make_word(self.rng).capitalize() for _ in range(30_000)]
        self.name_weights = list(accumulate(1 / (r + 1) ** 0.8 for r in range(len(self.surnames))))
        self.journals = [" ".join(self.rng.sample(self.words[:2000], 3)).title()
                         for _ in range(3_000)]

    def words_like_titles(self, count: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.word_weights, k=count)

    def title(self) -> str:
        words = self.words_like_titles(self.rng.randint(4, 11))
        for _ in range(self.rng.randint(1, 3)):
            words.insert(self.rng.randrange(len(words)), self.rng.choice(STOP))
        text = " ".join(words).capitalize()
        if self.rng.random() < 0.3:
            text += ": " + " ".join(self.words_like_titles(4))
        return text

    def record(self) -> Reference:
        authors = tuple(
            Creator(last=name, first=self.rng.choice(string.ascii_uppercase) + ".")
            for name in self.rng.choices(self.surnames, cum_weights=self.name_weights,
                                         k=self.rng.randint(1, 6)))
        fields = {"title": self.title(), "date": str(self.rng.randint(1970, 2025)),
                  "publicationTitle": self.rng.choice(self.journals)}
        if self.rng.random() < 0.4:
            fields["DOI"] = f"10.{self.rng.randint(1000, 9999)}/{make_word(self.rng)}"
        return Reference(self.rng.choice(TYPES), fields, authors)

    def reentered(self, ref: Reference) -> Reference:
        """The same work typed in again: one or two typical edits, no DOI."""
        fields = {k: v for k, v in ref.fields.items() if k != "DOI"}
        title = ref.title
        edit = self.rng.randrange(4)
        if edit == 0:
            title = title.upper()
        elif edit == 1 and ":" in title:
            title = title.split(":")[0]
        elif edit == 2:
            at = self.rng.randrange(len(title))
            title = title[:at] + title[at + 1:]
        else:
            fields["date"] = str(int(ref.get("date")) + 1)
        fields["title"] = title
        return Reference(ref.item_type, fields, ref.creators)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=1_000)
    args = parser.parse_args()
    gen = Generator()
    originals = [gen.record() for _ in range(args.size * 98 // 100)]
    library = originals + [gen.reentered(r) for r in gen.rng.sample(originals, args.size // 50)]
    gen.rng.shuffle(library)
    candidates = [gen.reentered(r) if i % 2 else gen.record()
                  for i, r in enumerate(gen.rng.sample(originals, args.lookups))]

    timings: dict[str, tuple[float, float]] = {}

    def timed(label: str, work: Callable[[], T]) -> T:
        wall, cpu = time.perf_counter(), time.process_time()
        with cyclic_gc_paused():  # as refsync's CLI runs
            result = work()
        timings[label] = (time.perf_counter() - wall, time.process_time() - cpu)
        return result

    def look_up(index: MatchIndex) -> int:
        return sum(1 for c in candidates if any(d.kind == "duplicate" for _, d in index.find(c)))

    index = timed("index", lambda: MatchIndex(library))
    found = timed("find", partial(look_up, index))
    del index  # groups build their own index; measure them alone
    groups = timed("groups", lambda: find_duplicate_groups(library))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    print(f"library: {len(library):,} records; {len(candidates):,} candidates "
          f"({len(candidates) // 2:,} re-entered); wall / CPU seconds")
    rows = [("index build", "index", ""),
            (f"{len(candidates):,} look-ups", "find", f"{found:,} duplicates found"),
            (f"groups over {len(library):,}", "groups",
             f"{len(groups):,} groups; {args.size // 50:,} planted")]
    for label, key, note in rows:
        wall, cpu = timings[key]
        print(f"{label:<24} {wall:6.2f} / {cpu:6.2f} s  {note}")
    print(f"{'peak RSS':<24} {peak:6.0f} MiB")


if __name__ == "__main__":
    main()
