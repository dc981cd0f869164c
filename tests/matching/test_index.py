"""Matching decisions a user would check by eye: same work, other version, or two works."""

from __future__ import annotations

import pytest

from refsync.hookspecs import Match
from refsync.matching.features import normalize_title
from refsync.matching.index import (
    MatchIndex,
    MatchSettings,
    compare,
    find_duplicate_groups,
)
from refsync.model import Creator, Reference


def paper(title: str, *authors: str, year: str = "2020", item_type: str = "journalArticle",
          **fields: str) -> Reference:
    """A record with authors written ``"Last, First"``."""
    people = tuple(Creator(last=a.split(", ")[0], first=a.partition(", ")[2]) for a in authors)
    return Reference(item_type, {"title": title, "date": year, **fields}, people)


SMITH_JONES = ("Smith, Anna", "Jones, Bo")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{\\"U}ber {B}ayesian nets', "uber bayesian nets"),
        ("Über Bayesian nets", "uber bayesian nets"),
        ("\u201cQuoted\u201d \u2013 title\u2019s end", "quoted title s end"),
        ("The <i>E. coli</i> genome", "the e coli genome"),
        ("Caf\u00e9 &amp; bar", "cafe bar"),
        ("\u0141\u00f3d\u017a and \u00c6sop", "lodz and aesop"),
        ("$\\alpha$-helix", "α helix"),
    ],
    ids=["latex-accent", "unicode", "curly-quotes-dash", "html-tags", "html-entity",
         "undecomposed-letters", "latex-math"],
)
def test_title_normalisation(raw: str, expected: str) -> None:
    assert normalize_title(raw) == expected


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        (paper("A", DOI="10.1038/NRC3239"), paper("B", DOI="https://doi.org/10.1038/nrc3239"),
         "same DOI"),
        (paper("Book", item_type="book", ISBN="0-306-40615-2"),
         paper("Book, 2nd printing", item_type="book", ISBN="978-0-306-40615-7"), "same ISBN"),
        (paper("X", extra="PMID: 123"), paper("Y", url="https://pubmed.ncbi.nlm.nih.gov/123"),
         "same PMID"),
    ],
    ids=["doi-forms", "isbn-10-vs-13", "pmid-extra-vs-url"],
)
def test_shared_identifier_is_the_same_work(a: Reference, b: Reference, reason: str) -> None:
    assert compare(a, b).kind == "duplicate"
    assert compare(a, b).reason == reason


def test_different_dois_veto_identical_titles() -> None:
    a = paper("Deep learning", *SMITH_JONES, DOI="10.1038/nature14539")
    b = paper("Deep learning", *SMITH_JONES, DOI="10.1038/nature14540")
    decision = compare(a, b)
    assert (decision.kind, decision.reason) == ("distinct", "different DOIs")


def test_chapters_sharing_their_books_isbn_are_not_one_work() -> None:
    a = paper("Chapter one", "Smith, A", item_type="bookSection", ISBN="0-306-40615-2")
    b = paper("Another chapter", "Jones, B", item_type="bookSection", ISBN="0-306-40615-2")
    assert compare(a, b).kind == "distinct"


def test_same_title_authors_and_year_is_a_duplicate_with_a_readable_reason() -> None:
    a = paper("Attention is all you need", "Vaswani, Ashish", "Shazeer, Noam")
    b = paper("Attention Is All You Need.", "Shazeer, N.", "Vaswani, A.")
    decision = compare(a, b)
    assert decision.kind == "duplicate"
    assert decision.score >= 0.99
    assert decision.reason == "title 1.00 + 2/2 authors + year"


def test_diacritics_and_latex_in_titles_and_names_match() -> None:
    a = paper('Die {\\"U}bersetzung von Texten', "M{\\\"u}ller, J{\\\"o}rg")
    b = paper("Die Übersetzung von Texten", "Müller, Jörg")
    assert compare(a, b).kind == "duplicate"


def test_dropped_subtitle_still_matches() -> None:
    a = paper("Graph neural networks: a review of methods and applications", *SMITH_JONES)
    b = paper("Graph neural networks", *SMITH_JONES)
    decision = compare(a, b)
    assert decision.kind == "duplicate"
    assert "without subtitle" in decision.reason


