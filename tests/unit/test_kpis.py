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
from collectsim.results import Columns

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
    np.testing.assert_array_equal(acc["ever_called"].to_numpy(), np.isin(np.arange(n), calls["account"].to_numpy()))
    assert 0 < r.kpis["share_4_calls_per_week"] <= r.kpis["share_4_contacts_per_week"] < 1
    called = acc["ever_called"].to_numpy()
    assert 0 < called.sum() < (acc["status"] != "pending").sum()
    assert r.kpis["share_4_calls_per_week_called"] == acc["intense_calls_week"].sum() / called.sum()
    assert r.kpis["share_4_calls_per_week_called"] > r.kpis["share_4_calls_per_week"]
    if name == "staffing_inflow":
        assert (ev["outcome"] == "inbound").any()


# Charge-off after agency placement (DPD 120), placements long enough to collect after it.
AFTER_CHARGE_OFF = {"chargeoff.dpd": 130, "horizon.days": 240, "agency.placement_days": 120}


@pytest.fixture(scope="module")
def late_recoveries(slow_payers: cs.Scenario) -> cs.RunResult:
    return cs.simulate(cs.with_overrides(slow_payers, AFTER_CHARGE_OFF), seed=5, check_invariants=True)


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


def _book_with_cures() -> pd.DataFrame:
    """Three segments with a contractual schedule: A and B saw re-defaults, C saw no day at risk.

    Buckets reached (day 0 at DPD 1): accounts 2, 4 and 6 reached DPD 31 on day 30, and 4 and 6 DPD 61 on day 60.
    At horizon 90 that is a 1–30 roll of 3/7 and a 30–60 roll of 2/3; later rolls are not observable.
    """
    rows = [
        # segment, status, dpd, outstanding, pv, after, opening, paid, redefaults, cured_days, life, arrears
        ("A", "active", 10, 100.0, 60.0, 80.0, 100.0, 0.0, 0, 0, 1095.0, 60.0),
        ("A", "cured", 0, 1000.0, 0.0, 0.0, 1200.0, 200.0, 0, 300, 1095.0, 0.0),
        ("A", "active", 45, 200.0, 50.0, 50.0, 300.0, 100.0, 1, 100, 1095.0, 80.0),
        ("B", "cured", 0, 500.0, 0.0, 0.0, 500.0, 0.0, 0, 150, 730.0, 0.0),
        ("B", "written_off", 200, 0.0, 0.0, 0.0, 400.0, 100.0, 2, 50, 730.0, 0.0),
        ("C", "cured", 0, 300.0, 0.0, 0.0, 300.0, 0.0, 0, 0, 365.0, 0.0),
        ("C", "written_off", 200, 0.0, 0.0, 0.0, 200.0, 0.0, 0, 0, 365.0, 0.0),
        ("C", "pending", 0, 1000.0, 0.0, 0.0, 1000.0, 0.0, 0, 0, 365.0, 0.0),  # not yet in collection
    ]
    cols = ["segment", "status", "dpd", "outstanding", "expected_after_horizon_pv", "expected_after_horizon"]
    cols += ["opening_balance", "paid", "redefaults", "cured_days", "remaining_life_days", "arrears"]
    acc = pd.DataFrame(rows, columns=cols)
    acc["segment"] = acc["segment"].astype("category")
    acc["interest"] = acc["fees"] = acc["sale_proceeds"] = 0.0
    acc["entry_dpd"], acc["entry_day"] = 1, 0  # by the calendar every account would be at DPD 91: stage 3
    acc["cures"] = (acc["cured_days"] > 0).astype(int)
    acc["legal_stage"] = "none"
    na = pd.NA
    acc["reached_dpd_1_day"] = pd.array([0, 0, 0, 0, 0, 0, 0, na], dtype="Int32")
    acc["reached_dpd_31_day"] = pd.array([na, na, 30, na, 30, na, 30, na], dtype="Int32")
    acc["reached_dpd_61_day"] = pd.array([na, na, na, na, 60, na, 60, na], dtype="Int32")
    for start in (91, 121, 151):
        acc[f"reached_dpd_{start}_day"] = pd.array([na] * 8, dtype="Int32")
    return acc


