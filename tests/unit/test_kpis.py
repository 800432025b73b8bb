"""Promise, contact-intensity and recovery KPIs agree with the engine's state and its event log."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import collectsim as cs
from collectsim import metrics
from collectsim.engine.accounts.state import NEVER
from collectsim.engine.daily.loop import Simulation
from collectsim.policy.ladder import LadderPolicy

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
REASONS = ("forgetful", "illiquid", "unwilling", "insolvent")
NOT_CONTACTS = ("inbound", "filed", "placed")


def _run_state(sc: cs.Scenario, seed: int) -> Simulation:
    sim = Simulation(sc, seed, LadderPolicy(), record_events=False, check_invariants=False, progress=None)
    sim.run()
    return sim


@pytest.mark.parametrize("name", ["baseline", "conduct_none"])
def test_every_promise_is_kept_broken_cancelled_or_pending(name: str) -> None:
    """Per account: made = kept + broken + cancelled + still pending at the horizon (with plans, cures, write-offs)."""
    over = {"population.accounts": 3000, "population.mode": "inflow", "population.inflow_days": 60}
    over |= {"chargeoff.dpd": 45, "horizon.days": 90, "channels.call.promise_prob": 0.6}
    sc = cs.load_scenario(SCENARIOS / f"{name}.toml", over)
    s = _run_state(sc, seed=3).state
    pending = (s.promise_due != NEVER).astype(np.int32)
    np.testing.assert_array_equal(s.promises, s.promises_kept + s.promises_broken + s.promises_cancelled + pending)
    assert s.promises_cancelled.sum() > 0 and s.promises_broken.sum() > 0 and pending.sum() > 0
    assert (s.status[pending > 0] == 1).all(), "only an open account can have a pending promise"


def test_promise_columns_add_up(small: cs.Scenario) -> None:
    """The accounts table and the KPIs carry the same accounting; the kept rate is over promises that came due."""
    r = cs.simulate(cs.with_overrides(small, {"horizon.days": 60}), seed=2)
    acc, k = r.accounts, r.kpis
    left = acc["promises"] - acc["promises_kept"] - acc["promises_broken"] - acc["promises_cancelled"]
    assert left.between(0, 1).all()
    assert (acc.loc[left > 0, "status"] == "active").all()
    assert k["promises_made"] == k["promises_kept"] + k["promises_broken"] + k["promises_cancelled"] + left.sum()
    assert k["promise_kept_rate"] == pytest.approx(k["promises_kept"] / (k["promises_kept"] + k["promises_broken"]))


def test_kept_rate_recovers_the_input_promise_kept(small: cs.Scenario) -> None:
    """When every reason keeps a promise with the same probability, the kept rate is that probability.

    Promises due within 1–2 days leave little room for anything else; a cure or plan before the
    date cancels a promise whatever its fate, so excluding cancelled promises leaves the rate unbiased.
    """
    p = 0.6
    over = {f"reasons.{r}.promise_kept": p for r in REASONS} | {f"reasons.{r}.willingness": 0.9 for r in REASONS}
    over |= {"repayment.promise_days": [1, 2], "channels.call.promise_prob": 0.8, "population.accounts": 6000}
    k = cs.simulate(cs.with_overrides(small, over), seed=4).kpis
    due = k["promises_kept"] + k["promises_broken"]
    assert due > 1000
    assert abs(k["promise_kept_rate"] - p) < 4 * math.sqrt(p * (1 - p) / due)


def _four_in_a_week(events: pd.DataFrame, n: int) -> np.ndarray:
    """Brute force: for each account, do any 4 consecutive attempt times span less than 7 days?"""
    hit = np.zeros(n, dtype=bool)
    for acct, t in events.groupby("account")["time"]:
        times = np.sort(t.to_numpy())
        hit[acct] = times.size >= 4 and bool(np.any(times[3:] - times[:-3] < 7))
    return hit


@pytest.mark.parametrize("name", ["baseline", "staffing_inflow", "conduct_us_reg_f"])
def test_intensity_flags_match_the_event_log(name: str) -> None:
    """Calls and visits (no inbound), and every send or attempt, ≥ 4 in 7 days: engine flags = event log."""
    over = {"population.accounts": 2000, "horizon.days": 90, "population.inflow_days": 60}
    sc = cs.load_scenario(SCENARIOS / f"{name}.toml", over)
    r = cs.simulate(sc, seed=1, record_events=True)
    acc, ev = r.accounts, r.events
    kinds = {name: ch.kind for name, ch in sc.channels.items()}
    sends = ev[~ev["outcome"].astype(str).isin(NOT_CONTACTS)]
    calls = sends[sends["channel"].astype(str).map(kinds).isin(["call", "visit"])]
    n = len(acc)
    np.testing.assert_array_equal(acc["intense_calls_week"].to_numpy(), _four_in_a_week(calls, n))
    np.testing.assert_array_equal(acc["intense_any_week"].to_numpy(), _four_in_a_week(sends, n))
    assert 0 < r.kpis["share_4_calls_per_week"] <= r.kpis["share_4_contacts_per_week"] < 1
    if name == "staffing_inflow":
        assert (ev["outcome"] == "inbound").any()


# Charge-off after agency placement (DPD 120), placements long enough to collect after it.
AFTER_CHARGE_OFF = {"chargeoff.dpd": 130, "horizon.days": 240, "agency.placement_days": 120}


@pytest.fixture(scope="module")
def late_recoveries(small: cs.Scenario) -> cs.RunResult:
    return cs.simulate(cs.with_overrides(small, AFTER_CHARGE_OFF), seed=5, check_invariants=True)


def test_recovered_after_write_off(late_recoveries: cs.RunResult) -> None:
    """Written off, then paid in full: status ``recovered``, nothing left written off; amounts add up to the KPIs."""
    acc, k = late_recoveries.accounts, late_recoveries.kpis
    rec, wo = acc[acc["status"] == "recovered"], acc[acc["status"] == "written_off"]
    assert len(rec) > 5
    assert (rec["written_off"].abs() < 1e-9).all() and (rec["outstanding"] == 0).all()
    assert (rec["recovered_after_write_off"] > 0).all()
    assert (rec["resolution_dpd"] == 130).all()  # resolved on the day it was charged off
    np.testing.assert_allclose(rec["paid"] + rec["discount"], rec["opening_balance"])
    assert (wo["written_off"] > 0).all()
    never_charged = acc[~acc["status"].isin(metrics.CHARGED_OFF)]
    assert (never_charged["recovered_after_write_off"] == 0).all()
    assert (acc["recovered_after_write_off"] <= acc["paid"] + 1e-9).all()
    assert k["recovered_accounts"] == len(rec)
    assert k["recovered_after_write_off"] == pytest.approx(acc["recovered_after_write_off"].sum())
    assert k["write_off_account_rate"] == pytest.approx((len(rec) + len(wo)) / len(acc))


def test_recovered_is_not_a_cure(late_recoveries: cs.RunResult) -> None:
    """A recovered account counts as charged off, never as cured."""
    acc = late_recoveries.accounts
    as_cured = acc.assign(status=acc["status"].astype(str).replace("recovered", "cured"))
    assert (acc["status"] == "recovered").any()
    assert metrics.cure_rate(acc, 150, 240) < metrics.cure_rate(as_cured, 150, 240)


def test_no_payment_rates_by_hand() -> None:
    """Open at the bucket's start and observable to its end; 'no payment' means its bucket bit is unset."""
    acc = pd.DataFrame(
        {
            "entry_dpd": [1, 1, 1, 1, 1],
            "entry_day": [0, 0, 0, 0, 150],  # the last one cannot be seen to DPD 60
            "resolution_dpd": [np.nan, 40.0, 20.0, np.nan, np.nan],  # the third cured before DPD 31
            # bit 0: paid in DPD 1–30; bit 1: paid in DPD 31–60
            "paid_buckets": [0b01, 0b10, 0b01, 0b00, 0b00],
        }
    )
    rates = metrics.no_payment_rates(acc, horizon=180)
    # Open at DPD 31 and seen to 60: rows 0, 1, 3; without a payment in 31–60: rows 0 and 3.
    assert rates["no_payment_rate_31_60"] == pytest.approx(2 / 3)
    # Bucket 1–30: all five are seen to DPD 30 (the last exactly); rows 1, 3 and 4 paid nothing in it.
    assert rates["no_payment_rate_1_30"] == pytest.approx(3 / 5)


