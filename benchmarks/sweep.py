"""Parallel speed-up benchmark for ``collectsim.experiments.sweep``.

Run from the project root::

    python benchmarks/sweep.py                      # 40 runs of 30,000 accounts, all executors
    python benchmarks/sweep.py --runs 40 --accounts 30000 --seed 1
    python benchmarks/sweep.py --skip-dask          # without the optional Dask extra

One sweep of ``--runs`` jobs (a grid over ``teams.late_callers.headcount`` with
levels 4, 8, 12, 16 × runs/4 replications of ``scenarios/baseline.toml``) is run
through the public API on three executors::

    base = cs.load_scenario("scenarios/baseline.toml", {"population.accounts": N})
    res = sweep(base, design, runs // 4, seed=seed, executor=ex)

(a) ``SequentialExecutor()`` (1 worker), (b) ``ProcessExecutor(2)`` (wall time
includes starting the pool), (c) ``DaskExecutor("local", 2)`` (wall time includes
starting the cluster; the sweep call alone is also shown).

Printed: the mean single-run time (sequential wall / runs), then per executor the
wall time and speed-up against 1 worker; then ``tables identical: yes/no``
(``pandas.testing.assert_frame_equal(check_exact=True)`` of every table against
the sequential one). The speed-up target itself (2 workers ≥ 1.8× one for
1-second runs) is judged by ``benchmarks/targets.py``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from collectsim.experiments.executors import Executor
    from collectsim.scenario import Scenario

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"
PARAMETER = "teams.late_callers.headcount"
LEVELS = (4, 8, 12, 16)


def timed_sweep(base: Scenario, runs: int, seed: int, executor: Executor) -> tuple[pd.DataFrame, float]:
    """Run the sweep on ``executor``; return its table and the wall time of the call."""
    from collectsim.experiments import sweep
    from collectsim.experiments.design import Parameter, grid

    design = grid([Parameter(PARAMETER, levels=LEVELS)])
    t0 = time.perf_counter()
    res = sweep(base, design, runs // len(LEVELS), seed=seed, executor=executor)
    return res.table, time.perf_counter() - t0


def identical(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Whether two result tables are exactly equal (values, dtypes, index, column order)."""
    try:
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    except AssertionError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--runs", type=int, default=40, help=f"jobs, a multiple of {len(LEVELS)} (default: %(default)s)")
    ap.add_argument("--accounts", type=int, default=30_000, help="accounts per run (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-dask", action="store_true", help="do not run the Dask executor")
    args = ap.parse_args(argv)
    if args.runs < len(LEVELS) or args.runs % len(LEVELS):
        ap.error(f"--runs must be a positive multiple of {len(LEVELS)}")

    import collectsim as cs
    from collectsim.experiments.executors import DaskExecutor, ProcessExecutor, SequentialExecutor

    base = cs.load_scenario(SCENARIO, {"population.accounts": args.accounts})
    cs.simulate(cs.load_scenario(SCENARIO, {"population.accounts": 1_000}), seed=0)  # warm-up: imports

    print(f"sweep: {args.runs} runs x {args.accounts:,} accounts ({PARAMETER} in {LEVELS}), seed {args.seed}")
    tables: dict[str, pd.DataFrame] = {}
    with SequentialExecutor() as ex:
        tables["sequential"], seq = timed_sweep(base, args.runs, args.seed, ex)
    mean_run = seq / args.runs
    print(f"mean single-run time: {mean_run:.2f} s")
    print(f"{'executor':<34} {'wall s':>8} {'speed-up':>9}")
    print(f"{'sequential (1 worker)':<34} {seq:>8.2f} {1.0:>8.2f}x")

    with ProcessExecutor(2) as ex:
        tables["process"], proc = timed_sweep(base, args.runs, args.seed, ex)
    print(f"{'process pool (2, incl. start)':<34} {proc:>8.2f} {seq / proc:>8.2f}x")

    if not args.skip_dask:
        t0 = time.perf_counter()
        dex = DaskExecutor("local", 2)
        start = time.perf_counter() - t0
        with dex:
            tables["dask"], dask_sweep = timed_sweep(base, args.runs, args.seed, dex)
        total = start + dask_sweep
        print(f"{'dask local (2, incl. start)':<34} {total:>8.2f} {seq / total:>8.2f}x")
        print(f"{'dask local (2, sweep call only)':<34} {dask_sweep:>8.2f} {seq / dask_sweep:>8.2f}x")
        print(f"  (cluster start: {start:.2f} s)")

    same = all(identical(tables["sequential"], t) for t in tables.values())
    print(f"tables identical: {'yes' if same else 'no'} ({', '.join(tables)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
