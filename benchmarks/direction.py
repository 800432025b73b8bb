"""Is treatment, and a better risk score, worth money on a preset? Paired seeds.

Run from the project root::

    python benchmarks/direction.py                                  # cn_consumer_loan, 5,000 accounts, seeds 1-3
    python benchmarks/direction.py --scenario scenarios/us_card.toml --balance-scale 2

Runs the preset's ladder, no treatment (an empty ladder, with and without paying the
teams), and the ``[policy]`` of scenarios/risk_based.toml at score AUCs 0.5, 0.75 and 0.95,
all on the same seeds. The risk-based policy's balance floors are multiplied by
``--balance-scale`` (default 6.67: USD baseline balances to the CN preset's CNY),
rounded to thousands.
docs/calibration.md ("What treatment and a risk score are worth") reports the result.
"""

from __future__ import annotations

import argparse
import statistics
import tomllib
from pathlib import Path

import collectsim as cs

ROOT = Path(__file__).resolve().parent.parent
KPIS = (
    "collected",
    "recovery_rate",
    "recovery_rate_with_terminal",
    "npv",
    "net_recovery",
    "total_cost",
    "cost_team",
    "cost_per_unit_collected",
)


def variants(sc: cs.Scenario, balance_scale: float, aucs: tuple[float, ...]) -> list[tuple[str, dict]]:
    """(label, overrides) of every variant compared."""
    policy = tomllib.loads((ROOT / "scenarios" / "risk_based.toml").read_text())["policy"]
    for ladder in policy["ladders"].values():
        for stage in ladder["stages"]:
            for action in stage["actions"]:
                if "balance_min" in action:
                    action["balance_min"] = round(action["balance_min"] * balance_scale, -3)
    none = {"policy.ladders": {"none": {"stages": []}}}
    no_teams = {f"teams.{t}.headcount": 0 for t in sc.teams}
    return [
        ("untreated, no teams", none | no_teams),
        ("untreated, teams paid", none),
        ("ladder", {}),
        *((f"risk_based auc={a}", {"policy": policy, "score.auc": a}) for a in aucs),
    ]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "cn_consumer_loan.toml")
    p.add_argument("--accounts", type=int, default=None, help="default: the scenario's own")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--balance-scale", type=float, default=6.67)
    args = p.parse_args()
    sc = cs.load_scenario(args.scenario, {"population.accounts": args.accounts} if args.accounts else None)
    seeds = range(1, args.seeds + 1)
    print(f"{sc.name}: {sc.population.accounts:,} accounts, seeds {seeds.start}–{seeds.stop - 1} (paired)")
    print(f"{'variant':<24}" + "".join(f"{k:>30}" for k in KPIS) + "   npv by seed")
    for label, overrides in variants(sc, args.balance_scale, (0.5, 0.75, 0.95)):
        runs = [cs.simulate(cs.with_overrides(sc, overrides), s).kpis for s in seeds]
        cells = []
        for k in KPIS:
            v = [r[k] for r in runs]
            sd = statistics.stdev(v) if len(v) > 1 else 0.0
            cells.append(f"{statistics.fmean(v):>18.5g} ± {sd:<9.2g}")
        print(f"{label:<24}" + "".join(cells) + "   " + " ".join(f"{r['npv']:.0f}" for r in runs), flush=True)


if __name__ == "__main__":
    main()
