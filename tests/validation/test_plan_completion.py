"""Instalment plans: keeping depends on the borrower and on the previous instalment.

The first instalment is missed with (1 − p)·a, every later one (after a kept one)
with (1 − p)·b, so an n-instalment plan completes with (1 − (1 − p)a)(1 − (1 − p)b)^(n−1).
With the shipped borrower mix about half of 6-month plans complete (industry rule
of thumb: monthly break hazard ≈ 0.10, ≈ 53% complete).
"""

from __future__ import annotations

import math
from pathlib import Path

import collectsim as cs

ROOT = Path(__file__).resolve().parents[2]
REASONS = ("forgetful", "illiquid", "unwilling", "insolvent")
Z = 4.0


def _conduct(**over: object) -> cs.Scenario:
    return cs.load_scenario(ROOT / "scenarios" / "conduct_none.toml", over)


def test_plan_completion_known_answer() -> None:
    """One borrower type, nobody pays unprompted: completion share = (1 − (1 − p)a)(1 − (1 − p)b)^(n−1)."""
    p, a, b, n = 0.6, 0.5, 0.25, 4
    sc = _conduct(**{"population.accounts": 6000})
    effects = {f"channels.{name}.effect": 0.0 for name in sc.channels}
    no_promises = {f"channels.{c}.promise_prob": 0.0 for c in ("call", "late_call", "visit")}
    over = {f"reasons.{r}.lambda_inf": 1e-7 for r in REASONS} | effects | no_promises
    over |= {f"reasons.{r}.promise_kept": p for r in REASONS} | {f"reasons.{r}.willingness": 0.99 for r in REASONS}
    offer = {"accept_prob": 1.0, "instalments": n, "instalment_days": 10, "miss_first": a, "miss_after_kept": b}
    over |= {"channels.plan_offer.offer": offer, "teams.late_callers.headcount": 40, "horizon.days": 150}
    k = cs.simulate(cs.with_overrides(sc, over), seed=1, check_invariants=True).kpis
    ended = k["plans_completed"] + k["plans_broken"]
    assert ended == k["plans_accepted"] > 400, "every plan should end within the horizon"
    expected = (1 - (1 - p) * a) * (1 - (1 - p) * b) ** (n - 1)
    share = k["plans_completed"] / ended
    assert abs(share - expected) < Z * math.sqrt(expected * (1 - expected) / ended), (share, expected)


def test_plan_completion_with_the_shipped_mix() -> None:
    """The shipped plan offer and borrowers: about half of the 6-instalment plans complete."""
    sc = _conduct(**{"population.accounts": 20000, "horizon.days": 300})  # long enough for plans to end
    completed = broken = 0.0
    for seed in (1, 2, 3, 4):
        k = cs.simulate(sc, seed=seed).kpis
        completed, broken = completed + k["plans_completed"], broken + k["plans_broken"]
    assert completed + broken > 120
    assert 0.40 <= completed / (completed + broken) <= 0.65
