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
import unicodedata
from collections.abc import Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import EXAMPLES, FIXTURES
from support.bbt import BBT, bbt_reference, load_items

from refsync.bib.reader import parse_bib
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
#: what a user's preamble holds: T1 for accented Latin letters (ogonek, caron …); UTF-8 input
#: is LaTeX's default
PLAIN_PREAMBLE = "\\documentclass{article}\n\\usepackage[T1]{fontenc}\n"

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


def plain_preamble_records() -> list[Reference]:
    """What broke a build with a plain preamble: an accent on "i" (biber decoded "\\'\\i" to
    U+0131 U+0301), name parts holding commas (biber dropped the entry), Greek letters from
    Zotero or from an imported "$\\mu$" (pdflatex has no Greek font)."""
    text = "í-ï-ì-î, α-synuclein, TGF-β, γδ T cells, 5 μM, Ω, Καρυωτάκης, Ἀθῆναι"
    names = (Creator(last="Picard, PhD, MD", first="Jean-Luc"),
             Creator(last="King", first="Martin Luther, Jr., PhD"),
             Creator(last="Doe", first="Jr., PhD"), Creator(last="Martí", first="Íñigo"),
             Creator(last="Καρυωτάκης", first="Κώστας"), Creator(last="μ", first="α"))
    imported = parse_bib("@article{m, title = {The $\\mu$-opioid receptor and $\\alpha$}}",
                         "m.bib").entries[0].reference
    return [Reference(item_type="journalArticle", key="PLAIN01", creators=names,
                      fields={"title": text, "publicationTitle": text, "date": "2020"}),
            Reference(item_type="journalArticle", key="PLAIN02", creators=names[:2],
                      fields={**imported.fields, "date": "2021"}),
            # a co-author's key with every character BibTeX and biber both take, cited as is
            Reference(item_type="journalArticle", key="PLAIN03", creators=names[:1],
                      fields={"title": "Key", "date": "2022",
                              "extra": "Citation Key: Picard*!?;@|&<>2022"})]


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
    return refs + hostile_records() + plain_preamble_records()


@pytest.fixture(scope="module")
def entries() -> dict[str, Reference]:
    refs = corpus()
    by_identity = {r.identity: r for r in refs}
    keys = assign_keys(refs, BBTDefault())
    return {keys[ident]: ref for ident, ref in by_identity.items()}


def _run(cwd: Path, *cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300,
                          errors="replace", check=False)


def _t1_covers() -> frozenset[str]:
    """The characters LaTeX's UTF-8 support sets in the T1 and TS1 font encodings (the
    ``.dfu`` files that ``\\usepackage[T1]{fontenc}`` loads)."""
    chars = set(map(chr, range(0x20, 0x7F)))
    for name in ("t1enc.dfu", "ts1enc.dfu", "utf8enc.dfu"):
        path = _run(Path.cwd(), "kpsewhich", name).stdout.strip()
        text = Path(path).read_text("latin-1")
        chars |= {chr(int(code, 16)) for code in
                  re.findall(r"\\DeclareUnicodeCharacter\{([0-9A-F]+)\}", text)}
    return frozenset(chars)


def _left_to_the_user(*texts: str, decoded: bool) -> str:
    """Declarations for what the plain preamble cannot set and refsync cannot change: letters of
    scripts that need a package of their own (Cyrillic, CJK …), and, when biber has
    ``decoded`` the file to UTF-8, Greek words (BibLaTeX output keeps them, as Better BibLaTeX
    does) and letters T1 has no glyph for (biber turns "\\d{o}" into U+1ECD whatever the .bib
    says). Everything else must come out as TeX pdflatex sets with the plain preamble."""
    covered = _t1_covers()

    def left(c: str) -> bool:
        if not unicodedata.category(c).startswith("L"):  # marks and symbols: never
            return False
        name = unicodedata.name(c, "")
        script = not name.startswith("LATIN")
        if not decoded:
            return script and not name.startswith("GREEK")
        return script or c not in covered

    chars = sorted({c for t in texts for c in t if ord(c) >= 0x80 and left(c)})
    return "\n".join(f"\\DeclareUnicodeCharacter{{{ord(c):04X}}}{{?}}" for c in chars)


def _latex(cwd: Path, *, decoded: bool = False) -> None:
    """One pdflatex run; fails on any ``!`` error line, with the lines that explain it."""
    texts = [p.read_text("utf-8", "replace") for p in cwd.glob("*.b[ib][bl]")]
    (cwd / "decl.tex").write_text(_left_to_the_user(*texts, decoded=decoded), "utf-8")
    result = _run(cwd, "pdflatex", "-no-shell-escape", "-halt-on-error",
                  "-interaction=nonstopmode", "doc.tex")
    log = (cwd / "doc.log").read_text("utf-8", "replace").splitlines()
    errors = ["\n".join(log[i:i + 4]) for i, line in enumerate(log) if line.startswith("!")]
    assert result.returncode == 0 and not errors, "\n".join(errors) or result.stdout[-3000:]
    assert not any("runsystem" in line for line in log)


def compile_bibtex(tmp: Path, bib: str, style: str, packages: str) -> int:
    (tmp / "refs.bib").write_text(bib, "utf-8")
    (tmp / "doc.tex").write_text(
        PLAIN_PREAMBLE + packages + "\n\\input{decl}\n\\begin{document}\n"
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
        PLAIN_PREAMBLE + "\\usepackage[backend=biber]{biblatex}\n"
        "\\addbibresource{refs.bib}\n\\input{decl}\n\\begin{document}\n\\nocite{*}\n"
        "\\printbibliography\n\\end{document}\n", "utf-8")
    _latex(tmp, decoded=True)
    result = _run(tmp, "biber", "doc")
    blg = (tmp / "doc.blg").read_text("utf-8", "replace")
    errors = [line for line in blg.splitlines() if "ERROR -" in line]
    assert result.returncode == 0 and not errors, "\n".join(errors) or result.stdout[-3000:]
    _latex(tmp, decoded=True)
    _latex(tmp, decoded=True)
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
