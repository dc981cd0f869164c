"""refsync's .bib writer against Better BibTeX's own expected exports, field by field.

BBT is the reference implementation users compare us with. Its fixtures differ from refsync on
purpose in a few ways (it title-cases English titles, honours per-fixture preferences such as
``skipFields``/``bibtexURL``, reads raw ``$math$``), so the comparison normalises LaTeX to text,
ignores case in titles and measures agreement instead of demanding identity.
"""

from __future__ import annotations

from support.bbt import all_rows, bbt_cases, parse_bib


def test_agreement_with_bbt_is_at_least_98_percent() -> None:
    rows = all_rows()
    misses = [row for row in rows if row[2] != row[3]]
    agreement = 1 - len(misses) / len(rows)
    detail = "\n".join(f"{k} {f}: bbt={t!r} refsync={m!r}" for k, f, t, m in misses)
    assert len(rows) > 500
    assert agreement >= 0.98, f"{agreement:.2%} of {len(rows)} fields agree; misses:\n{detail}"


def test_nearly_every_expected_entry_is_compared() -> None:
    """The harness must not score well by skipping entries it cannot pair with an item."""
    expected = 0
    for json_path, dialect in bbt_cases():
        expected += len(parse_bib(json_path.with_suffix("." + dialect).read_text("utf-8")))
    matched = len({row[0] for row in all_rows()})
    assert matched / expected >= 0.95, f"{matched} of {expected} entries compared"