def test_online_first_year_off_by_one_matches() -> None:
    a = paper("Protein folding with language models", *SMITH_JONES, year="2021-12-03")
    b = paper("Protein folding with language models", *SMITH_JONES, year="2022")
    decision = compare(a, b)
    assert decision.kind == "duplicate"
    assert "year ±1" in decision.reason


def test_same_title_by_other_people_years_apart_is_distinct() -> None:
    a = paper("A survey of clustering methods", "Smith, Anna", year="1995")
    b = paper("A survey of clustering methods", "Zhou, Li", year="2015")
    assert compare(a, b).kind == "distinct"


def test_typo_in_title_still_matches() -> None:
    a = paper("Efficient estimation of word representations in vector space", *SMITH_JONES)
    b = paper("Efficient estimation of word representatoins in vector space", *SMITH_JONES)
    assert compare(a, b).kind == "duplicate"


@pytest.mark.parametrize("title", ["Editorial", "Introduction", "Book review", "Erratum",
                                   "Preface", "Reply"])
def test_generic_title_same_year_different_authors_is_distinct(title: str) -> None:
    a = paper(title, "Smith, Anna", publicationTitle="Nature")
    b = paper(title, "Jones, Bo", publicationTitle="Nature")
    assert compare(a, b).kind == "distinct"


def test_generic_title_needs_same_authors_and_exact_year() -> None:
    a = paper("Editorial", "Smith, Anna", publicationTitle="Nature")
    same = paper("Editorial", "Smith, A.", publicationTitle="Nature")
    next_year = paper("Editorial", "Smith, A.", year="2021", publicationTitle="Nature")
    assert compare(a, same).kind == "duplicate"
    assert compare(a, next_year).kind == "distinct"


def test_numbered_parts_and_errata_are_other_works() -> None:
    part1 = paper("Learning to rank, part I", *SMITH_JONES)
    part2 = paper("Learning to rank, part II", *SMITH_JONES)
    erratum = paper("Erratum: Learning to rank, part I", *SMITH_JONES)
    assert compare(part1, part2).kind == "distinct"
    assert compare(part1, erratum).kind == "distinct"


def test_preprint_linked_by_relation_is_related() -> None:
    preprint = paper("Scaling laws", *SMITH_JONES, item_type="preprint",
                     DOI="10.48550/arXiv.2001.08361")
    article = Reference("journalArticle", {"title": "Scaling laws for language models",
                                           "DOI": "10.1000/slm"},
                        relations={"has-preprint": ("10.48550/arXiv.2001.08361",)})
    decision = compare(article, preprint)
    assert decision.kind == "related"
    assert "preprint" in decision.reason


def test_preprint_and_article_with_same_title_are_related_not_duplicates() -> None:
    preprint = paper("Scaling laws for neural language models", *SMITH_JONES,
                     item_type="preprint", DOI="10.48550/arXiv.2001.08361")
    article = paper("Scaling laws for neural language models", *SMITH_JONES,
                    DOI="10.1000/slm")
    decision = compare(preprint, article)
    assert decision.kind == "related"
    assert decision.reason.startswith("preprint and published version")


def test_conference_paper_and_journal_version_are_related() -> None:
    conf = paper("Watermarking relational databases", *SMITH_JONES, year="2002",
                 item_type="conferencePaper", proceedingsTitle="Proceedings of VLDB")
    journal = paper("Watermarking relational databases", *SMITH_JONES, year="2003",
                    publicationTitle="The VLDB Journal")
    assert compare(conf, journal).kind == "related"


def test_index_finds_best_first_and_skips_unrelated() -> None:
    target = paper("Dropout: a simple way to prevent neural networks from overfitting",
                   "Srivastava, Nitish", "Hinton, Geoffrey", year="2014")
    near = paper("Dropout", "Srivastava, Nitish", year="2014")
    other = paper("Batch normalization", "Ioffe, Sergey", year="2015")
    index = MatchIndex([other, near, target])
    found = index.find(paper("Dropout: A Simple Way to Prevent Neural Networks from "
                             "Overfitting", "Hinton, G.", "Srivastava, N.", year="2014"))
    assert [ref for ref, _ in found][:1] == [target]
    assert other not in [ref for ref, _ in found]
    assert len(index) == 3


