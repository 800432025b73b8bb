"""The four shipped policies on a card contract, and without it. Paired seeds.

Run from the project root::

    python benchmarks/contract_policies.py                      # 20,000 accounts × 180 days, 10 replications, seed 1
    python benchmarks/contract_policies.py --accounts 5000 --n 4   # a quick look

``--accounts`` changes the book, not the teams, so a smaller book carries the full staff cost (at 2,000
accounts every NPV is negative); the comparison reported is at each scenario's own 20,000 accounts.

Takes scenarios/baseline.toml, soft.toml, aggressive.toml and risk_based.toml and gives each the
account mechanics of scenarios/card_statements.toml (its ``[product]``, ``[policy.reage]`` and
``[interest]``, the same overrides as ``_mechanics`` in benchmarks/targets.py): statements and minimum
dues, re-default, re-ageing, 24% APR and late fees. The four are compared with ``cs.compare`` (baseline
the champion, common random numbers), then the four plain scenarios on the same seeds.

Prints two markdown tables: with the contract, every KPI of ``KPIS`` as the baseline's mean and each
challenger's paired difference from it ± the 95% half-width (``npv_with_performing``: NPV with the
cured balance valued); without it, the same for ``PLAIN_KPIS``. Then the wall time of each comparison.
docs/model-mechanics.md ("The four policies on a card contract") reports the result.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

from targets import _mechanics  # benchmarks/ is the script's directory, so on sys.path

import collectsim as cs
from collectsim.experiments.executors import ProcessExecutor, SequentialExecutor

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ("baseline", "soft", "aggressive", "risk_based")  # the first is the champion
KPIS = (
    "npv",
    "net_recovery",
    "total_cost",
    "cure_rate_dpd30",
    "statement_roll_rate_30_60",
    "sustained_cure_share",
    "redefault_rate",
    "write_off_rate",
    "performing_balance",
    "complaints_per_1000",
    "ecl_rate_at_entry",
    "allowance_at_horizon",  # IFRS 9, at the horizon: the performing book and the accounts still in collection
    "allowance_cecl_at_horizon",
    # NPV counts cash, so a cure and a charge-off are both worth only the arrears paid; this adds the balance
    # cured back to performing, less the lifetime loss provided for it, discounted from the horizon.
    "npv_with_performing",
)
PLAIN_KPIS = ("npv", "cure_rate_dpd30")
MONEY = {
    "npv",
    "net_recovery",
    "total_cost",
    "performing_balance",
    "npv_with_performing",
    "allowance_at_horizon",
    "allowance_cecl_at_horizon",
}


def scenarios(contract: bool, accounts: int | None) -> dict[str, cs.Scenario]:
    """The four policies, each on its own book (``accounts`` overrides its size), with or without the contract."""
    overrides = {**(_mechanics() if contract else {})}
    if accounts is not None:
        overrides["population.accounts"] = accounts
    return {p: cs.with_overrides(cs.load_scenario(ROOT / "scenarios" / f"{p}.toml"), overrides) for p in POLICIES}


def fmt(kpi: str, x: float, signed: bool = False) -> str:
    if math.isnan(x):
        return "NaN"
    sign = "+" if signed else ""
    if kpi in MONEY:
        return f"{x / 1e3:{sign},.0f}k"
    if kpi == "complaints_per_1000":
        return f"{x:{sign}.2f}"
    return f"{x:{sign}.3f}"


def table(comparison, kpis: tuple[str, ...]) -> str:
    """Markdown: baseline's mean, each challenger's Δ ± half-width."""
    s = comparison.summary(list(kpis)).set_index(["kpi", "policy"])
    lines = [
        "| KPI | " + " | ".join([f"{POLICIES[0]} (mean)", *(f"{p} Δ" for p in POLICIES[1:])]) + " |",
        "|---|" + "---:|" * len(POLICIES),
    ]
    for k in kpis:
        cells = [fmt(k, s.loc[(k, POLICIES[0]), "mean"])]
        for p in POLICIES[1:]:
            row = s.loc[(k, p)]
            cells.append(f"{fmt(k, row['diff'], signed=True)} ± {fmt(k, row['diff_half_width'])}")
        lines.append(f"| `{k}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=None, help="accounts per run (default: each scenario's own)")
    ap.add_argument("--n", type=int, default=10, help="replications per policy")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2, help="worker processes (1 = in-process)")
    args = ap.parse_args()
    make = (lambda: ProcessExecutor(args.workers)) if args.workers > 1 else SequentialExecutor
    with make() as ex:
        t0 = time.perf_counter()
        card = cs.compare(scenarios(True, args.accounts), args.n, seed=args.seed, executor=ex)
        t_card = time.perf_counter() - t0
        t0 = time.perf_counter()
        plain = cs.compare(scenarios(False, args.accounts), args.n, seed=args.seed, executor=ex)
        t_plain = time.perf_counter() - t0
    size = f"{args.accounts:,} accounts" if args.accounts else "each scenario's own accounts"
    print(f"## With the card contract ({size}, n={args.n}, seed={args.seed})\n")
    print(table(card, KPIS))
    print("\n## Without the contract (same sizes and seeds)\n")
    print(table(plain, PLAIN_KPIS))
    print(f"\nwall time: with the contract {t_card:.0f} s, without {t_plain:.0f} s ({args.workers} workers)")


if __name__ == "__main__":
    main()
