"""The real test of a .bib writer: BibTeX, biber and pdflatex accept everything it writes.

Every BBT fixture item, every Crossref fixture work and a set of hostile records are written in
both dialects and compiled with ``-no-shell-escape -halt-on-error``: plain BibTeX (``plain`` +
``url``), natbib's ``plainnat`` with hyperref's ``backref`` (which passes URLs through a macro
argument, where a raw ``%`` breaks: BBT#1966) and biblatex with biber. Any error in the .blg or
the LaTeX log fails the test.
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import EXAMPLES, FIXTURES
from support.bbt import BBT, bbt_reference, load_items

from refsync.builtin.bbt_keys import BBTDefault
from refsync.builtin.bibtex import BibExporter
from refsync.cli import cli
from refsync.model import Creator, Reference
from refsync.pull.keys import assign_keys

pytestmark = [
    pytest.mark.latex,
    pytest.mark.skipif(
        not all(shutil.which(t) for t in ("pdflatex", "bibtex", "biber")),
        reason="pdflatex, bibtex and biber are needed",
    ),
]
CROSSREF = FIXTURES / "crossref" / "works"

HOSTILE_TEXT = [
    r"\write18{rm -rf ~}", r"\immediate\write18{touch pwned}", r"\input{/etc/passwd}",
    r"\include{/etc/passwd}", r"\openin5=/etc/passwd \read5 to\x", r"\catcode`\^^5c=12",
    r"\def\x{\x}\x", r"\csname write18\endcsname{ls}", r"\newcommand\a{}\let\b\relax",
    r"\usepackage{shellesc}\special{sh}", "^^5cwrite18{ls}", "}", "{", "}{ unbalanced {{",
    "100% sure & $5 # _ ~ ^ \\", "<i>unclosed <b>tags", "</i>stray</span> close",
    '<span class="nocase">iPhone</span> "quoted" title', "line\n\nbreak % comment } here",
]


def hostile_records() -> list[Reference]:
    """Records whose every text field tries to become LaTeX code or break the syntax."""
    refs = []
    for i, text in enumerate(HOSTILE_TEXT):
        refs.append(Reference(
            item_type=("journalArticle", "bookSection", "thesis", "webpage")[i % 4],
            fields={
                "title": text, "publicationTitle": text, "bookTitle": text, "publisher": text,
                "university": text, "place": text, "volume": text, "issue": text,
                "pages": text, "date": f"2020-0{i % 9 + 1}-1{i % 9}", "abstractNote": text,
                "DOI": f"10.1000/{i}{text}", "url": f"https://example.org/{i}?q={text}%zz%41",
                "extra": f"Citation Key: {text}" if i % 3 == 0 else "", "language": text,
            },
            creators=(Creator(last=text, first=text), Creator(name=text),
                      Creator(last="Doe", first=text, creator_type="editor")),
            key=f"HOSTILE{i:02d}",
        ))
    return refs


def corpus() -> list[Reference]:
    refs = [bbt_reference(item) for path in sorted(BBT.glob("*.json"))
            for item in load_items(path)]
    try:
        mapping = importlib.import_module("refsync.builtin.crossref.mapping")
    except ModuleNotFoundError:  # being written by another engineer; compile the rest
        mapping = None
    if mapping is not None:
        for path in sorted(CROSSREF.glob("*.json")):
            refs.append(mapping.work_to_reference(json.loads(path.read_text("utf-8"))["message"]))
    return refs + hostile_records()


@pytest.fixture(scope="module")
def entries() -> dict[str, Reference]:
    refs = corpus()
    by_identity = {r.identity: r for r in refs}
    keys = assign_keys(refs, BBTDefault())
    return {keys[ident]: ref for ident, ref in by_identity.items()}


def _run(cwd: Path, *cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300,
                          errors="replace", check=False)


def _unicode_declarations(*texts: str) -> str:
    """pdflatex only knows some UTF-8 characters; the writer keeps non-Latin scripts as they
    are, so the document declares a stand-in for each one (this test checks syntax, not
    typesetting of Greek or CJK)."""
    chars = sorted({c for t in texts for c in t if ord(c) >= 0xA0})
    return "\n".join(f"\\DeclareUnicodeCharacter{{{ord(c):04X}}}{{?}}" for c in chars)


def _latex(cwd: Path) -> None:
    """One pdflatex run; fails on any ``!`` error line, with the lines that explain it."""
    texts = [p.read_text("utf-8", "replace") for p in cwd.glob("*.b[ib][bl]")]
    (cwd / "decl.tex").write_text(_unicode_declarations(*texts), "utf-8")
    result = _run(cwd, "pdflatex", "-no-shell-escape", "-halt-on-error",
                  "-interaction=nonstopmode", "doc.tex")
    log = (cwd / "doc.log").read_text("utf-8", "replace").splitlines()
    errors = ["\n".join(log[i:i + 4]) for i, line in enumerate(log) if line.startswith("!")]
    assert result.returncode == 0 and not errors, "\n".join(errors) or result.stdout[-3000:]
    assert not any("runsystem" in line for line in log)


def compile_bibtex(tmp: Path, bib: str, style: str, packages: str) -> int:
    (tmp / "refs.bib").write_text(bib, "utf-8")
    (tmp / "doc.tex").write_text(
        "\\documentclass{article}\n" + packages + "\n\\input{decl}\n\\begin{document}\n"
        f"\\nocite{{*}}\n\\bibliographystyle{{{style}}}\n\\bibliography{{refs}}\n"
        "\\end{document}\n", "utf-8")
    _latex(tmp)
    result = _run(tmp, "bibtex", "doc")
    blg = (tmp / "doc.blg").read_text("utf-8", "replace")
    assert "error message" not in blg and result.returncode < 2, blg[-3000:]
    _latex(tmp)
    _latex(tmp)
    return len(re.findall(r"\\bibitem", (tmp / "doc.bbl").read_text("utf-8", "replace")))


def compile_biber(tmp: Path, bib: str) -> int:
    (tmp / "refs.bib").write_text(bib, "utf-8")
    (tmp / "doc.tex").write_text(
        "\\documentclass{article}\n\\usepackage[backend=biber]{biblatex}\n"
        "\\addbibresource{refs.bib}\n\\input{decl}\n\\begin{document}\n\\nocite{*}\n"
        "\\printbibliography\n\\end{document}\n", "utf-8")
    _latex(tmp)
    result = _run(tmp, "biber", "doc")
    blg = (tmp / "doc.blg").read_text("utf-8", "replace")
    errors = [line for line in blg.splitlines() if "ERROR -" in line]
    assert result.returncode == 0 and not errors, "\n".join(errors) or result.stdout[-3000:]
    _latex(tmp)
    _latex(tmp)
    return len(re.findall(r"\\entry\{", (tmp / "doc.bbl").read_text("utf-8", "replace")))


def _export(dialect: str, entries: Mapping[str, Reference]) -> str:
    return BibExporter(dialect).export(entries)


@pytest.mark.parametrize(("style", "packages"), [
    ("plain", "\\usepackage{url}"),
    ("plainnat", "\\usepackage{url}\n\\usepackage{natbib}\n\\usepackage[backref]{hyperref}"),
])
def test_bibtex_compiles_every_entry(
    tmp_path: Path, entries: dict[str, Reference], style: str, packages: str
) -> None:
    assert compile_bibtex(tmp_path, _export("bibtex", entries), style, packages) == len(entries)


def test_biber_compiles_every_entry(tmp_path: Path, entries: dict[str, Reference]) -> None:
    assert compile_biber(tmp_path, _export("biblatex", entries)) == len(entries)


def test_corpus_is_large_and_holds_the_hostile_records(entries: dict[str, Reference]) -> None:
    assert len(entries) > 250
    assert sum(r.key.startswith("HOSTILE") for r in entries.values()) == len(HOSTILE_TEXT)


def test_the_examples_pulled_bibliography_compiles(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's main job: the offline example's pull gives a .bib its paper cites from."""
    example = EXAMPLES / "neuro-immune"
    folder = tmp_path / "neuro-immune"
    shutil.copytree(example, folder, ignore=shutil.ignore_patterns("references.bib", "*.lock"))
    monkeypatch.chdir(folder)
    assert CliRunner().invoke(cli, ["pull"]).exit_code == 0
    assert compile_bibtex(folder, (folder / "references.bib").read_text("utf-8"), "plain",
                          "\\usepackage{url}") == 6
    paper = _run(folder, "pdflatex", "-no-shell-escape", "-halt-on-error",
                 "-interaction=nonstopmode", "paper.tex")
    assert paper.returncode == 0
    cited = _run(folder, "bibtex", "paper")
    assert "Warning--I didn't find a database entry" not in cited.stdout, cited.stdout