def test_payment_bucket_bits_follow_payments(small_run: cs.RunResult) -> None:
    """An account with a payment has at least one bucket bit; one without has none; a DPD-1 cure sets bit 0."""
    acc = small_run.accounts
    np.testing.assert_array_equal(acc["paid_buckets"].to_numpy() > 0, acc["payments"].to_numpy() > 0)
    paid_in_30 = acc["first_payment_day"].between(0, 29).fillna(False).to_numpy(dtype=bool)  # NA: never paid
    early = paid_in_30 & (acc["entry_dpd"].to_numpy() == 1)
    assert early.any() and (acc["paid_buckets"].to_numpy()[early] & 1 == 1).all()


def test_provision_by_stage_by_hand() -> None:
    """Allowance = owed − discounted expected collections, for open accounts only, staged by DPD at the horizon."""
    acc = pd.DataFrame(
        {
            "status": ["active", "active", "active", "written_off", "cured"],
            "outstanding": [100.0, 200.0, 300.0, 0.0, 0.0],
            "expected_after_horizon_pv": [60.0, 50.0, 400.0, 80.0, 0.0],
            "entry_dpd": [1, 1, 1, 1, 1],
            "entry_day": [70, 30, 0, 0, 0],  # DPD at horizon 90: 21, 61, 91
        }
    )
    k = metrics.provision_kpis(acc, horizon=90)
    assert k["allowance_stage_1"] == 40.0
    assert k["allowance_stage_2"] == 150.0
    assert k["allowance_stage_3"] == 0.0  # expected value above what is owed: no negative allowance
    assert k["allowance_at_horizon"] == 190.0 and k["exposure_at_horizon"] == 600.0
    assert k["coverage_at_horizon"] == pytest.approx(190 / 600)
