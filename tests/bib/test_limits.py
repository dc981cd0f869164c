"""Cheap hostile .bib files cost bounded time and memory, and each breach is one error naming the
file and line while the rest of the file still imports.

Each file is parsed in a child process under a 1 GB address-space limit and a timeout, so a
regression fails the test instead of taking the machine down.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

from refsync.bib.limits import MAX_CROSSREF_DEPTH, MAX_ENTRY_CHARS, MAX_EXPANSION

CAP = 1 << 30
PARSE = """
import json, resource, sys, time
from refsync.bib.reader import parse_bib
text = open(sys.argv[1], encoding="utf-8").read()
start = time.process_time()
result = parse_bib(text, "hostile.bib")
print(json.dumps({"keys": [e.key for e in result.entries],
                  "titles": [e.reference.fields.get("title", "") for e in result.entries],
                  "errors": [str(e) for e in result.errors],
                  "seconds": time.process_time() - start,
                  "mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def parse_bounded(tmp_path: Path, text: str, seconds: float) -> dict[str, Any]:
    path = tmp_path / "hostile.bib"
    path.write_text(text, encoding="utf-8")

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))

    done = subprocess.run([sys.executable, "-c", PARSE, str(path)], capture_output=True,
                          text=True, timeout=seconds + 10, preexec_fn=cap, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout)
    assert result["seconds"] < seconds, result["seconds"]
    assert result["mb"] < 300, result["mb"]
    return result


def test_string_macros_that_double_forty_times_are_refused_at_the_limit(tmp_path: Path) -> None:
    """1 KB of @string asked bibtexparser for 2**40 characters: MemoryError past 2.6 GB."""
    lines = ['@string{s0 = "xx"}'] + [f"@string{{s{i} = s{i - 1} # s{i - 1}}}"
                                     for i in range(1, 40)]
    text = "\n".join([*lines, "@article{fine, title = s3, year = 2000}"]) + "\n"
    result = parse_bounded(tmp_path, text, seconds=5)
    assert result["keys"] == ["fine"] and result["titles"] == ["x" * 16]
    # s_i is 2 ** (i + 1) characters and on line i + 1
    first = 1 + next(i for i in range(40) if 2 ** (i + 1) > MAX_EXPANSION)
    assert result["errors"][0].startswith(f"hostile.bib:{first}: a '@string' block cannot be "
                                          "read: its macros would add"), result["errors"]


def test_an_entry_that_joins_one_large_macro_many_times_is_refused(tmp_path: Path) -> None:
    big = "y" * 100_000
    uses = " # ".join(["big"] * 1000)  # 8 KB asking for 100 MB
    text = (f'@string{{big = "{big}"}}\n@article{{greedy, title = {uses}}}\n'
            "@article{fine, title = big}\n")
    result = parse_bounded(tmp_path, text, seconds=5)
    assert result["keys"] == ["fine"]
    [error] = result["errors"]
    assert error == ("hostile.bib:2: entry 'greedy' cannot be read: its macros would add "
                     "100,000,000 characters, more than refsync expands in one entry or macro "
                     f"({MAX_EXPANSION:,}).")


def test_many_large_macros_are_refused_once_they_fill_the_budget(tmp_path: Path) -> None:
    """Each under the limit, together 60 MB from a 150 KB file: s_i = s_0, 400 times."""
    lines = [f'@string{{s0 = "{"z" * 150_000}"}}']
    lines += [f"@string{{s{i} = s0}}" for i in range(1, 400)]
    result = parse_bounded(tmp_path, "\n".join([*lines, "@misc{fine, note = s1}"]) + "\n",
                           seconds=10)
    assert result["keys"] == ["fine"]
    assert result["errors"] and all("macros expand to more than" in e for e in result["errors"])


def test_a_run_of_unclosed_comments_is_read_in_linear_time(tmp_path: Path) -> None:
    """100 KB of "@comment{" took 22 s: each searched the rest of the file for its end."""
    text = "@comment{" * 11_000 + "\n@article{after, title = {Read}, year = 2000}\n"
    result = parse_bounded(tmp_path, text, seconds=2)
    assert result["keys"] == ["after"] and result["errors"] == []


def test_a_crossref_chain_thousands_deep_is_cut_at_the_limit(tmp_path: Path) -> None:
    """A 3,000-deep chain raised RecursionError and lost the whole file."""
    depth = 3000
    entries = [f"@inproceedings{{k{i}, crossref = {{k{i + 1}}}, title = {{T{i}}}}}"
               for i in range(depth)]
    text = "\n".join([*entries, f"@proceedings{{k{depth}, title = {{Proc}}, year = 2000}}"])
    result = parse_bounded(tmp_path, text, seconds=30)
    readable = MAX_CROSSREF_DEPTH + 1  # the last entries, whose chains end in time
    assert result["keys"] == [f"k{i}" for i in range(depth - readable + 1, depth + 1)]
    assert len(result["errors"]) == depth - readable + 1
    assert result["errors"][0] == (f"hostile.bib:1: entry 'k0' cannot be read: its crossref "
                                   f"chain is more than {MAX_CROSSREF_DEPTH} deep.")


def test_an_entry_larger_than_the_limit_is_refused_without_parsing_it(tmp_path: Path) -> None:
    words = "word " * (MAX_ENTRY_CHARS // 5 + 1)
    text = (f"@article{{huge, title = {{T}}, abstract = {{{words}}}}}\n"
            "@article{fine, title = {Fine}}\n")
    result = parse_bounded(tmp_path, text, seconds=3)
    assert result["keys"] == ["fine"]
    assert result["errors"][0].startswith("hostile.bib:1: entry 'huge' cannot be read: it is ")
    assert f"more than refsync reads in one entry ({MAX_ENTRY_CHARS:,})" in result["errors"][0]


def test_a_large_file_of_common_entries_is_read_in_linear_time(tmp_path: Path) -> None:
    """A 55 MB file never finished in 120 s: bibtexparser took 1.6 ms an entry. 10,000
    entries (2 MB) as Zotero and Better BibTeX write them now take about 2 s here."""
    entry = ("@article{{key{0},\n  title = {{A study of {{DNA}} repair number {0}}},\n"
             "  author = {{Smith, John and M{{\\\"u}}ller, J{{\\\"u}}rgen}},\n"
             "  journal = {{Journal of Things}},\n  year = {{2001}},\n  month = jun,\n"
             "  pages = {{1--10}},\n  doi = {{10.1000/x{0}}}\n}}\n")
    text = "".join(entry.format(n) for n in range(10_000))
    result = parse_bounded(tmp_path, text, seconds=8)
    assert len(result["keys"]) == 10_000 and not result["errors"]
    assert result["titles"][7] == "A study of DNA repair number 7"
