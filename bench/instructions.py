"""Machine instructions (callgrind) of the render bench's stages, side by side with another
checkout: unlike CPU seconds, instruction counts do not drift with the machine's load.

Run from the repository root: ``.venv/bin/python bench/instructions.py --against ../old``
(``git worktree add ../old REV`` makes such a checkout). Each stage runs as
``render_bench.py --child STAGE`` under ``valgrind --tool=callgrind``, in the checkout's own
code (its folder first on ``PYTHONPATH``); a run that only builds the bench items (and their
keys, for the stages that start from keys) is subtracted, so the figure is the stage's own.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: stage → whether it starts from keys already assigned (render_bench.STAGES says the same)
STAGES = {"pull": False, "keys": False, "bibtex": True}
BASELINE = ("import sys; sys.path[:0] = [{bench!r}, {tests!r}]; import render_bench as rb; "
            "view = rb.snapshot({n}, {seed}); refs = view.items(); "
            "keyed = rb._keyed(refs) if {keys} else None")


def instructions(tree: Path, args: list[str]) -> int:
    """Instructions callgrind counts for ``python ARGS`` with ``tree``'s code."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        env = {**os.environ, "PYTHONPATH": str(tree)}
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                        sys.executable, *args], cwd=tree, env=env, check=True,
                       capture_output=True)
        found = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE)
        assert found, "callgrind wrote no total"
        return int(found.group(1))


def stage_counts(tree: Path, n: int, seed: int) -> dict[str, int]:
    """Each stage's own instructions in ``tree``."""
    bench, tests = str(tree / "bench"), str(tree / "tests")
    base = {keys: instructions(tree, ["-c", BASELINE.format(bench=bench, tests=tests, n=n,
                                                            seed=seed, keys=keys)])
            for keys in (False, True)}
    counts = {}
    for stage, keys in STAGES.items():
        with tempfile.TemporaryDirectory() as folder:
            total = instructions(tree, [str(tree / "bench" / "render_bench.py"), "--child",
                                        stage, "-n", str(n), "--seed", str(seed),
                                        "--folder", folder])
        counts[stage] = total - base[keys]
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5_000, help="bench items (valgrind is slow)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--against", type=Path, help="another checkout, shown first")
    args = parser.parse_args()
    trees = [t.resolve() for t in (args.against, ROOT) if t is not None]
    columns = [stage_counts(tree, args.n, args.seed) for tree in trees]
    print(f"instructions per stage, {args.n} bench items, minus building them")
    print(f"{'stage':<8}" + "".join(f"{tree.name:>16}" for tree in trees)
          + ("    change" if len(trees) == 2 else ""))
    for stage in STAGES:
        row = [c[stage] for c in columns]
        change = f"{(row[1] - row[0]) / row[0]:+9.1%}" if len(row) == 2 else ""
        print(f"{stage:<8}" + "".join(f"{v / 1e6:>15,.0f}M" for v in row) + change)


if __name__ == "__main__":
    main()
