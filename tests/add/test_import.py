"""`refsync import FILE.bib`: parse, match against the library and the file, create what is new."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes.zotero import FakeZotero

COAUTHOR_BIB = r"""
@string{nrc = {Nature Reviews Cancer}}

@article{pardoll2012,
  author = {Pardoll, Drew M.},
  title = {The blockade of immune checkpoints in cancer immunotherapy},
  journal = nrc, year = 2012, volume = 12, pages = {252--264},
  doi = {10.1038/nrc3239}
}

@article{young1897,
  author = {Young, H. H.},
  title = {On the presence of nerves in tumors},
  journal = {J. Exp. Med.}, year = {1897}, volume = {2}, pages = {1--12}
}

@article{broken,
  author = {Nobody},
  title = {Missing a closing brace,
  year = {2020}

@article{pardoll-again,
  author = {D. M. Pardoll},
  title = {The Blockade of Immune Checkpoints in Cancer Immunotherapy},
  journal = {Nat Rev Cancer}, year = {2012}
}

@article{withedition,
  author = {Editor, E.},
  title = {An article that claims an edition},
  journal = {J}, year = {2001}, edition = {2}
}

@article{srep,
  title = {Single-molecule FRET studies},
  doi = {10.1038/srep16696}
}
"""


@pytest.fixture(autouse=True)
def coauthor_bib(tmp_path: Path) -> None:
    (tmp_path / "coauthor.bib").write_text(COAUTHOR_BIB)


def test_import_reports_every_entry_in_file_order_and_creates_only_new_works(
        run, zotero: FakeZotero) -> None:
    existing = zotero.add_item(title="The blockade of immune checkpoints in cancer immunotherapy",
                               DOI="10.1038/NRC3239", date="2012")
    result = run("import", "coauthor.bib", "--json")
    assert result.exit_code == 1  # one entry could not be read
    out = json.loads(result.stdout)
    assert [o["input"] for o in out] == ["pardoll2012", "young1897", "broken", "pardoll-again",
                                         "withedition", "srep"]
    assert [o["action"] for o in out] == ["existing", "created", "failed", "existing",
                                          "created", "created"]
    assert out[0]["key"] == existing and out[0]["reason"] == "same DOI"
    assert "coauthor.bib:17" in out[2]["reason"]
    assert out[3]["key"] == existing
    assert len(zotero.items) == 4
    edition = next(d for d in zotero.items.values() if d["title"].startswith("An article"))
    assert "edition" not in edition and "edition: 2" in edition["extra"]  # not valid there
    young = next(d for d in zotero.items.values() if d["title"].startswith("On the presence"))
    assert "Citation Key: young1897" in young.get("extra", "")
    again = json.loads(run("import", "coauthor.bib", "--json").stdout)
    assert [o["action"] for o in again] == ["existing", "existing", "failed", "existing",
                                            "existing", "existing"]
    assert len(zotero.items) == 4


def test_enrich_completes_entries_from_crossref(run, zotero: FakeZotero) -> None:
    result = run("import", "coauthor.bib", "--enrich")
    assert result.exit_code == 1
    srep = next(d for d in zotero.items.values() if d.get("DOI", "").lower() == "10.1038/srep16696")
    assert srep["title"] == "Single-molecule FRET studies"  # the file's own value wins
    assert srep["publicationTitle"] == "Scientific Reports"
    assert len(srep["creators"]) == 8


def test_dry_run_creates_nothing_and_keys_are_null(run, zotero: FakeZotero) -> None:
    out = json.loads(run("import", "coauthor.bib", "--dry-run", "--json").stdout)
    assert not zotero.items
    created = [o for o in out if o["action"] == "created"]
    assert created and all(o["key"] is None for o in created)
