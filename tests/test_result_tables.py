"""Conventions every result table keeps: a missing value is NA, never a sentinel number; one name per concept.

The engine marks "has not happened" with -1 or -1_000_000 inside; a user's ``mean()`` must never
see those. An account is ``account`` in every table, as in the calibration inputs. Folders saved by
earlier versions (sentinels, ``account_id``) read back the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import collectsim as cs
from collectsim import metrics, readback
from collectsim.results import MISSING_DAY_COLUMNS
from collectsim.store import write_run

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
INFLOW = {"population.mode": "inflow", "population.inflow_days": 60}  # late entrants are still open at the horizon


def legacy(accounts: pd.DataFrame) -> pd.DataFrame:
    """The accounts table as earlier versions wrote it: ``account_id``, int32 sentinels, NaN for an unresolved DPD."""
    old = accounts.rename(columns={"account": "account_id"})
    for col in MISSING_DAY_COLUMNS:
        if col == "resolution_dpd":
            old[col] = old[col].to_numpy(dtype=float)
        else:
            old[col] = old[col].fillna(-1_000_000 if col == "broken_plan_day" else -1).to_numpy(dtype=np.int32)
    return old


@pytest.fixture(scope="module")
def sale_scenario() -> cs.Scenario:
    """Repayment plans (some break), an inflow (late entrants still open at the horizon) and debt sale after
    charge-off (placed accounts too, so some are sold whatever the luck): every day column has both values and NAs."""
    over = {"population.accounts": 3000, **INFLOW, "chargeoff.dpd": 150}
    over |= {"debt_sale.price": 0.12, "debt_sale.skip_placed": False}
    return cs.load_scenario(SCENARIOS / "conduct_none.toml", over)


@pytest.fixture(scope="module")
def sale_run(sale_scenario: cs.Scenario) -> cs.RunResult:
    return cs.simulate(sale_scenario, seed=5)


def test_day_columns_are_nullable_with_no_sentinel(sale_run: cs.RunResult) -> None:
    """Every "day it happened" column is Int64, and holds no negative number: a day that never came is NA."""
    acc = sale_run.accounts
    for col in MISSING_DAY_COLUMNS:
        assert acc[col].dtype == "Int64", col
        assert acc[col].isna().any() and acc[col].notna().any(), col
        assert (acc[col].dropna() >= 0).all(), col


def test_na_exactly_where_the_event_did_not_happen(sale_run: cs.RunResult) -> None:
    """No payment ⇔ no first-payment day; unresolved ⇔ no resolution day or DPD; unsold ⇔ no sale day."""
    acc = sale_run.accounts
    np.testing.assert_array_equal(acc["first_payment_day"].isna(), acc["payments"] == 0)
    unresolved = acc["status"].isin(["active", "pending"]).to_numpy()
    np.testing.assert_array_equal(acc["resolution_day"].isna(), unresolved)
    np.testing.assert_array_equal(acc["resolution_dpd"].isna(), unresolved)
    np.testing.assert_array_equal(acc["sale_day"].isna(), acc["status"] != "sold")
    first = acc["first_payment_day"].dropna()
    assert first.mean() == pytest.approx(first[first >= 0].mean())  # no sentinel drags the mean down


def test_kpis_read_the_same_from_na_and_from_sentinels(sale_run: cs.RunResult, sale_scenario: cs.Scenario) -> None:
    """The KPIs computed from the table are the run's, bit for bit, whether it holds NA or old sentinels."""
    total_cost, days = sale_run.kpis["total_cost"], sale_scenario.horizon.days
    now = metrics.portfolio_kpis(sale_run.accounts, days, total_cost)
    before = metrics.portfolio_kpis(legacy(sale_run.accounts), days, total_cost)
    assert now.keys() == before.keys()
    for k, v in now.items():
        assert v == pytest.approx(sale_run.kpis[k], rel=0, abs=0, nan_ok=True), k
        assert v == pytest.approx(before[k], rel=0, abs=0, nan_ok=True), k


def test_saved_run_keeps_na(small_run: cs.RunResult, small: cs.Scenario, tmp_path: Path) -> None:
    """accounts.parquet keeps the nullable columns, and reading it back gives the table the run returned."""
    folder = write_run(small_run, small, tmp_path, manifest={}, now=datetime(2024, 1, 1, tzinfo=UTC))
    back = readback.accounts(folder / "accounts.parquet")
    pd.testing.assert_frame_equal(back, small_run.accounts)


def test_old_folder_reads_back_as_today(sale_run: cs.RunResult, tmp_path: Path) -> None:
    """An accounts table saved with ``account_id`` and sentinels (-1, -1_000_000, NaN) reads back as a new one."""
    path = tmp_path / "accounts.parquet"
    legacy(sale_run.accounts).to_parquet(path, index=False)
    back = readback.accounts(path)
    assert list(back.columns) == list(sale_run.accounts.columns)
    for col in (*MISSING_DAY_COLUMNS, "account"):
        pd.testing.assert_series_equal(back[col], sale_run.accounts[col])


def test_one_name_for_an_account(small_run: cs.RunResult) -> None:
    """Accounts and events name the account ``account``, with the same keys; no table says ``account_id``."""
    for name in ("accounts", "daily", "teams", "costs", "events"):
        assert "account_id" not in getattr(small_run, name).columns, name
    acc, ev = small_run.accounts, small_run.events
    assert acc["account"].is_unique and len(ev) > 0
    assert ev["account"].isin(acc["account"]).all()
    joined = ev.merge(acc[["account", "entry_day"]], on="account", how="left", validate="many_to_one")
    assert joined["entry_day"].notna().all() and (joined["day"] >= joined["entry_day"]).all()


def test_calibration_inputs_use_the_same_name() -> None:
    """The account histories a calibration reads key their rows by ``account``, as the result tables do."""
    from collectsim.calibration.histories import ACCOUNT_COLUMNS, EVENT_COLUMNS

    assert ACCOUNT_COLUMNS[0] == "account" and EVENT_COLUMNS[0] == "account"


def test_schedule_day_columns_are_nullable_too(tmp_path: Path) -> None:
    """With a card contract, first_cure_day and reached_dpd_<d>_day are Int64 with NA for "never"; a table
    saved with their -1 sentinels reads back the same."""
    sc = cs.load_scenario(SCENARIOS / "card_statements.toml", {"population.accounts": 1500, "horizon.days": 120})
    acc = cs.simulate(sc, seed=2).accounts
    days = [c for c in acc.columns if c == "first_cure_day" or (c.startswith("reached_dpd_") and c.endswith("_day"))]
    assert "first_cure_day" in days and len(days) > 2
    for col in days:
        assert acc[col].dtype == "Int64" and (acc[col].dropna() >= 0).all(), col
    assert acc["first_cure_day"].isna().any() and acc["first_cure_day"].notna().any()
    old = acc.copy()
    for col in days:
        old[col] = old[col].fillna(-1).to_numpy(dtype=np.int32)
    old.to_parquet(tmp_path / "accounts.parquet", index=False)
    back = readback.accounts(tmp_path / "accounts.parquet")
    for col in days:
        pd.testing.assert_series_equal(back[col], acc[col])