def test_index_uses_identifiers_even_when_titles_differ() -> None:
    stored = paper("Original title", DOI="10.1000/xyz")
    found = MatchIndex([stored]).find(paper("Totally different", DOI="doi:10.1000/XYZ"))
    assert [(ref, d.reason) for ref, d in found] == [(stored, "same DOI")]


class SameUrl:
    """A third-party matcher: records with one URL are one work."""

    name = "url"

    def match(self, candidate: Reference, existing: Reference) -> Match | None:
        if candidate.get("url") and candidate.get("url") == existing.get("url"):
            return Match(1.0, "same URL")
        return None


def test_plugin_matcher_is_consulted_on_blocked_pairs() -> None:
    stored = paper("Some dataset", "Smith, Anna", url="https://example.org/d")
    candidate = paper("Some dataset (version 2)", "Smith, Anna", year="2023",
                      url="https://example.org/d")
    assert MatchIndex([stored]).find(candidate) == []
    found = MatchIndex([stored], matchers=[SameUrl()]).find(candidate)
    assert [(ref, d.kind, d.reason) for ref, d in found] == [(stored, "duplicate",
                                                             "url: same URL")]


def test_conflicting_identifiers_veto_plugin_matchers() -> None:
    stored = paper("Some dataset", url="https://example.org/d", DOI="10.1000/a")
    candidate = paper("Some dataset", url="https://example.org/d", DOI="10.1000/b")
    assert MatchIndex([stored], matchers=[SameUrl()]).find(candidate) == []


def test_groups_are_transitive_and_explained() -> None:
    a = paper("Generative adversarial nets", "Goodfellow, Ian", DOI="10.1000/gan")
    b = paper("Generative Adversarial Nets", "Goodfellow, I.")
    c = paper("Generative adversarial nets", "Goodfellow, Ian", extra="DOI: 10.1000/GAN")
    d = paper("Something else entirely", "Other, Person")
    groups = find_duplicate_groups([a, d, b, c])
    assert len(groups) == 1
    assert groups[0].items == (a, b, c)
    assert groups[0].positions == (0, 2, 3)
    assert groups[0].reason


def test_related_pair_keeps_groups_apart() -> None:
    conf = paper("Boosting the margin", *SMITH_JONES, year="1997",
                 item_type="conferencePaper", proceedingsTitle="Proceedings of ICML")
    conf_copy = paper("Boosting the margin", *SMITH_JONES, year="1997",
                      item_type="conferencePaper", proceedingsTitle="Proc. ICML")
    journal = paper("Boosting the margin", *SMITH_JONES, year="1997",
                    publicationTitle="Annals of Statistics")
    untyped = paper("Boosting the margin", *SMITH_JONES, year="1997", item_type="document")
    records = [conf, conf_copy, journal, untyped]
    # the untyped record fits both versions, but must not chain them into one set
    assert [g.positions for g in find_duplicate_groups(records)] == [(0, 1, 3)]
    works = find_duplicate_groups(records, versions=True)
    assert [g.positions for g in works] == [(0, 1, 2, 3)]


def test_recurring_column_title_needs_exact_year() -> None:
    columns = [paper("Book review column", "Aberer, Karl", year=str(y),
                     publicationTitle="SIGMOD Record") for y in (2001, 2002, 2003)]
    assert find_duplicate_groups(columns) == []
    found = MatchIndex(columns).find(paper("Book Review Column", "Aberer, K.", year="2002"))
    assert [ref for ref, d in found if d.kind == "duplicate"] == [columns[1]]


def test_stricter_threshold_turns_weak_matches_away() -> None:
    a = paper("Graph neural networks: a review", "Smith, Anna")
    b = paper("Graph neural networks", "Smith, Anna", year="2021")
    assert compare(a, b).kind == "duplicate"
    assert compare(a, b, MatchSettings(duplicate_threshold=0.99999)).kind == "distinct"


