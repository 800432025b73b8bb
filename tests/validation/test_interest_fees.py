"""Interest and late fees against their arithmetic, and money conserved with them.

With no payments at all, an account accrues apr ÷ 365 of its balance every morning it is in
house (compounding daily) until ``freeze_from_dpd``, and pays a late fee on each due date after
entry (DPD 31, 61, … for an account entering at DPD 1). Whatever happens, opening + interest +
fees = paid + discount + written off + sold + outstanding on every account, every day.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

import collectsim as cs

ROOT = Path(__file__).resolve().parents[2]

NO_PAYMENTS = """
name = "no_payments"
[horizon]
days = 90
[population]
accounts = 200
[population.segments.all]
share = 1.0
balance = { dist = "uniform", low = 500.0, high = 1500.0 }
reasons = { never = 1.0 }
[reasons.never]
lambda_inf = 0.0
heterogeneity = 0.0
[chargeoff]
dpd = 1000
[channels.sms]
[policy.ladders.none]
stages = []
"""


def no_payments(interest: dict) -> cs.Scenario:
    raw = tomllib.loads(NO_PAYMENTS)
    raw["interest"] = interest
    return cs.scenario.scenario_from_dict(raw)


def test_interest_compounds_daily_on_every_morning_in_house() -> None:
    acc = cs.simulate(no_payments({"apr": 0.2}), seed=1).accounts
    expected = acc["opening_balance"] * ((1 + 0.2 / 365) ** 90 - 1)
    assert np.allclose(acc["interest"], expected, rtol=1e-12)
    assert np.allclose(acc["outstanding"], acc["opening_balance"] + expected, rtol=1e-12)
    assert (acc["fees"] == 0).all()


def test_interest_freezes_at_the_chosen_dpd() -> None:
    """Entering at DPD 1, an account is below DPD 31 on 30 mornings."""
    acc = cs.simulate(no_payments({"apr": 0.2, "freeze_from_dpd": 31}), seed=1).accounts
    assert np.allclose(acc["interest"], acc["opening_balance"] * ((1 + 0.2 / 365) ** 30 - 1), rtol=1e-12)


def test_a_late_fee_on_each_due_date_after_entry() -> None:
    """Days 0–89 are DPD 1–90: due dates at DPD 31 and 61 (DPD 1, the entry, is in the opening balance)."""
    acc = cs.simulate(no_payments({"late_fee": 25.0}), seed=1).accounts
    assert (acc["fees"] == 50.0).all()
    assert (acc["interest"] == 0).all()
    kpis = cs.simulate(no_payments({"late_fee": 25.0}), seed=1).kpis
    assert kpis["fees_charged"] == 50.0 * 200
    assert kpis["owed"] == pytest.approx(kpis["opening_balance"] + 50.0 * 200)


def test_money_is_conserved_with_interest_fees_offers_and_sale() -> None:
    """The conduct scenario has plans, deferrals and settlements; a debt sale and legal and agency follow."""
    sc = cs.load_scenario(
        ROOT / "scenarios" / "conduct_none.toml",
        {
            "population.accounts": 1500,
            "horizon.days": 300,
            "interest": {"apr": 0.25, "late_fee": 30.0, "freeze_from_dpd": 120},
            "debt_sale": {"after_days": 30, "price": 0.1},
        },
    )
    r = cs.simulate(sc, seed=2, check_invariants=True)  # raises InvariantError on any day's gap
    acc = r.accounts
    owed = acc["opening_balance"] + acc["interest"] + acc["fees"]
    booked = acc["paid"] + acc["discount"] + acc["written_off"] + acc["sold"] + acc["outstanding"]
    assert np.allclose(owed, booked, atol=1e-6)
    assert r.kpis["interest_accrued"] > 0 and r.kpis["fees_charged"] > 0
    assert 0.0 <= r.kpis["recovery_rate"] <= 1.0
    assert r.kpis["recovery_rate"] == pytest.approx(r.kpis["collected"] / r.kpis["owed"])


def test_interest_raises_what_is_collected_and_written_off() -> None:
    """The same borrowers owe more with interest: charge-off writes off more, and full payments pay more."""
    base = cs.load_scenario(ROOT / "scenarios" / "baseline.toml", {"population.accounts": 2000})
    plain = cs.simulate(base, seed=4).kpis
    charged = cs.simulate(cs.with_overrides(base, {"interest": {"apr": 0.3, "late_fee": 25.0}}), seed=4).kpis
    assert charged["written_off"] > plain["written_off"]
    assert charged["collected"] > plain["collected"]


@pytest.mark.parametrize("kind", ["agency", "legal"])
def test_no_interest_at_an_agency_or_in_court(kind: str) -> None:
    """Placed or sued on day 0 (after the morning's accrual), an account accrues exactly one day's interest."""
    raw = tomllib.loads(NO_PAYMENTS)
    raw["interest"] = {"apr": 0.2}
    raw["channels"][kind] = {"kind": kind}
    raw["agency"] = {"placement_days": 365}
    raw["legal"] = {"service_days": {"dist": "constant", "value": 400.0}}
    stage = {"name": "all", "from_dpd": 1, "to_dpd": 999, "actions": [{"channel": kind}]}
    raw["policy"] = {"ladders": {"one": {"stages": [stage]}}}
    acc = cs.simulate(cs.scenario.scenario_from_dict(raw), seed=1).accounts
    assert np.allclose(acc["interest"], acc["opening_balance"] * 0.2 / 365, rtol=1e-12)


def test_no_interest_during_a_payment_holiday() -> None:
    """Hardship borrowers offered a year's holiday on day 0 accrue one day's interest only, once they accept.

    The offer reaches a borrower with its contactability, so a few take it later or never.
    """
    raw = tomllib.loads(NO_PAYMENTS)
    raw["interest"] = {"apr": 0.2}
    raw["reasons"]["never"].update(hardship=True, willingness=1.0)
    raw["channels"]["holiday"] = {"kind": "deferral", "offer": {"accept_prob": 1.0, "holiday_days": 365}}
    stage = {"name": "all", "from_dpd": 1, "to_dpd": 999, "actions": [{"channel": "holiday"}]}
    raw["policy"] = {"ladders": {"one": {"stages": [stage]}}}
    acc = cs.simulate(cs.scenario.scenario_from_dict(raw), seed=1).accounts
    one_day = np.isclose(acc["interest"], acc["opening_balance"] * 0.2 / 365, rtol=1e-12)
    assert one_day.mean() > 0.8
