"""Exact fingerprints of every shipped scenario, for checking that a speed-up changes no result.

Run from the project root before and after a change, then compare::

    python benchmarks/bit_identity.py > /tmp/before.txt
    # ... change the engine ...
    python benchmarks/bit_identity.py | diff /tmp/before.txt -

Each line is a scenario and a hash of its KPIs and of the bytes of every column of every table (accounts,
daily, teams, costs, events), at ``--accounts`` accounts with seed 7 and events recorded. Unlike the pinned
runs (``tests/test_pinned_runs.py``, which compare floats to 1e-9 so that pins hold across CPUs), this is bit
for bit: float summation order, draw order and dtypes all show. Compare outputs made on the same machine.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import collectsim as cs
from collectsim.scenario.rulebooks import PRESETS

ROOT = Path(__file__).resolve().parent.parent
TABLES = ("accounts", "daily", "teams", "costs", "events")


def column_bytes(col: pd.Series) -> bytes:
    """A column's exact content: category codes and labels, or the values' bytes (text as its repr)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.codes.to_numpy().tobytes() + repr(list(col.cat.categories)).encode()
    values = col.to_numpy()
    if values.dtype == object:
        return repr(values.tolist()).encode()
    return np.ascontiguousarray(values).tobytes()


def fingerprint(result: cs.RunResult) -> str:
    h = hashlib.sha256(repr(sorted(result.kpis.items())).encode())
    for name in TABLES:
        table = getattr(result, name)
        if table is None:
            continue
        h.update(name.encode() + repr(list(table.columns)).encode() + repr([str(t) for t in table.dtypes]).encode())
        for c in table.columns:
            h.update(column_bytes(table[c]))
    return h.hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=3000, help="accounts per scenario (default 3000)")
    args = parser.parse_args()
    if not 100 <= args.accounts <= 100_000:
        message = f"--accounts must be between 100 and 100,000, not {args.accounts:,}"
        print(f"bit_identity: error: {message}", file=sys.stderr)
        sys.exit(2)
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        sc = cs.load_scenario(path, overrides={"population.accounts": args.accounts})
        print(path.stem, fingerprint(cs.simulate(sc, seed=7, record_events=True)))
    # Every shipped rulebook, enforced and audited, on the scenario without rules (most are in no scenario).
    for preset in PRESETS:
        for mode in ("enforce", "audit"):
            over = {"population.accounts": args.accounts, "conduct.presets": [preset], "conduct.mode": mode}
            sc = cs.load_scenario(ROOT / "scenarios" / "conduct_none.toml", overrides=over)
            print(f"conduct_none+{preset}:{mode}", fingerprint(cs.simulate(sc, seed=7, record_events=True)))


if __name__ == "__main__":
    main()