def test_article_noting_its_arxiv_id_is_related_to_the_preprint() -> None:
    preprint = paper("Attention is all you need", *SMITH_JONES, item_type="preprint",
                     archiveID="arXiv:1706.03762")
    article = paper("Attention is all you need", *SMITH_JONES,
                    extra="arXiv: 1706.03762v5", DOI="10.5555/3295222.3295349")
    decision = compare(article, preprint)
    assert (decision.kind, decision.reason) == (
        "related", "same arXiv id: preprint and published version")


def test_a_record_without_doi_cannot_chain_two_different_dois() -> None:
    first = paper("Neural machine translation", *SMITH_JONES, DOI="10.1000/nmt.1")
    second = paper("Neural machine translation", *SMITH_JONES, DOI="10.1000/nmt.2")
    loose = paper("Neural Machine Translation", *SMITH_JONES)
    groups = find_duplicate_groups([first, second, loose])
    assert [g.positions for g in groups] == [(0, 2)]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Inference of finite automata using homing sequences (extended abstract)",
         "Inference of finite automata using homing sequences"),
        ("Tutorial: Designing an ultra highly available DBMS",
         "Designing an ultra highly available DBMS (tutorial session)"),
        ("Transactional information systems for the web - Book review",
         "Transactional information systems for the web"),
    ],
    ids=["parenthetical", "tutorial-prefix-vs-note", "book-review-suffix"],
)
def test_venue_notes_on_the_kind_of_contribution_are_ignored(first: str, second: str) -> None:
    decision = compare(paper(first, *SMITH_JONES), paper(second, *SMITH_JONES))
    assert decision.kind == "duplicate"
    assert "without notes" in decision.reason


def test_same_title_and_authors_years_apart_is_another_work() -> None:
    first = paper("Pattern recognition and machine learning", "Bishop, Christopher",
                  year="2006", item_type="book")
    later = paper("Pattern recognition and machine learning", "Bishop, C. M.",
                  year="2012", item_type="book")
    decision = compare(first, later)
    assert decision.kind == "distinct"
    assert "years 2006/2012" in decision.reason


def test_copies_already_in_the_library_do_not_hide_a_third() -> None:
    online_first = paper("Sparse coding of natural images", "Olshausen, Bruno", year="1996")
    in_print = paper("Sparse Coding of Natural Images", "Olshausen, B.", year="1997")
    found = MatchIndex([online_first, in_print]).find(
        paper("Sparse coding of natural images.", "Olshausen, Bruno A.", year="1997"))
    assert [d.kind for _, d in found] == ["duplicate", "duplicate"]


def test_a_doi_in_the_url_does_not_override_the_doi_fields() -> None:
    # two chapters of one book: their URLs hold the book's DOI, their DOI fields their own
    book_url = "https://doi.org/10.1371/journal.pone.1"
    a = paper("Chapter one", *SMITH_JONES, item_type="bookSection", DOI="10.5555/a", url=book_url)
    b = paper("Chapter two", *SMITH_JONES, item_type="bookSection", DOI="10.5555/b", url=book_url)
    decision = compare(a, b)
    assert decision.kind == "distinct"
    assert decision.reason == "different DOIs"
    # the same title does not overcome conflicting DOI fields either
    c = paper("Chapter one", *SMITH_JONES, item_type="bookSection", DOI="10.5555/c", url=book_url)
    assert compare(a, c).kind == "distinct"


def test_citation_text_leaked_into_a_title_is_cut_when_names_year_or_venue_explain_it() -> None:
    proceedings = "Machine Learning: Proceedings of the Thirteenth International Conference"
    leaked = paper("Schapire (1996). Experiments with a new boosting algorithm", "Freund, Y.",
                   year="", item_type="conferencePaper", proceedingsTitle=proceedings)
    clean = paper("Experiments with a new boosting algorithm", "Freund, Yoav",
                  "Schapire, Robert E.", year="1996", item_type="conferencePaper",
                  proceedingsTitle=proceedings)
    decision = compare(leaked, clean)
    assert decision.kind == "duplicate"
    assert "without citation text" in decision.reason
    # the other record's journal leaked at the end
    venue = compare(paper("The strength of weak learnability machine learning", "Schapire, R."),
                    paper("The strength of weak learnability", "Schapire, Robert E.",
                          publicationTitle="Machine Learning"))
    assert venue.kind == "duplicate"


