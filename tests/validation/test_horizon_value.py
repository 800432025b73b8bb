"""The value of what is open at the horizon against what a longer run of the same seed collects after it.

The long run follows the scenario's ladder until the horizon and does nothing after it
(``StopAt``), which is exactly what the valuation assumes: placements, court cases and
promises under way run their course; nothing new starts.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_chehrazi import DAYS_PER_UNIT, REF, cgw_scenario  # the CGW reference set, shared

import collectsim as cs
from collectsim.chehrazi import expected_balance_share
from collectsim.dists import Uniform
from collectsim.engine.accounts.horizon import ExpectedBalance
from collectsim.policy import ActionPlan
from collectsim.policy.ladder import LadderPolicy


class StopAt:
    """The scenario's ladder until day ``h``; after it no decision and no queued work is still due."""

    def __init__(self, h: int) -> None:
        self.h = h
        self.inner = LadderPolicy()

    def reset(self, ctx) -> None:
        self.inner.reset(ctx)

    def decide(self, day: int, view) -> ActionPlan:
        return self.inner.decide(day, view) if day < self.h else ActionPlan()

    def still_due(self, rule: str, accounts: np.ndarray, day: int, view) -> np.ndarray:
        if day >= self.h:
            return np.zeros(len(accounts), dtype=bool)
        return self.inner.still_due(rule, accounts, day, view)


def test_tabulated_balance_matches_cgw_closed_form() -> None:
    """The α table (RK4 over p and t) reproduces E[w_t]/w₀ of the CGW reference set at p = 0 (no atom at R = 1)."""
    k = 1.0 / DAYS_PER_UNIT
    table = ExpectedBalance(REF.kappa * k, REF.delta_10 * k, REF.delta_11 * k, Uniform(0.1, 1.0), 5 * DAYS_PER_UNIT)
    days = np.array([DAYS_PER_UNIT, 5 * DAYS_PER_UNIT])
    share = table.share(np.array([1.0 * k]), np.array([REF.lambda_inf * k]), np.array([0.0]), 5 * DAYS_PER_UNIT + 1)
    assert share[0, days] == pytest.approx(expected_balance_share(REF, 1.0, [1.0, 5.0]), rel=1e-4)


def test_full_payment_atom_speeds_repayment() -> None:
    """With a share p of payments clearing the debt, the expected balance falls faster, and at p = 1 it is e^{−∫λ}."""
    table = ExpectedBalance(0.1, 0.005, 0.1, Uniform(0.05, 0.5), 60)
    lam, lam_inf = np.full(3, 0.05), np.full(3, 0.02)
    share = table.share(lam, lam_inf, np.array([0.0, 0.5, 1.0]), 61)
    assert share[0, 60] > share[1, 60] > share[2, 60]
    t = 60.0
    integral = lam_inf[0] * t + (lam[0] - lam_inf[0]) * (1 - math.exp(-0.1 * t)) / 0.1
    assert share[2, 60] == pytest.approx(math.exp(-integral), rel=1e-5)  # trapezoid ∫α


def test_untreated_value_matches_what_is_collected_before_charge_off(baseline: cs.Scenario) -> None:
    """Self-exciting repayments after day 50 until charge-off at DPD 150: closed form vs the simulated run-off."""
    short = cs.simulate(cgw_scenario(baseline, horizon=50, chargeoff_dpd=150, cost_of_funds=0.2), seed=5)
    long = cs.simulate(cgw_scenario(baseline, horizon=200, chargeoff_dpd=150, cost_of_funds=0.2), seed=5)
    per_account = long.accounts["paid"].to_numpy() - short.accounts["paid"].to_numpy()
    expected = short.accounts["expected_after_horizon"].to_numpy()
    half = 4 * per_account.std(ddof=1) * math.sqrt(per_account.size)
    # Daily steps (one payment a day, excitation from the payment's time) leave a small bias, as in test_chehrazi.
    assert abs(per_account.sum() - expected.sum()) < half + 0.01 * expected.sum(), (per_account.sum(), expected.sum())
    # Discounting at 20% a year shortens the value, by about the mean delay of the cash.
    assert short.kpis["terminal_value"] < short.kpis["terminal_collections"]