def test_performing_allowance_by_hand() -> None:
    """With a schedule, cured balances are stage 1 at PD × LGD × EAD from the run's own re-default and loss
    figures by segment (PD over t days = 1 − (1 − events ÷ days at risk)^t), staged by contractual DPD. An
    account in collection owes its balance less its expected collections, less what a cure brings back: its
    balance beyond the arrears, with the odds of not rolling to charge-off (1 − the product of the rolls ahead
    of it), net of the performing loss (12 months in stage 1 under IFRS 9, else lifetime)."""
    k = metrics.provision_kpis(_book_with_cures(), horizon=90)
    lgd_a = 1 - (80 + 1200 + 150) / (100 + 1200 + 300)  # collected + after horizon + cured balance, ÷ owed
    lgd_b = 1 - (500 + 100) / (500 + 400)
    lgd_c = 1 - 300 / (300 + 200)  # the pending account owes nothing to collection yet
    p_a, p_b, p_all = 1 / 400, 2 / 200, 3 / 600  # C saw no day at risk: the portfolio's
    a_12m, a_life = (1 - (1 - p_a) ** 365) * lgd_a, (1 - (1 - p_a) ** 1095) * lgd_a
    twelve = a_12m * 1000 + (1 - (1 - p_b) ** 365) * lgd_b * 500
    twelve += (1 - (1 - p_all) ** 365) * lgd_c * 300
    life = a_life * 1000 + (1 - (1 - p_b) ** 730) * lgd_b * 500
    life += (1 - (1 - p_all) ** 365) * lgd_c * 300
    back_1 = (1 - 3 / 7 * 2 / 3) * (100 - 60)  # DPD 10: rolls 1–30 then 30–60 to be lost
    back_2 = (1 - 2 / 3) * (200 - 80)  # DPD 45
    stage_1 = 40 - back_1 * (1 - a_12m)
    stage_2 = 150 - back_2 * (1 - a_life)
    assert stage_1 > 0 and stage_2 > 0
    assert k["allowance_performing_12m"] == pytest.approx(twelve, rel=1e-12)
    assert k["allowance_performing_lifetime"] == pytest.approx(life, rel=1e-12)
    assert k["allowance_stage_1"] == pytest.approx(stage_1 + twelve, rel=1e-12)
    assert k["allowance_stage_2"] == pytest.approx(stage_2, rel=1e-12) and k["allowance_stage_3"] == 0.0
    assert k["allowance_at_horizon"] == pytest.approx(stage_1 + stage_2 + twelve, rel=1e-12)
    cecl = 40 - back_1 * (1 - a_life) + stage_2 + life
    assert k["allowance_cecl_at_horizon"] == pytest.approx(cecl, rel=1e-12)
    assert k["exposure_at_horizon"] == 2100.0
    assert k["coverage_at_horizon"] == pytest.approx((stage_1 + stage_2 + twelve) / 2100)
    assert k["pd_12m_observed"] == pytest.approx(1 - (1 - p_all) ** 365)
    assert k["redefault_monthly_observed"] == pytest.approx(1 - (1 - p_all) ** 30)
    assert k["lgd_observed"] == pytest.approx(1 - (1430 + 600 + 300) / (1600 + 900 + 500))


def test_no_cure_credit_in_court_and_the_rolls_stop_at_the_charge_off_bucket() -> None:
    """A case in court accelerates the debt: no arrears to pay up, so no cure credit. A book charged off at 45 DPD
    (bucket 2) loses an account of bucket 1 on its first roll (3/7), and one already in bucket 2 for good."""
    a_12m = (1 - (1 - 1 / 400) ** 365) * (1 - 1430 / 1600)
    acc = _book_with_cures()
    base = metrics.provision_kpis(acc, horizon=90)["allowance_stage_1"]
    acc.loc[0, "legal_stage"] = "served"
    in_court = metrics.provision_kpis(acc, horizon=90)["allowance_stage_1"]
    assert in_court == pytest.approx(base + (1 - 2 / 7) * 40 * (1 - a_12m), rel=1e-12)
    short = metrics.provision_kpis(_book_with_cures(), horizon=90, chargeoff_dpd=45)
    assert short["allowance_stage_2"] == 150.0
    assert short["allowance_stage_1"] == pytest.approx(base + (5 / 7 - 4 / 7) * 40 * (1 - a_12m), rel=1e-12)
