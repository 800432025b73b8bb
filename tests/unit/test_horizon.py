"""The horizon valuer's arithmetic: garnishment streams, agency contact dates, promises and plans."""

from __future__ import annotations

import math

import numpy as np
import pytest

import collectsim as cs
from collectsim.engine.accounts import horizon
from collectsim.engine.accounts.horizon import _first_contact_offset, daily_rate
from collectsim.engine.accounts.state import ACTIVE, FILED, SERVED
from collectsim.engine.daily.loop import Simulation
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
    over = {"population.accounts": 3000, "channels.plan_offer.offer.accept_prob": 0.9}
    sc = cs.load_scenario("scenarios/conduct_none.toml", overrides=over)
    sim = _valuer(cs.with_overrides(sc, {"economy.cost_of_funds": 0.0}), 80, seed=3)
    s, hv = sim.state, sim.horizon
    # A plan whose first instalment is still to come: its odds differ from those after a kept one.
    plan = np.flatnonzero(s.on_plan & (s.status == ACTIVE) & (s.plan_left > 1) & (hv.miss_next != hv.miss_after))
    assert plan.size > 0
    out, out_pv = np.zeros(s.n), np.zeros(s.n)
    hv._plans(80, out, out_pv)
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
    value = hv.value(80)
    owed = s.collectible(np.arange(s.n))
    assert np.all(value.collections <= owed + 1e-9)
    closed = (s.status != ACTIVE) & ~s.placed & ~s.legal_active
    assert closed.any() and np.all(value.collections[closed] == 0.0)


def _expected_share_by_ode(sc: cs.Scenario, p: float, lam: float, lam_inf: float, times: np.ndarray, contacts):
    """E[w_t]/w from an independent ODE solve: α' = −κα + p + (1 − p)E[1 − (1 − r)e^{−(δ₁₀+δ₁₁r)α}], with contacts."""
    from scipy import integrate

    rep = sc.repayment
    r = sc.agency.partial_fraction.build().quantile((np.arange(400) + 0.5) / 400)

    def f(_t, y):
        a = y[0]
        return [-rep.kappa * a + p + (1 - p) * np.mean(1 - (1 - r) * np.exp(-(rep.delta_10 + rep.delta_11 * r) * a)), a]

    fine = np.linspace(0.0, float(times.max()), 4001)
    sol = integrate.solve_ivp(f, (0.0, fine[-1]), [0.0, 0.0], t_eval=fine, rtol=1e-10, atol=1e-12)
    alpha = lambda t: np.interp(t, fine, sol.y[0], left=0.0)  # noqa: E731
    share = np.exp(-lam * alpha(times) - rep.kappa * lam_inf * np.interp(times, fine, sol.y[1]))
    for s, q, delta in contacts:
        share *= np.where(times > s, 1 - q + q * np.exp(-delta * alpha(times - s)), 1.0)
    return share


def test_a_placed_account_by_independent_solution(small: cs.Scenario) -> None:
    """One placed account's expected agency collections, plain and discounted, and the commission on them."""
    sc = cs.with_overrides(small, {"economy.cost_of_funds": 0.3, "population.accounts": 1500})
    sim = _valuer(sc, 150, seed=4)
    s, hv = sim.state, sim.horizon
    pick = np.flatnonzero(s.placed & ~s.legal_active & (s.promise_due < 150) & (s.excite > 0))
    i = int(pick[0])
    p, ag = s.pop, sc.agency
    lam = p.lam_inf[i] + (p.lam_0[i] - p.lam_inf[i]) * math.exp(-sc.repayment.kappa * 150) + s.excite[i]
    window = int(s.placement_end[i] - 150)
    start = int(s.placement_end[i] - ag.placement_days)
    frac = sc.calendar.contact_hours[0] / 24
    q = min(1.0, ag.contact_prob * p.contactability[i])
    delta = ag.effect * p.responsiveness[i]
    contacts = [(d - 150 + frac, q, delta) for d in range(150, 150 + window) if d > start and (d - start) % 7 == 0]
    assert contacts
    p_full = min(1.0, ag.full_payment_prob * p.ability[i] / 0.5)
    share = _expected_share_by_ode(sc, p_full, lam, p.lam_inf[i], np.arange(window + 1.0), contacts)
    w = s.collectible(np.array([i]))[0]
    rho = daily_rate(0.3)
    gross = w * (1 - share[-1])
    pv = w * float(((share[:-1] - share[1:]) * np.exp(-rho * np.arange(1, window + 1))).sum())
    value = hv.value(150)
    assert value.collections[i] == pytest.approx(gross, rel=2e-3)
    assert value.collections_pv[i] == pytest.approx(pv, rel=2e-3)
    assert value.costs[i] == pytest.approx(ag.commission * value.collections[i], rel=1e-12)


