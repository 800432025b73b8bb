"""How well the dynamic collectability score ranks accounts, against the static entry score, over time.

Run from the project root::

    python benchmarks/dcs_auc.py                       # baseline ladder, 20,000 accounts, seeds 1-2
    python benchmarks/dcs_auc.py --accounts 100000 --speed   # also: wall time with and without the filter

At DPD 15, 30, 60 and 90, among accounts still in house, the AUC of each score for "pays anything in
the next 30 days" (a payment of any kind: self-cure, kept promise, instalment). The policy is the
scenario's ladder in both cases; the filter only watches (policy/collectability.py).
docs/collectability.md reports the table.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import collectsim as cs
from collectsim.engine.accounts.score import auc
from collectsim.policy import NEVER
from collectsim.policy.ladder import LadderPolicy

ROOT = Path(__file__).resolve().parent.parent
CHECKPOINTS = (15, 30, 60, 90)
WINDOW = 30


class WatchedLadder(LadderPolicy):
    """The scenario's ladder, snapshotting DCS, estimated intensity and the static score at each checkpoint."""

    uses_collectability = True

    def reset(self, ctx):
        super().reset(ctx)
        n = ctx.n_accounts
        self.snap_day = {d: np.full(n, NEVER) for d in CHECKPOINTS}
        self.first_after = {d: np.full(n, NEVER) for d in CHECKPOINTS}
        self.scores = {d: {k: np.full(n, np.nan) for k in ("dcs", "intensity", "score")} for d in CHECKPOINTS}

    def decide(self, day, view):
        for d in CHECKPOINTS:
            snap, first = self.snap_day[d], self.first_after[d]
            paid = (snap != NEVER) & (first == NEVER) & (view.last_payment_day > snap)
            first[paid] = view.last_payment_day[paid]
            new = np.flatnonzero((snap == NEVER) & (view.dpd >= d) & view.in_house)
            if new.size:
                snap[new] = day
                self.scores[d]["dcs"][new] = view.dcs[new]
                self.scores[d]["intensity"][new] = view.intensity[new]
                self.scores[d]["score"][new] = view.score[new]
        return super().decide(day, view)


class ReadingLadder(LadderPolicy):
    """The ladder plus a daily read of DCS: what a policy that uses the score costs."""

    uses_collectability = True

    def decide(self, day, view):
        _ = view.dcs[view.in_house]
        return super().decide(day, view)


def auc_table(sc: cs.Scenario, seeds: list[int]) -> dict[int, dict[str, float]]:
    rows: dict[int, dict[str, list[float]]] = {
        d: {"n": [], "dcs": [], "intensity": [], "score": []} for d in CHECKPOINTS
    }
    for seed in seeds:
        pol = WatchedLadder()
        cs.simulate(sc, seed, policy=pol)
        for d in CHECKPOINTS:
            snap = pol.snap_day[d]
            ok = (snap != NEVER) & (snap + WINDOW < sc.horizon.days)
            label = (pol.first_after[d] != NEVER) & (pol.first_after[d] <= snap + WINDOW)
            rows[d]["n"].append(float(ok.sum()))
            for k in ("dcs", "intensity", "score"):
                rows[d][k].append(auc(pol.scores[d][k][ok], label[ok]))
    return {d: {k: float(np.mean(v)) for k, v in r.items()} for d, r in rows.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.toml"))
    ap.add_argument("--accounts", type=int, default=20000)
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--speed", action="store_true", help="time one run with and without the filter")
    args = ap.parse_args()
    sc = cs.load_scenario(args.scenario, overrides={"population.accounts": args.accounts})
    seeds = [int(s) for s in args.seeds.split(",")]
    print(f"AUC for 'pays within {WINDOW} days', {args.accounts:,} accounts, seeds {args.seeds}")
    print("| DPD | accounts in house | DCS (u=1, T=30) | estimated intensity | static score |")
    print("|---|---|---|---|---|")
    for d, r in auc_table(sc, seeds).items():
        print(f"| {d} | {r['n']:,.0f} | {r['dcs']:.3f} | {r['intensity']:.3f} | {r['score']:.3f} |")
    if args.speed:
        for label, pol in (("ladder", LadderPolicy()), ("ladder reading view.dcs daily", ReadingLadder())):
            t = time.perf_counter()
            cs.simulate(sc, seeds[0], policy=pol)
            print(f"{label}: {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
