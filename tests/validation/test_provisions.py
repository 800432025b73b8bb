"""Provisions on the performing book against what the scenario put in (docs/model-mechanics.md, Provisions).

A cured account's 12-month PD comes from the run's own re-defaults per day cured; with one re-default
rate for every borrower that estimate must give back the scenario's ``redefault_monthly``, and a book
whose cures re-default more must carry a larger stage-1 allowance.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pytest

# Every borrower pays its arrears in full at λ∞ and every cure re-defaults at 0.2 a month.
from test_contractual_delinquency import NO_TREATMENT

import collectsim as cs
from collectsim import metrics

ROOT = Path(__file__).resolve().parents[2]


def test_the_observed_redefault_rate_gives_back_its_input() -> None:
    """Re-defaults ÷ days cured with a balance, as a monthly probability, is 0.2 within three standard errors."""
    res = cs.simulate(cs.scenario.scenario_from_dict(tomllib.loads(NO_TREATMENT)), seed=5)
    acc = res.accounts
    events, days = float(acc["redefaults"].sum()), float(acc["cured_days"].sum())
    assert events > 500
    p = events / days  # daily, geometric: its standard error is √(p(1 − p) ÷ days)
    se_monthly = 30 * (1 - p) ** 29 * math.sqrt(p * (1 - p) / days)
    assert res.kpis["redefault_monthly_observed"] == pytest.approx(0.2, abs=3 * se_monthly)
    assert res.kpis["pd_12m_observed"] == pytest.approx(1 - 0.8 ** (365 / 30), abs=0.02)


@pytest.fixture(scope="module")
def card_runs() -> dict[float, cs.RunResult]:
    """card_statements on 1,500 accounts, seed 1, with its re-default odds as given and doubled (capped at 1)."""
    sc = cs.load_scenario(ROOT / "scenarios" / "card_statements.toml", overrides={"population.accounts": 1500})
    odds = sc.product.redefault_monthly
    out = {}
    for scale in (1.0, 2.0):
        varied = cs.with_overrides(sc, {"product.redefault_monthly": {r: min(1.0, scale * p) for r, p in odds.items()}})
        out[scale] = cs.simulate(varied, seed=1)
    return out


def test_higher_redefault_odds_raise_the_stage_1_allowance(card_runs: dict[float, cs.RunResult]) -> None:
    """Doubling the re-default odds lowers the performing balance, but raises the PD more: stage 1 grows."""
    low, high = card_runs[1.0].kpis, card_runs[2.0].kpis
    assert high["pd_12m_observed"] > low["pd_12m_observed"]
    assert high["allowance_performing_12m"] > low["allowance_performing_12m"]
    assert high["allowance_stage_1"] > low["allowance_stage_1"]


def test_cecl_provides_at_least_ifrs_9_on_a_performing_book(card_runs: dict[float, cs.RunResult]) -> None:
    """A 36-month behavioural life is longer than 12 months, so CECL's lifetime loss exceeds stage 1's: on the
    performing book, and on what a stage-1 account in collection brings back if it cures."""
    k = card_runs[1.0].kpis
    assert k["allowance_cecl_at_horizon"] > k["allowance_at_horizon"] > 0
    performing = k["allowance_performing_lifetime"] - k["allowance_performing_12m"]
    assert k["allowance_cecl_at_horizon"] - k["allowance_at_horizon"] > performing > 0
    assert not metrics.impossible_kpis(k)


def test_a_cure_back_to_performing_is_not_a_lifetime_loss() -> None:
    """With a contract the lifetime loss at entry is what was owed less what is recovered and less the balance
    cured back to performing net of the lifetime loss provided for it (at a 0% rate: no discounting). It was
    0.94 of what was owed on a card book that wrote off 0.06, counting every performing dollar as lost."""
    sc = cs.load_scenario(ROOT / "scenarios" / "card_statements.toml", overrides={"population.accounts": 1500})
    k = cs.simulate(cs.with_overrides(sc, {"economy.cost_of_funds": 0.0}), seed=2).kpis
    recovered = k["collected"] + k["sale_proceeds"] + k["terminal_collections"]
    kept = k["performing_balance"] - k["allowance_performing_lifetime"]
    assert k["performing_balance"] > 0.5 * k["owed"] and k["allowance_performing_lifetime"] > 0
    assert k["ecl_at_entry"] == pytest.approx(k["owed"] - recovered - kept, rel=1e-9)
    assert k["write_off_rate"] < k["ecl_rate_at_entry"] < 3 * k["write_off_rate"] + 0.1
    # What collection is worth with the cured book valued: the cash NPV (at 0%, the net value) plus the same net
    # performing balance. A run without a contract has no such KPI.
    assert k["npv_with_performing"] == pytest.approx(k["npv"] + kept, rel=1e-9)
    plain = cs.load_scenario(ROOT / "scenarios" / "baseline.toml", overrides={"population.accounts": 500})
    assert "npv_with_performing" not in cs.simulate(plain, seed=2).kpis
