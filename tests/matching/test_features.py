"""refsync.matching.features: title forms stay linear on untrusted titles."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from refsync.matching.features import fingerprint, normalize_title
from refsync.model import Reference

Within = Callable[[float], AbstractContextManager[None]]
RUN = " " * 100_000  # a run of whitespace, as a careless paste or a hostile record may hold


@pytest.mark.parametrize(("title", "main", "bare"), [
    (f"Deep learning{RUN}(extended abstract)", None, "deep learning"),
    (f"Deep learning{RUN}- Tutorial", "deep learning", "deep learning"),
    (f"Deep learning{RUN}: a survey", "deep learning", None),
    (f"Deep learning{RUN}revisited", None, None),
])
def test_a_long_run_of_spaces_in_a_title_is_read_at_once(
    within: Within, title: str, main: str | None, bare: str | None
) -> None:
    """Each space of the run used to start a scan of the rest of the run (quadratic: minutes
    for 100k spaces) in the subtitle, notes and kind patterns."""
    with within(2):
        f = fingerprint(Reference("book", {"title": title}))
    assert (f.main and f.main.text, f.bare and f.bare.text) == (main, bare)


def test_many_unclosed_angle_brackets_normalise_at_once(within: Within) -> None:
    """Each "<" without a ">" after it used to scan the rest of the title for one."""
    with within(2):
        assert normalize_title("<i>b</i>" + "a<" * 50_000) == "b" + " a" * 50_000
        assert normalize_title("a<" * 50_000 + "<i>b</i>") == "a b"  # one "tag" up to the ">"


def test_a_title_nested_deeper_than_pylatexenc_follows_is_still_compared() -> None:
    """pylatexenc raised RecursionError from about 250 levels, which stopped a whole dedupe."""
    title = "\\emph" + "{" * 300 + "Deep Learning" + "}" * 300
    assert normalize_title(title).endswith("deep learning")  # its commands left in


def test_titles_fold_letters_as_citation_keys_do() -> None:
    """One table spells out the letters Unicode does not decompose, for keys and for matching:
    a title written with them matches its transliteration."""
    assert normalize_title("Ðurđević's Straße: þe ŋram ĸit") == \
        normalize_title("Durdevic's Strasse: the ngram qit")