def test_open_court_cases_by_hand(slow_payers: cs.Scenario) -> None:
    """A case waiting for service: settle with the settlement odds, else win, enforce and garnish what is left."""
    sim = _valuer(cs.with_overrides(slow_payers, {"economy.cost_of_funds": 0.0}), 125, seed=2)
    s, hv, spec = sim.state, sim.horizon, slow_payers.legal
    filed = np.flatnonzero(s.legal_active & (s.legal_stage == FILED))
    served = np.flatnonzero(s.legal_active & (s.legal_stage == SERVED))
    assert filed.size and served.size
    left = np.full(s.n, 1000.0)
    out, out_pv, costs, costs_pv = (np.zeros(s.n) for _ in range(4))
    hv._legal(125, left, out, out_pv, costs, costs_pv)
    settle, contested = spec.settle_after_service, spec.contested_prob
    p_win = (1 - settle) * ((1 - contested) + contested * spec.contested_win_prob)
    by_hand = settle * 1000.0 * (1 - spec.settle_discount) + p_win * spec.enforceable_share * 1000.0
    assert out[filed] == pytest.approx(np.full(filed.size, by_hand), rel=1e-12)
    assert costs[filed] == pytest.approx(np.full(filed.size, p_win * spec.enforceable_share * spec.enforcement_fee))
    win = np.where(s.legal_contested[served], spec.contested_win_prob, 1.0)
    assert out[served] == pytest.approx(win * spec.enforceable_share * 1000.0, rel=1e-12)


def test_a_placement_ending_before_charge_off_adds_the_in_house_tail(small: cs.Scenario) -> None:
    """Recalled before charge-off: the agency window, then untreated in house from the intensity expected at recall."""
    over = {"economy.cost_of_funds": 0.0, "population.accounts": 1500, "agency.placement_days": 20}
    sc = cs.with_overrides(small, over)
    sim = _valuer(sc, 130, seed=4)
    s, hv = sim.state, sim.horizon
    pick = np.flatnonzero(s.placed & ~s.legal_active & (s.promise_due < 130) & (s.status == ACTIVE))
    i = int(pick[0])
    p, ag, k = s.pop, sc.agency, sc.repayment.kappa
    lam = p.lam_inf[i] + (p.lam_0[i] - p.lam_inf[i]) * math.exp(-k * 130) + s.excite[i]
    window = int(s.placement_end[i] - 130)
    start = int(s.placement_end[i] - ag.placement_days)
    frac = sc.calendar.contact_hours[0] / 24
    q, delta = min(1.0, ag.contact_prob * p.contactability[i]), ag.effect * p.responsiveness[i]
    contacts = [(d - 130 + frac, q, delta) for d in range(130, 130 + window) if d > start and (d - start) % 7 == 0]
    p_agency = min(1.0, ag.full_payment_prob * p.ability[i] / 0.5)
    share = _expected_share_by_ode(sc, p_agency, lam, p.lam_inf[i], np.arange(window + 1.0), contacts)
    w = s.collectible(np.array([i]))[0]
    dpd = p.entry_dpd[i] + 130 - p.entry_day[i]
    tail = int(sc.chargeoff.dpd - dpd) - window
    assert tail > 0
    lam_back = p.lam_inf[i] + (lam - p.lam_inf[i]) * math.exp(-k * window)
    in_house = cs.with_overrides(sc, {"agency.partial_fraction": sc.repayment.partial_fraction.model_dump()})
    share2 = _expected_share_by_ode(in_house, p.ability[i], lam_back, p.lam_inf[i], np.arange(tail + 1.0), [])
    by_hand = w * (1 - share[-1]) + w * share[-1] * (1 - share2[-1])
    assert hv.value(130).collections[i] == pytest.approx(by_hand, rel=3e-3)


INFLOW = {"population.mode": "inflow", "population.inflow_days": 60}  # entry days, hence windows, of many lengths


@pytest.mark.parametrize(
    ("over", "day"),
    [
        (INFLOW, 150),  # in house and placed (the agency's contacts), some recalled before charge-off
        ({**INFLOW, "chargeoff.dpd": 120, "recovery.days": 90, "agency.place_at_chargeoff": True}, 170),  # recovery
    ],
)
def test_blocks_of_rows_value_as_one_array(small: cs.Scenario, monkeypatch, over: dict, day: int) -> None:
    """The curves are worked a block of rows at a time: any block size gives the same values, bit for bit.

    A row's sums depend on its length, so every block has the width of the whole set (with windows of many
    lengths a block's longest is not the set's); rows and their contact dates come back in place.
    """
    sim = _valuer(cs.with_overrides(small, over), day, seed=2)
    s = sim.state
    assert (s.placed | s.in_recovery).sum() > 50  # a few dozen blocks of 5 to 10 rows
    monkeypatch.setattr(horizon, "BLOCK_CELLS", 10**9)
    whole = sim.horizon.value(day)
    monkeypatch.setattr(horizon, "BLOCK_CELLS", 1000)
    blocks = sim.horizon.value(day)
    assert blocks.by_source == whole.by_source
    for name in ("collections", "collections_pv", "costs", "costs_pv"):
        assert np.array_equal(getattr(blocks, name), getattr(whole, name)), name
    assert whole.collections.sum() > 0 and whole.costs.sum() > 0


def test_the_decay_table_equals_exp_bit_for_bit(small: cs.Scenario) -> None:
    """The evening's e^{−κ·age} read off a table is np.exp's own value, as the table grows and for negative ages."""
    rep = _valuer(small, horizon=5).behaviour
    for age in (np.array([0, 3, 7]), np.arange(0, 900, 7), np.array([5, -2, 40]), np.zeros(0, dtype=np.int64)):
        assert np.array_equal(rep._decayed(age), np.exp(-rep.kappa * age))
    assert rep._decay_table.size > 896  # grown to hold the oldest age asked for
