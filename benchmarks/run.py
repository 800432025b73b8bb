"""Scaling benchmark for ``collectsim.simulate``.

Run from the project root::

    python benchmarks/run.py                                   # all sizes
    python benchmarks/run.py --sizes 1000,10000,100000         # a subset
    python benchmarks/run.py --scenario scenarios/baseline.toml --seed 1

Each population size is simulated over 180 days in a fresh subprocess (so peak
memory is per size) through the public API::

    sc = cs.load_scenario(path, overrides={"population.accounts": N, "horizon.days": 180})
    r = cs.simulate(sc, seed=seed)

Printed: a table with, per size, the wall time of ``simulate``, account-days per
second (N*180/wall), SimPy events per second (``r.meta["simpy_events"]``/wall) and
the peak resident set size of the worker process in MB; then the performance
targets (100,000 accounts in <= 10 s and <= 1 GB; 1,000,000 accounts in <= 120 s
and <= 6 GB) with PASS/FAIL for each size that was run; then, when two or more
sizes were run, a linearity check: wall(largest)/wall(second largest) against the
size ratio. A size whose worker fails is reported with its error tail.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

DAYS = 180
DEFAULT_SIZES = (1_000, 10_000, 100_000, 1_000_000)
DEFAULT_SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"
# size → (max wall seconds, max peak MB)
TARGETS: dict[int, tuple[float, float]] = {100_000: (10.0, 1024.0), 1_000_000: (120.0, 6144.0)}


def run_one(n: int, scenario: str, seed: int) -> dict[str, Any]:
    """Simulate ``n`` accounts in this process and return the measurements."""
    import collectsim as cs

    sc = cs.load_scenario(scenario, overrides={"population.accounts": n, "horizon.days": DAYS})
    t0 = time.perf_counter()
    r = cs.simulate(sc, seed=seed)
    wall = time.perf_counter() - t0
    events = int(r.meta["simpy_events"])
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {
        "size": n,
        "wall_s": wall,
        "account_days_per_s": n * DAYS / wall,
        "simpy_events": events,
        "events_per_s": events / wall,
        "peak_mb": peak_mb,
    }


def spawn(n: int, scenario: str, seed: int) -> dict[str, Any] | str:
    """Run one size in a fresh interpreter; return its measurements or an error text."""
    cmd = [sys.executable, __file__, "--one", str(n), "--scenario", scenario, "--seed", str(seed)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        return f"exit code {proc.returncode}\n{tail}"
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def report(rows: list[dict[str, Any]]) -> None:
    """Print the results table, the targets and the linearity check."""
    print(f"{'size':>10} {'wall s':>9} {'account-days/s':>15} {'simpy events/s':>15} {'peak MB':>9}")
    for r in rows:
        print(
            f"{r['size']:>10,} {r['wall_s']:>9.2f} {r['account_days_per_s']:>15,.0f} "
            f"{r['events_per_s']:>15,.0f} {r['peak_mb']:>9.1f}"
        )
    by_size = {r["size"]: r for r in rows}
    print("\nTargets:")
    for n, (max_wall, max_mb) in TARGETS.items():
        r = by_size.get(n)
        if r is None:
            print(f"  {n:>10,} accounts: <= {max_wall:g} s, <= {max_mb / 1024:g} GB  (not run)")
            continue
        for label, value, limit, unit in (("wall", r["wall_s"], max_wall, "s"), ("peak", r["peak_mb"], max_mb, "MB")):
            verdict = "PASS" if value <= limit else "FAIL"
            print(f"  {n:>10,} accounts {label}: {value:9.1f} {unit} <= {limit:g} {unit}  {verdict}")
    if len(rows) >= 2:
        a, b = sorted(rows, key=lambda r: r["size"])[-2:]
        print(
            f"\nLinearity: wall({b['size']:,})/wall({a['size']:,}) = "
            f"{b['wall_s'] / a['wall_s']:.2f} vs size ratio {b['size'] / a['size']:.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument(
        "--sizes",
        default=",".join(map(str, DEFAULT_SIZES)),
        help="comma-separated account counts (default: %(default)s)",
    )
    ap.add_argument("--scenario", default=str(DEFAULT_SCENARIO))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # worker mode
    args = ap.parse_args(argv)

    if args.one is not None:
        print(json.dumps(run_one(args.one, args.scenario, args.seed)))
        return 0

    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    rows: list[dict[str, Any]] = []
    failed = False
    for n in sizes:
        print(f"running {n:,} accounts ...", file=sys.stderr, flush=True)
        out = spawn(n, args.scenario, args.seed)
        if isinstance(out, str):
            failed = True
            print(f"size {n:,} FAILED: {out}", file=sys.stderr)
        else:
            rows.append(out)
    if rows:
        report(rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