def _run_off_gap(small: cs.Scenario, seeds: range, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    gaps, expected = [], []
    for seed in seeds:
        sc = cs.with_overrides(small, {"horizon.days": horizon})
        short = cs.simulate(sc, seed=seed)
        long = cs.simulate(cs.with_overrides(sc, {"horizon.days": horizon + 540}), seed=seed, policy=StopAt(horizon))
        after = float(long.daily["collected"].to_numpy()[horizon:].sum())
        gaps.append(after - short.kpis["terminal_collections"])
        expected.append(short.kpis["terminal_collections"])
    return np.array(gaps), np.array(expected)


def test_horizon_value_matches_run_off(small: cs.Scenario) -> None:
    """Baseline at day 150 (placed, in court, in house): expected vs collected after it, paired by seed."""
    gaps, expected = _run_off_gap(cs.with_overrides(small, {"population.accounts": 2000}), range(1, 4), 150)
    se = gaps.std(ddof=1) / math.sqrt(gaps.size)
    assert abs(gaps.mean()) < 3 * se + 0.03 * expected.mean(), (gaps, expected)


@pytest.mark.slow
def test_horizon_value_matches_run_off_many_seeds(small: cs.Scenario) -> None:
    """The same at 12 seeds: the mean gap lies within 3 standard errors (measured: −4% ± 3%)."""
    gaps, _ = _run_off_gap(small, range(1, 13), 150)
    assert abs(gaps.mean()) < 3 * gaps.std(ddof=1) / math.sqrt(gaps.size), gaps


def test_npv_at_zero_rate_is_net_value_and_discounts_each_day(small: cs.Scenario) -> None:
    """At 0% NPV = net recovery + expected net value after the horizon; at any rate it is each day's net cash
    discounted from the end of that day plus the discounted value after the horizon. A dearer cost of funds
    always lowers what the collections are worth today, but not always the NPV: late in the run salaries can
    exceed what the last open accounts pay, and discounting those days harder raises the NPV."""
    rates = (0.0, 0.1, 0.3)
    runs = [cs.simulate(cs.with_overrides(small, {"economy.cost_of_funds": r}), seed=3) for r in rates]
    k = runs[0].kpis
    assert k["npv"] == pytest.approx(k["net_recovery"] + k["terminal_collections"] - k["terminal_costs"], rel=1e-9)
    assert k["net_value"] == pytest.approx(k["npv"], rel=1e-9)
    for run, rate in zip(runs, rates, strict=True):
        d, rho = run.daily, math.log1p(rate) / 365
        flows = d["collected"] + d["sale_proceeds"] - d["cost"]
        today = float((flows * np.exp(-rho * (d["day"] + 1))).sum()) + run.kpis["npv_after_horizon"]
        assert run.kpis["npv"] == pytest.approx(today, rel=1e-9)
    # Lifetime expected credit loss at entry: what is never collected, in the run or after it.
    lost = k["opening_balance"] - k["collected"] - k["terminal_collections"]
    assert k["ecl_at_entry"] == pytest.approx(lost, rel=1e-9)
    assert k["ecl_at_entry"] < runs[1].kpis["ecl_at_entry"] < runs[2].kpis["ecl_at_entry"]  # later cash is worth less
    assert k["npv_after_horizon"] > runs[1].kpis["npv_after_horizon"] > runs[2].kpis["npv_after_horizon"]
    # The rate changes valuation only, never the simulated cash.
    assert runs[0].kpis["net_recovery"] == runs[2].kpis["net_recovery"]


def test_slower_courts_cost_time_value_not_eventual_recovery(slow_payers: cs.Scenario) -> None:
    """Doubling court delays leaves lifetime recovery as it was but lowers the value at the horizon and the NPV."""
    fast = cs.with_overrides(slow_payers, {"economy.cost_of_funds": 0.15})
    slow = cs.with_overrides(
        fast,
        {
            "legal.court_days": {"dist": "lognormal", "mean": 120.0, "sd": 50.0},
            "legal.contested_days": {"dist": "lognormal", "mean": 540.0, "sd": 120.0},
        },
    )
    a, b = cs.simulate(fast, seed=4).kpis, cs.simulate(slow, seed=4).kpis
    # Judgements come after day 180 either way: the horizon cuts the whole difference off ...
    assert b["recovery_rate"] == pytest.approx(a["recovery_rate"], abs=1e-4)
    # ... garnishment still collects the same in the end, only later: less worth today.
    assert b["recovery_rate_with_terminal"] == pytest.approx(a["recovery_rate_with_terminal"], abs=1e-3)
    assert b["terminal_value"] < a["terminal_value"] - 0.02 * a["terminal_collections_legal"]
    assert b["npv"] < a["npv"]


def test_recalled_before_charge_off_matches_run_off(small: cs.Scenario) -> None:
    """Placements of 20 days end before charge-off: the agency window, then untreated in house to DPD 180."""
    sc = cs.with_overrides(small, {"population.accounts": 2000, "agency.placement_days": 20})
    gaps, expected = _run_off_gap(sc, range(1, 3), 130)
    assert expected.mean() > 0
    se = gaps.std(ddof=1) / math.sqrt(gaps.size)
    assert abs(gaps.mean()) < 3 * se + 0.05 * expected.mean(), (gaps, expected)
