"""CPU time and peak memory of reading a large .bib (``refsync import``, and ``pull`` reading the
file it keeps): the reader as it is, and without its fast path (every entry through
bibtexparser, the plain way), side by side in one run.

Run from the repository root: ``.venv/bin/python bench/parse_bench.py [-n 10000 50000]``.
Writes N entries from a fixed seed in the shapes real files mix: Zotero/BBT-style braced values,
a hand-written style with quotes, bare numbers and ``month`` macros, and one entry in twenty
with ``#`` concatenation or a duplicated field (which the fast path leaves to bibtexparser).
Each measurement runs in a fresh interpreter, so ``ru_maxrss`` is its own. Issue #23: a 55 MB
file (290,000 entries) did not finish in 120 s; the goal is linear time, bounded memory.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

MEASURE = """
import json, resource, sys, time
from refsync.bib import reader
if sys.argv[2] == "plain":
    reader.common_fields = lambda text, macros: None  # every entry through bibtexparser
text = open(sys.argv[1], encoding="utf-8").read()
start = time.process_time()
result = reader.parse_bib(text, "bench.bib")
print(json.dumps({"cpu": time.process_time() - start, "entries": len(result.entries),
                  "errors": len(result.errors),
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

NAMES = ["Müller, Jürgen", "O'Brien, Siobhán", "de la Fontaine, Jean", "Doe, Jane", "Smith, J.",
         "Nguyễn, Văn An", "{World Health Organization}", "Łukasiewicz, Jan"]
WORDS = "deep learning of {DNA} repair in {T} cells with {\\textalpha}-synuclein and p53".split()


def entry(rng: random.Random, n: int) -> str:
    authors = " and ".join(rng.sample(NAMES, rng.randint(1, 4)))
    title = " ".join(rng.choices(WORDS, k=rng.randint(4, 12)))
    style = rng.random()
    if style < 0.05:  # left to bibtexparser
        return (f'@article{{odd{n}, title = "{title}" # " (reprint)", author = {{{authors}}},'
                f" year = {2000 + n % 25}, year = {{1999}}}}")
    if style < 0.5:  # Zotero / Better BibTeX
        return (f"@article{{key{n},\n  title = {{{title}}},\n  author = {{{authors}}},\n"
                f"  journal = {{Journal of Things}},\n  volume = {{{n % 90}}},\n"
                f"  pages = {{{n % 300}--{n % 300 + 12}}},\n  doi = {{10.1000/x{n}}},\n"
                f"  year = {{{2000 + n % 25}}}\n}}")
    return (f'@inproceedings{{hand{n}, author = "{authors}", title = "{title}",\n'
            f'    booktitle = "Proceedings of Stuff", year = {2000 + n % 25},'
            f" month = {rng.choice(['jan', 'jun', 'dec'])}, pages = \"{n}--{n + 9}\"}}")


def run(path: Path, mode: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", MEASURE, str(path), mode], check=True,
                          capture_output=True, text=True)
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, nargs="+", default=[10_000, 50_000])
    args = parser.parse_args()
    rng = random.Random(20261208)
    print(f"{'entries':>8} {'MB':>6} {'fast cpu':>9} {'plain cpu':>10} {'ratio':>6} "
          f"{'fast rss':>9} {'plain rss':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.n:
            path = Path(tmp) / f"bench{n}.bib"
            path.write_text("\n\n".join(entry(rng, i) for i in range(n)) + "\n",
                            encoding="utf-8")
            fast, plain = run(path, "fast"), run(path, "plain")
            assert fast["entries"] == plain["entries"] and fast["errors"] == plain["errors"]
            print(f"{n:>8} {path.stat().st_size / 1e6:>6.1f} {fast['cpu']:>8.2f}s "
                  f"{plain['cpu']:>9.2f}s {plain['cpu'] / fast['cpu']:>5.1f}x "
                  f"{fast['rss_mb']:>7.0f}MB {plain['rss_mb']:>8.0f}MB")


if __name__ == "__main__":
    main()
