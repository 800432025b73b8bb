"""How far the shipped scenarios are from the validation targets in docs/sources.md.

Run from the project root::

    python benchmarks/calibration.py                       # baseline, its own 20,000 accounts, seed 1
    python benchmarks/calibration.py --scenario scenarios/soft.toml --accounts 10000
    python benchmarks/calibration.py --scenario scenarios/cn_consumer_loan.toml -n 3   # a calibrated preset
    python benchmarks/calibration.py --scenario scenarios/us_card.toml -n 3

Prints one line per target the simulator can measure — the model's value beside
the published one — so a calibration can be tracked. Parameters are
assumptions (docs/sources.md) until fitted; this script measures, it does not fit.
With ``-n`` it averages replications (seeds seed … seed+n−1). The untreated row runs the
same accounts (same seeds) with an empty ladder: the share paying anything in 30 days
without treatment (≈ 0.60 in the published anchors) against which T1 is the treated figure.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import collectsim as cs

ROOT = Path(__file__).resolve().parent.parent


def mean_kpis(sc: cs.Scenario, seeds: range) -> dict[str, float]:
    """KPIs averaged over the seeds; the ratios below are taken of the means."""
    runs = [cs.simulate(sc, s).kpis for s in seeds]
    return {key: sum(r[key] for r in runs) / len(runs) for key in runs[0]}


def statement_rows(k: dict[str, float]) -> list[tuple[str, str, float, str]]:
    """With a contractual schedule: the monthly roll and UCI's statement panel, T1 and T2 as defined."""
    if "statement_roll_rate_30_60" not in k:
        return []
    k1, k2, k3 = (k[f"statement_{n}"] for n in ("roll_rate_30_60", "no_payment_rate_1_2", "no_payment_rate_3_plus"))
    return [
        ("T1", "30→60 monthly roll (1 → 2+ months late, statement to statement)", k1, "≈ 0.20"),
        ("T2", "P(no payment in the next cycle | 1–2 months late at a statement)", k2, "0.47–0.51"),
        ("T2", "P(no payment in the next cycle | 3+ months late at a statement)", k3, "≈ 0.81"),
    ]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.toml")
    p.add_argument("--accounts", type=int, default=None, help="default: the scenario's own")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("-n", "--replications", type=int, default=1)
    args = p.parse_args()
    sc = cs.load_scenario(args.scenario, {"population.accounts": args.accounts} if args.accounts else None)
    seeds = range(args.seed, args.seed + args.replications)
    k = mean_kpis(sc, seeds)
    untreated = mean_kpis(cs.with_overrides(sc, {"policy.ladders": {"none": {"stages": []}}}), seeds)
    rows = [
        (
            "T1",
            "untreated: share of accounts paying anything within 30 days",
            1.0 - untreated["no_payment_rate_1_30"],
            "≈ 0.60 (untreated self-cure)",
        ),
        (
            "T1",
            "30-day collection rate (share of day-1 balance collected in 30 days)",
            k["liquidation_d030"],
            "0.86 (CN credit-tech)",
        ),
        ("T1", "30→60 roll rate (bucket 31–60 → 61–90 DPD)", k["roll_rate_30_60"], "≈ 0.20 (US cards, rule of thumb)"),
        (
            "T2",
            "P(no payment during DPD 31–60 | open at DPD 31)",
            k["no_payment_rate_31_60"],
            "0.47–0.51 (UCI cards, 30-day buckets)",
        ),
        ("T2", "P(no payment during DPD 91–120 | open at DPD 91)", k["no_payment_rate_91_120"], "≈ 0.81 (UCI cards)"),
        ("T4", "charge-off age (DPD)", float(sc.chargeoff.dpd), "180 revolving / 120 instalment"),
        (
            "T5",
            "share of judgements among decided suits",
            k["legal_won"] / max(1.0, k["legal_won"] + k["legal_lost"]),
            "> 0.70 default judgments",
        ),
        (
            "T6",
            "agency commission ÷ agency collections",
            k["agency_commission"] / max(1.0, k["agency_collected"]),
            "≈ 0.235 (range 0.15–0.50)",
        ),
        (
            # The survey counts calls and visits among consumers contacted about a debt; the share of every
            # account in collection and the all-sends figure are shown beside it, not compared.
            "T10",
            f"≥ 4 calls/visits in 7 days, of those called (all {k['share_4_calls_per_week']:.3f}, "
            f"any {k['share_4_contacts_per_week']:.3f})",
            k["share_4_calls_per_week_called"],
            "≈ 0.40 with no guardrail (CFPB 2017)",
        ),
    ]
    cycles = statement_rows(k)
    if cycles:  # the balance performs again after a cure, and the data count months, not 30-day windows
        rows = [(t, w, v, "— (statements: the cycle rows)") if i in (1, 2, 3, 4) else (t, w, v, g)
                for i, (t, w, v, g) in enumerate(rows)]
    rows[3:3] = cycles
    print(f"{sc.name}: {sc.population.accounts:,} accounts, seeds {seeds.start}–{seeds.stop - 1}")
    for tid, what, value, target in rows:
        print(f"{tid:<4}{what:<72}{value:>8.3f}   target {target}")
    print(
        "Notes: without statements T2 is measured on 30-day DPD buckets (with a [product], on statement "
        "cycles too); T3 needs statements; T7 is "
        "measured by `collectsim optimise` (docs/optimise.md) and the uplift policy (README); T8: "
        "tests/validation/test_chehrazi.py checks the engine against E[w_t], U(λ,w)/w and the minimum "
        "actionable balance, tests/validation/test_cgw_optimal.py the optimal frontier; T9 is the Erlang C "
        "test suite."
    )


if __name__ == "__main__":
    main()
