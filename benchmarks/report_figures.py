"""How long a run's report takes to draw: each figure, built and encoded as the report does it.

Run from the project root::

    python benchmarks/report_figures.py                 # the 20,000-account baseline, seed 1
    python benchmarks/report_figures.py --repeat 5

Simulates the baseline once into a temporary folder (not timed), then rebuilds its report
``--repeat`` times and prints, per figure, the CPU time to build it and to encode it as PNG (the
median over repeats; CPU time, because a shared machine's wall clock says more about its other
jobs), and the wall time of the whole ``build_report``. The target is 2 s for all figures.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.toml")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import pandas as pd

    import collectsim as cs
    from collectsim import plots, readback
    from collectsim.report import _scenario, _teams, build_report
    from collectsim.store import write_run

    with tempfile.TemporaryDirectory() as tmp:
        sc = cs.load_scenario(args.scenario)
        folder = write_run(cs.simulate(sc, seed=1), sc, tmp, manifest={})
        kpis = readback.kpis_json(folder / "kpis.json")
        daily, costs = readback.csv(folder / "daily.csv"), readback.csv(folder / "costs.csv")
        teams, accounts = _teams(folder), readback.accounts(folder / "accounts.parquet")
        sc, cur = _scenario(folder / "scenario.toml"), sc.currency
        days = sc.horizon.days
        figures = {
            "liquidation": lambda: plots.liquidation_curves(pd.DataFrame([kpis]), group=None),
            "waterfall": lambda: plots.money_waterfall(kpis, costs, cur),
            "roll_rates": lambda: plots.roll_rate_matrix(accounts, days),
            "daily": lambda: plots.daily_overview(daily, cur),
            "teams": lambda: plots.team_load(daily, teams),
            "journeys": lambda: plots.account_journeys(accounts, days),
        }
        figures["liquidation"]().savefig(io.BytesIO(), format="png", dpi=110)  # font cache, first-figure costs
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in figures}
        whole = []
        for _ in range(args.repeat):
            for name, make in figures.items():
                t0 = time.process_time()
                fig = make()
                t1 = time.process_time()
                fig.savefig(io.BytesIO(), format="png", dpi=110)
                times[name].append((t1 - t0, time.process_time() - t1))
            t0 = time.perf_counter()
            build_report(folder)
            whole.append(time.perf_counter() - t0)
        total = 0.0
        print(f"{'figure':<12}{'build s':>9}{'PNG s':>9}   (CPU, median of {args.repeat})")
        for name, runs in times.items():
            build, png = (statistics.median(x) for x in zip(*runs, strict=True))
            total += build + png
            print(f"{name:<12}{build:>9.3f}{png:>9.3f}")
        print(f"{'all figures':<12}{total:>18.3f}")
        print(f"build_report, wall clock (tables, figures, page): {statistics.median(whole):.3f} s")


if __name__ == "__main__":
    main()
