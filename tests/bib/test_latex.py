"""refsync.bib.latex: text stays text, markup becomes LaTeX, case is protected like BBT does it."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from refsync.bib import decode
from refsync.bib.decode import decode_latex
from refsync.bib.latex import escape, prepare, verbatim
from refsync.bib.reader import parse_bib
from refsync.bib.richtext import MARKUP_DEPTH, _Protector, rich_text
from refsync.bib.safety import SafetyCheck, UnsafeValueError, all_safe, safety_problems

Within = Callable[[float], AbstractContextManager[None]]


HOSTILE = [
    r"\write18{rm -rf ~}", r"\immediate\write18{x}", r"\input{/etc/passwd}",
    r"\include{x}", r"\openin1=x", r"\openout1=x", r"\read1 to\x", r"\catcode`\%=12",
    r"\def\x{}", r"\csname write18\endcsname", r"\newcommand\x{}", r"\let\a\b",
    r"\special{x}", r"\usepackage{shellesc}", "^^5cwrite18", "}", "{", "}{", "{{{", "\\",
]


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("render", [escape, rich_text, lambda t: rich_text(t, protect=True)],
                         ids=["escape", "rich_text", "rich_text_protect"])
def test_hostile_text_cannot_become_latex(text: str, render: object) -> None:
    out = render(text)  # type: ignore[operator]
    assert safety_problems(out) == []
    # the only commands left are the character macros escaping produced
    assert set(re.findall(r"\\([A-Za-z]+)", out)) <= {
        "textbackslash", "textbraceleft", "textbraceright", "textasciicircum", "textasciitilde"}


@pytest.mark.parametrize(("text", "latex"), [
    ("100% & $5 # a_b", r"100{\%} {\&} {\$}5 {\#} a{\_}b"),
    ("~^", r"{\textasciitilde}{\textasciicircum}"),
    ("a\\b", r"a{\textbackslash}b"),
    ("{x}", r"{\textbraceleft}x{\textbraceright}"),
    ("Oxenløwe", r"Oxenl{\o}we"),
    ("Émile", r"{\'E}mile"),
    ("Nguyễn", r"Nguy{\~{\^{e}}}n"),  # composed from pylatexenc's accent list
    ("o\u0308ffentlich", r"{\"o}ffentlich"),
    # non-Latin scripts stay Unicode, not math or Latin look-alikes
    ("Καρυωτάκης", "Καρυωτάκης"),
    ("张三", "张三"),
    ("a\n\n b\tc", "a b c"),  # a blank line would be \par inside the .bbl
    ("zero\u200bwidth", "zerowidth"),
    ('"quoted" (“x”)', r"{\textquotedblleft}quoted{\textquotedblright} ({\textquotedblleft}x"
                       r"{\textquotedblright})"),
    ("[F]linders", "{[}F{]}linders"),
])
def test_escape(text: str, latex: str) -> None:
    assert escape(text) == latex


@pytest.mark.parametrize(("html", "latex"), [
    ("<i>Drosophila</i> genes", r"\emph{Drosophila} genes"),
    ("<b>bold</b> H<sub>2</sub>O x<sup>2</sup>",
     r"\textbf{bold} H\textsubscript{2}O x\textsuperscript{2}"),
    ('<span style="font-variant:small-caps;">Caps</span>', r"\textsc{Caps}"),
    ('<span class="nocase">iPhone</span>', "{iPhone}"),
    ("<i>unclosed <b>both", r"\emph{unclosed \textbf{both}}"),
    ("stray</i> close", "stray close"),
    ("p<q and <p>", r"p{\ensuremath{<}}q and {\ensuremath{<}}p{\ensuremath{>}}"),
])
def test_rich_text(html: str, latex: str) -> None:
    assert rich_text(html) == latex


@pytest.mark.parametrize(("title", "latex"), [
    ("Investigating the Problem of Cryptocurrency Price Prediction: A Deep Learning Approach",
     "Investigating the {{Problem}} of {{Cryptocurrency Price Prediction}}: "
     "{{A Deep Learning Approach}}"),  # BBT#1803 expected output
    ("Patent Landscape analysis: sample from S40RTS",
     "Patent {{Landscape}} analysis: sample from {{S40RTS}}"),  # BBT#295
    ("SPECFEM3D_GLOBE", r"{{SPECFEM3D}}{\_}{{GLOBE}}"),  # BBT#300
    ("The U.S. case", "The {{U}}.{{S}}. case"),
    ("DNA repair in 1989 with 3D p53", "{{DNA}} repair in 1989 with {{3D p53}}"),
    ("A study of iPhone use", "A study of {{iPhone}} use"),
    ("<i>Homo sapiens</i> in Europe", r"\emph{Homo sapiens} in {{Europe}}"),
    ('<span class="nocase">eBay</span> and Amazon', "{eBay} and {{Amazon}}"),
    ("Workshop on Data-Intensive Computing and well-known COVID-19 data",
     "Workshop on {{Data-Intensive Computing}} and well-known {{COVID-19}} data"),
    ("Self-organizing maps", "Self-organizing maps"),
])
def test_title_case_protection(title: str, latex: str) -> None:
    assert rich_text(title, protect=True) == latex


@pytest.mark.parametrize(("value", "bibtex", "biblatex"), [
    ("10.1007/978-3-030-49186-4_9", "10.1007/978-3-030-49186-4_9", "10.1007/978-3-030-49186-4_9"),
    ("https://a.org/x%20y#f", r"https://a.org/x\%20y\#f", "https://a.org/x%20y#f"),
    ("https://doi.org/10.1214%2F13-sts434", r"https://doi.org/10.1214\%2F13-sts434",
     "https://doi.org/10.1214%2F13-sts434"),
    ("https://a.org/%7Euser/%41", "https://a.org/~user/A", "https://a.org/~user/A"),  # RFC 3986
    ("https://a.org/a b{c}\\d^^5c", r"https://a.org/a\%20b\%7Bc\%7D\%5Cd\%5E\%5E5c",
     "https://a.org/a%20b%7Bc%7D%5Cd%5E%5E5c"),
    ("https://a.org/100%", r"https://a.org/100\%25", "https://a.org/100%25"),
    ("https://a.org/håkon", r"https://a.org/h\%C3\%A5kon", "https://a.org/h%C3%A5kon"),
    ("10.1175/1520-0493(1987)115<1606:GARSPP>2.0.CO;2",
     "10.1175/1520-0493(1987)115<1606:GARSPP>2.0.CO;2",
     "10.1175/1520-0493(1987)115<1606:GARSPP>2.0.CO;2"),
])
def test_verbatim(value: str, bibtex: str, biblatex: str) -> None:
    assert verbatim(value, bibtex=True) == bibtex
    assert verbatim(value, bibtex=False) == biblatex
    assert safety_problems(bibtex) == safety_problems(biblatex) == []


@pytest.mark.parametrize(("latex", "problem"), [
    (r"\write18{x}", r"forbidden command \write"),
    (r"\input x", r"forbidden command \input"),
    (r"a{\textbackslash}write18", None),
    ("{", "unbalanced braces"),
    ("}{", "unbalanced braces"),
    (r"\{", "unbalanced braces"),  # BibTeX counts escaped braces too
    ("^^5c", "TeX ^^ notation"),
    (r"\emph{ok}", None),
])
def test_safety_problems(latex: str, problem: str | None) -> None:
    assert safety_problems(latex) == ([problem] if problem else [])
    if problem:  # the one-pass check over a whole entry never passes what the exact one fails
        assert not all_safe(["clean", latex, r"\emph{ok}"])


def test_one_pass_check_passes_clean_entries() -> None:
    assert all_safe(["{{DNA}} repair", r"M{\"u}ller, Anna", "", r"\textbf{x}{\textbraceleft}"])
    assert all_safe([r"\writer", r"\inputs"])  # other words that merely begin the same


def test_every_character_pylatexenc_knows_encodes_safely() -> None:
    """No entry of the upstream table may smuggle in a command or an unbalanced brace."""
    from pylatexenc.latexencode import get_builtin_uni2latex_dict

    text = "".join(chr(cp) for cp in get_builtin_uni2latex_dict())
    for i in range(0, len(text), 100):
        assert safety_problems(escape(text[i:i + 100])) == []


def test_random_text_always_renders_safely() -> None:
    """Seeded fuzzing over TeX specials, markup fragments and odd Unicode."""
    import random

    atoms = list("\\{}%&$#_~^[]<>\"' \n\t") + [
        "<i>", "</i>", "<b>", "</span>", '<span class="nocase">', "<sup>", "^^5c", "\\write18",
        "\\input", "\u0301", "\u200b", "é", "ß", "Ω", "张", "DNA", "iPhone", "a", "Z", "9", "-",
    ]
    rng = random.Random(20261123)
    for _ in range(1000):
        text = "".join(rng.choice(atoms) for _ in range(rng.randint(1, 30)))
        for out in (escape(text), rich_text(text), rich_text(text, protect=True),
                    verbatim(text, bibtex=True), verbatim(text, bibtex=False)):
            assert safety_problems(out) == [], (text, out)


def test_lookalike_tag_names_are_text_not_markup() -> None:
    # a dotted capital I lower-cases to 'i̇', which is no tag refsync knows
    out = rich_text("<\u0130>x</\u0130>")
    assert "\\emph" not in out and out.count("{") == out.count("}")


def test_a_long_hyphenated_compound_is_protected_at_once(within: Within) -> None:
    with within(2):
        protected = rich_text("a-" * 50_000 + "DNA", protect=True)
        plain = rich_text("x " + "a-" * 50_000 + "b", protect=True)
        # after a plain first word, ASCII runs are matched whole by one pattern
        runs = rich_text("Deep " + "a-" * 50_000 + "DNA " + "GPU " * 50_000 + "end", protect=True)
    assert protected == "{{" + "a-" * 50_000 + "DNA}}"
    assert plain == "x " + "a-" * 50_000 + "b"
    assert runs == "Deep {{" + "a-" * 50_000 + "DNA " + "GPU " * 49_999 + "GPU}} end"


def test_markup_nested_thousands_deep_renders_at_once_and_stays_parsable(within: Within) -> None:
    """A 100 KB title of nested <i> made a pull take 26 s (the open tags were searched at each
    tag) and would have written braces nested 12,000 deep, which no parser reads back."""
    deep = "<i>" * 12_000 + "x" + "</i>" * 12_000
    with within(1):
        latex = rich_text(f"{deep} and <b>after</b>", protect=True)
    assert latex == "\\emph{" * MARKUP_DEPTH + "x" + "}" * MARKUP_DEPTH + " and \\textbf{after}"
    assert parse_bib(f"@article{{k, title = {{{latex}}}}}", "x.bib").entries  # reads back


# -- the shortcuts agree with the rules they stand for ------------------------------------------

_WORDS = ["DNA", "p53", "3D", "x-ray", "Deep", "deep", "of", "the", "COVID-19", "mRNA",
          "Data-Intensive", "data-intensive", "über", "Über", "Émile", "naïve", "I", "a", "A",
          "123", "1-2", "e-mail", "iPhone", "t-SNE", "β-cell", "CO2", "–", ":", "(x)", "...",
          "O'Brien", "MacBook", "-", "2-D", "ab-CD", "α", "Ωmega", "x_y", "R&D", "50%"]


def _titles(rng: random.Random, count: int) -> list[str]:
    return [rng.choice([" ", "  ", ": ", "\t", "-"]).join(
        rng.choice(_WORDS) for _ in range(rng.randint(1, 9))) for _ in range(count)]


def test_the_case_protection_shortcuts_agree_with_the_word_by_word_rule() -> None:
    """The title fast paths of the protector against the plain BBT rule, on 20,000 random
    titles, each fed in one to three pieces as markup splits a title."""
    rng = random.Random(2026)
    for title in map(prepare, _titles(rng, 20_000)):  # as rich_text prepares a whole value
        cuts = sorted(rng.sample(range(len(title) + 1), k=min(rng.randint(0, 2), len(title))))
        pieces = [title[a:b] for a, b in zip([0, *cuts], [*cuts, len(title)], strict=True)]
        fast, plain = _Protector(), _Protector(fast=False)
        for piece in pieces:
            assert fast(piece) == plain(piece), (title, pieces)
            assert fast.seen_word == plain.seen_word


def test_the_batched_safety_check_finds_exactly_what_the_value_by_value_check_finds() -> None:
    rng = random.Random(7)
    alphabet = ["a", "b", " ", "\\", "{", "}", "^", "write", "input", "par", "\\\\", "\x00",
                "é", "%", "emph"]
    for _ in range(2_000):
        values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
                  for _ in range(rng.randint(1, 40))]
        exact = [i for i, v in enumerate(values) if safety_problems(v)]
        if all_safe(values):
            assert exact == []
        check = SafetyCheck()
        try:
            check.add(values)
            check.finish()
        except UnsafeValueError as unsafe:
            assert unsafe.position == exact[0]
            assert unsafe.problems == safety_problems(values[exact[0]])
        else:
            assert exact == []


def test_an_unsafe_value_deep_in_a_long_run_is_named_by_its_position() -> None:
    check = SafetyCheck()
    with pytest.raises(UnsafeValueError) as unsafe:
        for i in range(30_000):
            check.add(["fine", "\\input{/etc/passwd}" if i == 12_345 else "also fine"])
        check.finish()
    assert unsafe.value.position == 2 * 12_345 + 1
    assert unsafe.value.problems == ["forbidden command \\input"]


def test_the_brace_groups_shortcut_reads_values_exactly_as_pylatexenc_does() -> None:
    """decode_latex skips pylatexenc for values of text and braces only; on 100,000 random
    values over an alphabet of TeX's specials, whatever takes the shortcut reads the same."""
    alphabet = [*"ab {}%&#^_'\"-!?<>@.,:;()[]=+*/|`0123456789", "\n", "\t", "ü", "\u00a0",
                "\u2028", "\\", "$", "~"]
    rng = random.Random(20261208)
    shortcut = 0
    for _ in range(100_000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 14)))
        if decode._LATEX.search(value) and not decode._MARKUP.search(value):
            shortcut += 1
            for rich in (False, True):
                assert decode_latex(value, rich=rich) == decode._walk(value, rich=rich), value
    assert shortcut > 10_000