@pytest.mark.parametrize("longer", [
    "Deep learning for computer vision in medical imaging",  # a topic, not a citation
    "Deep learning for computer vision 2020 in medical imaging",  # a year alone does not excuse it
])
def test_a_longer_title_that_adds_a_topic_is_another_work(longer: str) -> None:
    assert compare(paper("Deep learning for computer vision", "Smith, Anna"),
                   paper(longer, "Smith, Anna")).kind == "distinct"


def test_a_whole_byline_of_three_agreeing_is_stronger_than_one_name() -> None:
    three = ("Jeusfeld, Manfred A.", "Schoop, Mareike", "Quix, Christoph")
    short = "Business data management for B2B electronic commerce"
    long = "Business data management for business-to-business electronic commerce"
    journal = {"publicationTitle": "SIGMOD Record"}
    assert compare(paper(short, *three, **journal), paper(long, *three[::-1], **journal)).kind \
        == "duplicate"
    assert compare(paper(short, three[0], **journal), paper(long, three[0], **journal)).kind \
        == "distinct"


def test_a_doi_only_in_urls_proves_nothing_when_the_titles_differ() -> None:
    # two chapters with no DOI field; their URLs carry the DOI of the book they are in
    book_url = "https://doi.org/10.1007/978-3-030-00001-1"
    first = paper("Convolutional networks for images", "Smith, Anna", item_type="bookSection",
                  url=book_url)
    second = paper("Recurrent networks for speech", "Jones, Bo", item_type="bookSection",
                   url=book_url)
    assert compare(first, second).kind == "distinct"
    # the same title and a DOI in the URL: the DOI is the record's own
    again = paper("Convolutional networks for images", "Smith, A.", item_type="bookSection",
                  extra=f"DOI: {book_url[16:]}")
    assert compare(first, again).reason == "same DOI"


def test_a_middle_name_used_as_first_name_is_the_same_person() -> None:
    decision = compare(paper("Chemistry of the elements", "Oppenheimer, J. Robert"),
                       paper("Chemistry of the elements", "Oppenheimer, Robert"))
    assert decision.kind == "duplicate"
    assert "1/1 authors" in decision.reason
    assert "last name only" not in decision.reason


def test_a_last_name_with_other_initials_counts_half() -> None:
    sigmod = {"proceedingsTitle": "SIGMOD Conference"}
    nickname = compare(
        paper("Informix online XPS", "Gerber, Robert H.", year="1995", **sigmod),
        paper("Informix Online XPS", "Gerber, Bob", year="1995", **sigmod))
    assert nickname.kind == "duplicate"
    assert "0/1 authors (+1 last name only)" in nickname.reason
    # half of one shared name out of three does not carry a reworded title
    group = compare(paper("Adaptive query processing in streams", "Gerber, Robert",
                          "Lee, Ann", "Ito, Ken"),
                    paper("Adaptive query processing for streams", "Gerber, Bob",
                          "Moss, Tim", "Chan, Wei"))
    assert group.kind == "distinct"


def test_a_title_cut_short_in_the_same_journal_matches() -> None:
    record = {"publicationTitle": "SIGMOD Record", "year": "1994"}
    short = paper("Observations on the ODMG-93 proposal", "Kim, Won", **record)
    full = paper("Observations on the ODMG-93 proposal for an object-oriented database language",
                 "Kim, Won", **record)
    decision = compare(short, full)
    assert decision.kind == "duplicate"
    assert "cut short" in decision.reason
    # at the end, the longer title names another work: the demo of a system, not the paper
    demo = compare(paper("Watermarking relational databases", "Agrawal, Rakesh", **record),
                   paper("A system for watermarking relational databases", "Agrawal, Rakesh",
                         **record))
    assert demo.kind == "distinct"


def test_a_book_review_may_carry_the_book_authors() -> None:
    record = {"publicationTitle": "SIGMOD Record", "year": "2002"}
    review = paper("What Will Be - Book Review", "Grefen, Paul", **record)
    as_filed = paper("What will be", "Dertouzos, Michael", **record)
    decision = compare(review, as_filed)
    assert decision.kind == "duplicate"
    assert "a review: may name the book's authors" in decision.reason
    # without the word "review", other authors are other authors
    assert compare(paper("What will be", "Grefen, Paul", **record), as_filed).kind == "distinct"


