"""Instructions a run executes, counted by valgrind: a noise-free figure for comparing two versions of the engine.

CPU time on a shared machine swings by ±20% between identical runs, which decides verdicts that sit near a
limit (``targets.py``'s rulebook ratios). The number of machine instructions a run executes does not swing
(0.1% between repeats): use it to tell whether a change made the engine do less work. It is not the time:
an instruction that misses the cache costs more than one that hits, so the time ratios stay the targets.

    python benchmarks/instructions.py --presets none,us_ma             # this checkout, 100k accounts
    python benchmarks/instructions.py --presets none,us_ma --src ../old  # another checkout, same figures

Each variant is a fresh interpreter under ``valgrind --tool=cachegrind --cache-sim=no`` (about 50× slower
than a plain run; two at a time on two cores). Imports and a warm-up run are counted once on their own and
taken off, so each figure is the run of ``scenarios/conduct_none.toml`` alone, with the preset in enforce
mode. Needs valgrind (Debian's ``valgrind`` package).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NoReturn

from collectsim.scenario.rulebooks import PRESETS

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import sys
import collectsim as cs
root, preset, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
cs.simulate(cs.load_scenario(root + "/scenarios/baseline.toml", {"population.accounts": 1000}), seed=1)
if n:
    over = {"population.accounts": n}
    if preset != "none":
        over |= {"conduct.presets": [preset], "conduct.mode": "enforce"}
    cs.simulate(cs.load_scenario(root + "/scenarios/conduct_none.toml", over), seed=1)
"""


def _fail(message: str) -> NoReturn:
    """One line on stderr, exit 2."""
    print(f"instructions: {message}", file=sys.stderr)
    sys.exit(2)


def count(src: Path, preset: str, accounts: int) -> int:
    """Instructions of one interpreter running CHILD (imports, warm-up and, with ``accounts``, the run)."""
    env = {**os.environ, "PYTHONPATH": str(src / "src"), "PYTHONHASHSEED": "0"}
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    cmd += [sys.executable, "-c", CHILD, str(src), preset, str(accounts)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        said = [line for line in out.stderr.splitlines() if line.strip() and not line.startswith("==")]
        _fail(f"the run of {preset!r} failed: {said[-1] if said else out.returncode}")
    found = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
    if found is None:
        _fail("valgrind printed no instruction count")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="none,us_ma", help="comma-separated: none and rulebook names")
    parser.add_argument("--accounts", type=int, default=100_000, help="accounts of each run (default 100,000)")
    parser.add_argument("--src", type=Path, default=ROOT, help="the checkout to measure (default this one)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        _fail("valgrind is not installed (Debian: apt install valgrind)")
    if not 1_000 <= args.accounts <= 1_000_000:
        _fail(f"--accounts must be between 1,000 and 1,000,000, not {args.accounts:,}")
    src = args.src.resolve()
    if not (src / "src" / "collectsim").is_dir():
        _fail(f"--src {src} is not a collectsim checkout (no src/collectsim)")
    presets = [p.strip() for p in args.presets.split(",") if p.strip()]
    # Checked against this checkout's rulebooks: a --src tree with other presets is measured only where they agree.
    unknown = [p for p in presets if p != "none" and p not in PRESETS]
    if unknown or not presets:
        given = f"not {', '.join(unknown)}" if unknown else "none given"
        _fail(f"--presets takes none and {', '.join(sorted(PRESETS))}; {given}")
    jobs = [("fixed", 0)] + [(p, args.accounts) for p in presets]
    with ThreadPoolExecutor(2) as pool:
        counts = list(pool.map(lambda job: count(src, job[0] if job[1] else "none", job[1]), jobs))
    fixed, runs = counts[0], dict(zip(presets, (c - counts[0] for c in counts[1:]), strict=True))
    print(f"{src}, {args.accounts:,} accounts: imports and warm-up {fixed / 1e9:.3f} G instructions, then")
    for p, c in runs.items():
        ratio = f"  {c / runs['none']:.4f}x none" if "none" in runs else ""
        print(f"  {p:<28} {c / 1e9:8.3f} G{ratio}")


if __name__ == "__main__":
    main()
