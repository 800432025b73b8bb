"""Uplift targeting and the CGW frontier policy against shipped ladders, paired seeds (README "Uplift targeting").

Run from the project root::

    python examples/uplift_compare.py                       # 5,000 accounts, 10 paired replications
    python examples/uplift_compare.py --accounts 20000 -n 10
    python examples/uplift_compare.py --cgw                 # also: CGW frontier vs an SMS ladder at equal SMS spend

Every policy runs on the same seeds (common random numbers), so differences are paired; intervals are 95%
Student-t over replications, as ``collectsim compare`` prints them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import collectsim as cs
from collectsim.experiments.stats import mean_ci, paired_difference
from collectsim.policy.cgw import CGWPolicy, UpliftPolicy

ROOT = Path(__file__).resolve().parent.parent
KPIS = (
    "recovery_rate",
    "recovery_rate_with_terminal",
    "net_recovery",
    "npv",
    "total_cost",
    "cost_channel",
    "cost_per_unit_collected",
    "cure_rate_dpd30",
    "complaints_per_1000",
)


def runs(label_runs: dict[str, tuple[cs.Scenario, object]], n: int) -> dict[str, dict[str, np.ndarray]]:
    out: dict[str, dict[str, list[float]]] = {k: {m: [] for m in KPIS} for k in label_runs}
    for seed in range(1, n + 1):
        for label, (sc, make) in label_runs.items():
            k = cs.simulate(sc, seed, policy=make() if make else None).kpis
            for m in KPIS:
                out[label][m].append(float(k.get(m, np.nan)))
    return {k: {m: np.array(v) for m, v in d.items()} for k, d in out.items()}


def table(res: dict[str, dict[str, np.ndarray]], champion: str) -> None:
    names = [k for k in res if k != champion]
    print(f"| KPI | {champion} | " + " | ".join(f"Δ {k}" for k in names) + " |")
    print("|---|---|" + "---|" * len(names))
    for m in KPIS:
        mean, half = mean_ci(res[champion][m])
        cells = []
        for k in names:
            d = paired_difference(res[k][m], res[champion][m], m)
            cells.append(f"{d['diff']:+,.4g} ±{d['diff_half_width']:,.2g} (P better {d['p_better']:.2f})")
        print(f"| {m} | {mean:,.4g} ±{half:,.2g} | " + " | ".join(cells) + " |")


def sms_only(sc: cs.Scenario, every: int) -> cs.Scenario:
    raw = sc.model_dump(mode="json", exclude_none=True)
    stage = {"name": "all", "from_dpd": 1, "to_dpd": 179, "actions": [{"channel": "sms", "every_days": every}]}
    raw["policy"]["ladders"] = {"sms": {"stages": [stage]}}
    return cs.scenario.scenario_from_dict(raw)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=5000)
    ap.add_argument("-n", type=int, default=10)
    ap.add_argument("--cgw", action="store_true")
    ap.add_argument("--sms-every", type=int, default=7)
    args = ap.parse_args()
    over = {"population.accounts": args.accounts}
    if args.cgw:
        sc = sms_only(cs.load_scenario(ROOT / "scenarios" / "baseline.toml", overrides=over), args.sms_every)
        spend = cs.simulate(sc, 1).kpis["cost_channel"]
        lo, hi = 0.01, 100.0
        for _ in range(14):  # bisection on the shadow cost (log scale) until seed 1's SMS spend matches the ladder's
            mid = float(np.sqrt(lo * hi))
            got = cs.simulate(sc, 1, policy=CGWPolicy("sms", shadow=mid)).kpis["cost_channel"]
            lo, hi = (mid, hi) if got > spend else (lo, mid)
        shadow = float(np.sqrt(lo * hi))
        print(f"SMS every {args.sms_every} days: spend {spend:,.2f} on seed 1; CGW shadow cost × {shadow:.3g}")
        res = runs({"sms_ladder": (sc, None), "cgw_sms": (sc, lambda: CGWPolicy("sms", shadow=shadow))}, args.n)
        table(res, "sms_ladder")
        return
    base = cs.load_scenario(ROOT / "scenarios" / "baseline.toml", overrides=over)
    risk = cs.load_scenario(ROOT / "scenarios" / "risk_based.toml", overrides=over)
    res = runs({"baseline": (base, None), "risk_based": (risk, None), "uplift": (risk, UpliftPolicy)}, args.n)
    print(f"{args.accounts:,} accounts, {args.n} paired replications; uplift runs on risk_based's teams")
    table(res, "baseline")


if __name__ == "__main__":
    main()