def test_issues_of_a_column_that_share_author_and_year_are_not_guessed() -> None:
    issues = [paper("Book review column", "Aberer, Karl", year=str(y),
                    publicationTitle="SIGMOD Record") for y in (2002, 2002, 2002, 2003)]
    found = MatchIndex(issues).find(paper("Book Review Column", "Aberer, K.", year="2002"))
    assert [d.kind for _, d in found] == []
    decision = compare(issues[0], issues[1])  # alone, a pair of copies is still a duplicate
    assert decision.kind == "duplicate"


def test_a_column_is_recognised_from_the_issues_being_imported() -> None:
    library = [paper("Treasurer's message", "Hammer, Joachim", year="2002")]
    batch = [paper("Treasurer's Message", "Hammer, Joachim", year=str(year))
             for year in range(2000, 2004)]
    index = MatchIndex(library, batch=batch)
    found = [[d.kind for _, d in index.find(c) if d.kind == "duplicate"] for c in batch]
    assert found == [[], [], ["duplicate"], []]
    # looked up alone, the 2001 issue is taken for the online-first form of the 2002 one
    assert MatchIndex(library).find(batch[1])[0][1].kind == "duplicate"


def test_a_byline_in_another_order_is_found_despite_a_split_word() -> None:
    # "semi-structured" / "semistructured" leaves no rare title words in common to block on
    stored = paper("Constraints for semistructured data and XML", "Buneman, Peter",
                   "Fan, Wenfei", year="2001")
    others = [paper(f"{topic} {n}", "Smith, Anna") for n in range(3)
              for topic in ("XML data and constraints", "Semi-supervised learning",
                            "Structured prediction")]
    found = MatchIndex([stored, *others]).find(paper(
        "Constraints for Semi-structured Data and XML", "Fan, Wenfei", "Buneman, Peter",
        year="2001"))
    assert [(ref, d.kind) for ref, d in found] == [(stored, "duplicate")]


def test_tutorial_on_before_a_title_is_a_note() -> None:
    decision = compare(paper("Storage technology: RAID and beyond", "Gibson, Garth A."),
                       paper("Tutorial on storage technology: RAID and beyond", "Gibson, Garth"))
    assert decision.kind == "duplicate"
    assert "without notes" in decision.reason


def test_a_candidate_fitting_two_numbered_parts_is_neither() -> None:
    title = "Database tuning: principles, experiments, and troubleshooting techniques"
    parts = [paper(f"{title} (part {n})", "Shasha, Dennis", "Bonnet, Philippe")
             for n in ("I", "II")]
    assert MatchIndex(parts).find(paper(title, "Bonnet, Philippe", "Shasha, Dennis")) == []
    # with one part in the library, the unnumbered record is taken for it
    found = MatchIndex(parts[:1]).find(paper(title, "Bonnet, Philippe", "Shasha, Dennis"))
    assert [d.kind for _, d in found] == ["duplicate"]
    # a numbered candidate still finds its own part
    found = MatchIndex(parts).find(paper(f"{title} (Part II)", "Shasha, D."))
    assert [ref for ref, d in found if d.kind == "duplicate"] == [parts[1]]


def test_a_doi_held_by_thousands_of_records_is_still_found_and_grouped() -> None:
    # a group library where every member saved the same paper: every blocking key of it is
    # shared by more records than max_block, so only an uncapped identifier index finds it
    doi = "10.5555/everywhere"
    library = [paper("Deep learning for everyone", "Smith, Anna", year="2001", DOI=doi)
               for _ in range(2101)]
    index = MatchIndex(library, MatchSettings(max_block=2000, max_name_block=2000))
    found = index.find(paper("Deep Learning for Everyone", "Smith, A.", year="2001", DOI=doi))
    assert len(found) == 2101 and {d.reason for _, d in found} == {"same DOI"}
    groups = find_duplicate_groups(library, MatchSettings(max_block=2000, max_name_block=2000))
    assert [len(group.items) for group in groups] == [2101]
