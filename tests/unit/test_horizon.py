"""The horizon valuer's arithmetic: garnishment streams, agency contact dates, promises and plans."""

from __future__ import annotations

import math

import numpy as np
import pytest

import collectsim as cs
from collectsim.engine.horizon import _first_contact_offset, daily_rate
from collectsim.engine.loop import Simulation
from collectsim.engine.state import ACTIVE
from collectsim.policy.ladder import LadderPolicy


def _valuer(sc: cs.Scenario, horizon: int = 120, seed: int = 2) -> Simulation:
    sim = Simulation(
        cs.with_overrides(sc, {"horizon.days": horizon}),
        seed,
        LadderPolicy(),
        record_events=False,
        check_invariants=False,
        progress=None,
    )
    sim.run()
    return sim


def test_daily_rate_compounds_to_the_annual_rate() -> None:
    """365 days of e^{−ρ} discount one unit by exactly 1/(1 + annual)."""
    assert math.exp(-365 * daily_rate(0.08)) == pytest.approx(1 / 1.08, rel=1e-12)
    assert daily_rate(0.0) == 0.0


def test_garnishment_stream_by_hand(small: cs.Scenario) -> None:
    """Owed 100 at 30 a week from day 6: 30, 30, 30, 10 on days 6, 13, 20, 27, each paid at the day's end."""
    sim = _valuer(cs.with_overrides(small, {"economy.cost_of_funds": 0.5, "population.accounts": 200}), 30)
    hv = sim.horizon
    rho = hv.rho
    gross, pv = hv._garnish(np.array([100.0]), np.array([30.0]), np.array([6.0]))
    by_hand = sum(a * math.exp(-rho * (d + 1)) for a, d in ((30, 6), (30, 13), (30, 20), (10, 27)))
    assert gross[0] == 100.0
    assert pv[0] == pytest.approx(by_hand, rel=1e-12)
    _, exact_pv = hv._garnish(np.array([90.0]), np.array([30.0]), np.array([0.0]))
    assert exact_pv[0] == pytest.approx(sum(30 * math.exp(-rho * (d + 1)) for d in (0, 7, 14)), rel=1e-12)


def test_agency_contact_dates() -> None:
    """Contacts fall every k days after placement (never on the placement day): the next one from the horizon."""
    start = np.array([100, 95, 110, 120])
    # horizon 120, every 7: 100 → 121 (1 day); 95 → 123 (3); 110 → 124 (4); 120 (placed today) → 127 (7).
    assert _first_contact_offset(start, 7, 120).tolist() == [1, 3, 4, 7]


def test_plans_and_promises_by_hand() -> None:
    """On a plan: Σ_j P(first j instalments kept) × instalment j; a pending promise adds kept odds × amount."""
    sc = cs.load_scenario("scenarios/conduct_none.toml", overrides={"population.accounts": 3000})
    sim = _valuer(cs.with_overrides(sc, {"economy.cost_of_funds": 0.0}), 120, seed=3)
    s, hv = sim.state, sim.horizon
    plan = np.flatnonzero(s.on_plan & (s.status == ACTIVE) & (s.plan_left > 1))
    assert plan.size > 0
    out, out_pv = np.zeros(s.n), np.zeros(s.n)
    hv._plans(120, out, out_pv)
    i = int(plan[0])
    kept = s.pop.promise_kept[i]
    alive, left, by_hand = 1.0, s.balance[i], 0.0
    for j in range(int(s.plan_left[i])):
        alive *= 1 - (1 - kept) * (hv.miss_next[i] if j == 0 else hv.miss_after[i])
        pay = left if j == s.plan_left[i] - 1 else min(s.plan_amount[i], left)
        by_hand += alive * pay
        left -= pay
    assert out[i] == pytest.approx(by_hand, rel=1e-12)
    assert out_pv[i] == pytest.approx(by_hand, rel=1e-12)  # 0% cost of funds
    value = hv.value(120)
    owed = s.collectible(np.arange(s.n))
    assert np.all(value.collections <= owed + 1e-9)
    closed = (s.status != ACTIVE) & ~s.placed & ~s.legal_active
    assert closed.any() and np.all(value.collections[closed] == 0.0)
