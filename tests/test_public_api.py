"""The public API is what ``refsync.__all__`` says, no more and no less, and the README's
"As a library" example runs as written."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest
from fakes.crossref import WORKS_DIR, FakeCrossref

import refsync
from refsync import errors

ROOT = Path(__file__).parent.parent


def test_all_lists_exactly_the_public_names_sorted() -> None:
    assert refsync.__all__ == sorted(refsync.__all__)
    for name in refsync.__all__:  # each is imported on first use
        assert getattr(refsync, name) is not None, name
    public = {name for name, value in vars(refsync).items()
              if not name.startswith("_") and not isinstance(value, types.ModuleType)}
    assert set(refsync.__all__) == public | {"__version__"}
    with pytest.raises(AttributeError, match="no attribute 'Mirror'"):
        getattr(refsync, "Mirror")  # noqa: B009 - an adapter is not public


def test_importing_the_package_loads_none_of_its_dependencies() -> None:
    code = ("import sys, refsync; heavy = {'platformdirs', 'pluggy', 'click', 'pyzotero', "
            "'habanero', 'bibtexparser'} & set(sys.modules); print(sorted(heavy))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def test_every_error_a_caller_can_catch_is_exported() -> None:
    raised = {name for name, value in vars(errors).items()
              if isinstance(value, type) and issubclass(value, Exception)}
    assert raised <= set(refsync.__all__)


def test_the_readmes_library_example_runs_as_written(crossref: FakeCrossref,
                                                     tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    [code] = re.findall(r"## As a library\n\n```python\n(.*?)```", readme, re.DOTALL)
    work = json.loads(next(WORKS_DIR.glob("*.json")).read_text())["message"]
    crossref.add_work({**work, "DOI": "10.1038/nrc3239"})
    paper = shutil.copytree(ROOT / "examples" / "neuro-immune", tmp_path / "paper")
    env = {**os.environ, "REFSYNC_CROSSREF_URL": crossref.url,
           "REFSYNC_CACHE_DIR": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-c", code], cwd=paper, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("@")  # the resolved work, rendered
    assert "+++ " in out.stdout  # the planned file's diff
    assert (paper / "references.bib").read_text().count("\n@") >= 5
    assert (paper / "refsync.lock").is_file()