def test_without_a_schedule_the_allowance_keys_are_unchanged() -> None:
    """No schedule columns: the KPI set and values of before (the pinned runs compare the set whole)."""
    acc = _book_with_cures().drop(columns=["dpd", "cured_days", "cures"])
    assert set(metrics.provision_kpis(acc, horizon=90)) == {
        "allowance_stage_1",
        "allowance_stage_2",
        "allowance_stage_3",
        "allowance_at_horizon",
        "exposure_at_horizon",
        "coverage_at_horizon",
    }


def test_segment_values_are_read_by_category_code() -> None:
    """Each account gets its segment's value, NaN for a segment the series lacks or no segment, whether the
    segment column is categorical (with categories in any order) or plain text."""
    values = pd.Series([0.1, 0.3], index=pd.CategoricalIndex(["A", "C"]))
    labels = ["C", "A", "B", None, "C"]
    want = [0.3, 0.1, np.nan, np.nan, 0.3]
    for seg in (pd.Categorical(labels, categories=["C", "B", "A"]), pd.Series(labels, dtype=object)):
        got = metrics.by_segment(pd.DataFrame({"segment": seg}), values)
        np.testing.assert_array_equal(got, want)


def test_day_columns_read_the_same_from_numbers_and_text() -> None:
    """A day column is NaN where the event did not happen: NA, a negative sentinel, or text that is no number."""
    want = [5.0, np.nan, np.nan, 0.0]
    columns = {
        "Int64": pd.array([5, pd.NA, -1, 0], dtype="Int64"),
        "int32": np.array([5, -1, -1_000_000, 0], dtype=np.int32),
        "float": np.array([5.0, np.nan, -1.0, 0.0]),
        "text": pd.Series(["5", "", "never", "0"], dtype=object),
    }
    for name, col in columns.items():
        np.testing.assert_array_equal(metrics.day_column(pd.DataFrame({"d": col}), "d"), want, err_msg=name)


def test_is_in_is_isin() -> None:
    """``Columns.is_in`` is ``isin`` as a boolean array, on a categorical (missing values, a label it lacks) and on
    text, as ``Columns.from_frame`` reads them."""
    labels = ["cured", None, "settled", "active", "cured", "sold"]
    for col in (pd.Series(pd.Categorical(labels)), pd.Series(labels, dtype=object), pd.Series(labels, dtype="string")):
        cols = Columns.from_frame(pd.DataFrame({"status": col}))
        for wanted in (metrics.RESOLVED_AS_CURE, metrics.CHARGED_OFF, ("absent",)):
            np.testing.assert_array_equal(cols.is_in("status", wanted), col.isin(wanted).to_numpy(dtype=bool))


def test_contractual_rolls_are_the_reach_of_each_bucket() -> None:
    """The roll KPIs (each day column read once) count what ``contractual_reach`` (the plots') counts per bucket."""
    acc = _book_with_cures()
    rolls = metrics.contractual_roll_rates(acc, 90)
    assert rolls["roll_rate_1_30"] == pytest.approx(3 / 7) and rolls["roll_rate_30_60"] == pytest.approx(2 / 3)
    for b in range(1, metrics.ROLL_BUCKETS + 1):
        base, rolled = metrics.contractual_reach(acc, 90, b)
        by_reach = metrics._safe(float(rolled.sum()), float(base.sum()))  # NaN from bucket 3: none observable
        assert rolls[metrics.roll_rate_name(b)] == pytest.approx(by_reach, rel=0, abs=0, nan_ok=True)


def test_performing_ecl_takes_the_rates_it_is_given() -> None:
    """Passed the book's own loss rates, the performing ECL is the one it computes itself; other rates scale it."""
    acc = _book_with_cures()
    own = metrics.performing_ecl(acc)
    rates = metrics.performing_loss_rates(acc)
    given = metrics.performing_ecl(acc, rates)
    halved = metrics.performing_ecl(acc, (rates[0] / 2, rates[1] / 2))
    for key in ("ead", "ecl_12m", "ecl_lifetime"):
        np.testing.assert_array_equal(given[key], own[key])
    assert own["ecl_12m"].sum() > 0
    np.testing.assert_allclose(halved["ecl_lifetime"], own["ecl_lifetime"] / 2, rtol=1e-15)
