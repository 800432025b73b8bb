"""A run's tables are made on first access, from the numpy ``Columns`` its KPIs were computed from.

A sweep worker returns only KPIs, so it must never import pandas (~0.35 s of every worker's start);
every table a caller does ask for is the one the run always returned, and the KPIs re-measured from
it (a saved run) are the run's own, bit for bit.
"""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys
import textwrap
from dataclasses import FrozenInstanceError
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import collectsim as cs
from collectsim import metrics
from collectsim.results import Columns

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SRC = Path(cs.__file__).resolve().parents[1]
TABLES = ("daily", "accounts", "teams", "costs", "events")


def _fresh(code: str) -> str:
    """What ``code`` prints in a fresh interpreter that imports this checkout's collectsim."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(SRC)},
    )
    return done.stdout.strip()


def test_a_plain_sweep_job_never_imports_pandas() -> None:
    """Importing the runner, loading a shipped scenario and running a job (KPIs only) leave pandas unloaded."""
    out = _fresh(
        f"""
        import sys
        import collectsim.experiments.runner as runner
        print("pandas" in sys.modules)
        from collectsim.scenario import load_scenario
        sc = load_scenario({str(SCENARIOS / "baseline.toml")!r}, overrides={{"population.accounts": 500}})
        rows = runner.run_job(runner.Job(sc, 3, {{"replication": 0}}))
        print("pandas" in sys.modules, len(rows), rows[0]["recovery_rate"] > 0)
        """
    )
    assert out.splitlines() == ["False", "False 1 True"]


@pytest.fixture(scope="module")
def card() -> cs.Scenario:
    """A contractual schedule (day columns reached_dpd_*, re-default risk by segment) with a debt sale."""
    return cs.load_scenario(SCENARIOS / "card_statements.toml", {"population.accounts": 1500})


@pytest.fixture(scope="module")
def card_run(card: cs.Scenario) -> cs.RunResult:
    return cs.simulate(card, seed=4, record_events=True)


def test_tables_are_made_on_first_access_then_kept(card: cs.Scenario) -> None:
    r = cs.simulate(card, seed=4)
    assert not set(TABLES) & set(vars(r))
    assert r.accounts is r.accounts and r.daily is r.daily
    assert r.events is None
    with pytest.raises(FrozenInstanceError):
        r.kpis = {}  # type: ignore[misc]


def test_pickled_result_gives_the_same_tables(card: cs.Scenario, card_run: cs.RunResult) -> None:
    """A result pickles (a process pool may send one back), with its tables made or not yet made."""
    unmade = pickle.loads(pickle.dumps(cs.simulate(card, seed=4, record_events=True)))
    tables = {name: getattr(card_run, name) for name in TABLES}  # made before pickling
    made = pickle.loads(pickle.dumps(card_run))
    assert set(TABLES) <= set(vars(made)) and not set(TABLES) & set(vars(unmade))
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(unmade, name), tables[name], check_exact=True)
        pd.testing.assert_frame_equal(getattr(made, name), tables[name], check_exact=True)
    np.testing.assert_equal(unmade.kpis, card_run.kpis)


def test_columns_read_back_the_table_they_make(card_run: cs.RunResult) -> None:
    """``from_frame`` then ``to_frame`` gives the run's accounts and events tables: dtypes, NA and categories."""
    for table in (card_run.accounts, card_run.events):
        pd.testing.assert_frame_equal(Columns.from_frame(table).to_frame(), table, check_exact=True)


def test_kpis_from_the_tables_are_the_runs(card_run: cs.RunResult, card: cs.Scenario) -> None:
    """Re-measured from the DataFrames (as a saved run is), the portfolio and lifetime KPIs are bit for bit
    the run's own, re-default risk by segment included."""
    days = card.horizon.days
    kpis = metrics.portfolio_kpis(card_run.accounts, days, card_run.kpis["total_cost"])
    kpis |= metrics.lifetime_kpis(
        card_run.accounts, card_run.daily, kpis, card.economy.cost_of_funds, days, card.chargeoff.dpd
    )
    assert "allowance_cecl_at_horizon" in kpis
    for k, v in kpis.items():
        assert v == pytest.approx(card_run.kpis[k], rel=0, abs=0, nan_ok=True), k


def test_text_columns_read_as_categories() -> None:
    """Status and segment read back as text (a CSV) count as the categorical columns do."""
    frame = pd.DataFrame({"status": ["cured", "active", None, "sold"], "resolution_day": ["3", "", "never", "0"]})
    cols = Columns.from_frame(frame)
    np.testing.assert_array_equal(cols.is_in("status", ("cured", "sold")), [True, False, False, True])
    np.testing.assert_array_equal(cols["resolution_day"], [3.0, np.nan, np.nan, 0.0])
    assert cols.rows == 4 and not cols["resolution_day"].flags.writeable
    with pytest.raises(TypeError, match="'status' holds labels"):
        cols["status"]  # codes are no numbers: a sum of them would be silently wrong


def test_a_copy_makes_its_own_tables(card: cs.Scenario) -> None:
    """``copy.copy`` of a result whose tables are not made yet: each copy makes every table for itself."""
    r = cs.simulate(card, seed=4)
    c = copy.copy(r)
    assert len(c.accounts) == len(r.accounts) == card.population.accounts
    assert len(r.daily) == len(c.daily) == card.horizon.days


def test_numbers_written_as_text_or_objects_are_read_as_numbers(card_run: cs.RunResult, card: cs.Scenario) -> None:
    """A user's table with numbers as objects or text, and segments named by numbers (a CSV's "1", "2"), gives
    the KPIs of the run's own table; labels are never summed as numbers."""
    acc = card_run.accounts.copy()
    acc["paid"] = acc["paid"].astype(object)
    acc["interest"] = acc["interest"].astype(str)
    acc["open_at_horizon"] = acc["open_at_horizon"].astype(object)
    acc["segment"] = acc["segment"].cat.codes + 1
    days, cost = card.horizon.days, card_run.kpis["total_cost"]
    kpis = metrics.portfolio_kpis(acc, days, cost)
    kpis |= metrics.lifetime_kpis(acc, card_run.daily, kpis, card.economy.cost_of_funds, days, card.chargeoff.dpd)
    for k in ("collected", "owed", "recovery_rate", "open_share_at_horizon", "allowance_cecl_at_horizon"):
        assert kpis[k] == card_run.kpis[k], k
    risk = metrics.redefault_risk(card_run.accounts)
    per_account = metrics.by_segment(acc, risk["hazard"].set_axis(range(1, len(risk) + 1)))
    np.testing.assert_array_equal(per_account, metrics.by_segment(card_run.accounts, risk["hazard"]))


def test_sums_skip_missing_values_as_pandas_does() -> None:
    """A money column with a NaN (a user's table) sums as ``Series.sum`` does: the NaN counts as nothing."""
    frame = pd.DataFrame({"paid": [1.5, np.nan, 2.25], "payments": [1, 0, 2]})
    cols = Columns.from_frame(frame)
    assert metrics._total(cols["paid"]) == frame["paid"].sum() == 3.75
    assert metrics._total(cols["payments"]) == 3


def test_a_day_column_not_declared_as_one_still_reads_negatives_as_never() -> None:
    """``day_column`` of ``Columns`` built without ``days``: a negative sentinel is NaN, day 0 is a day."""
    cols = Columns({"first_payment_day": np.array([-1, 0, 7])})
    np.testing.assert_array_equal(metrics.day_column(cols, "first_payment_day"), [np.nan, 0.0, 7.0])


def test_a_column_is_read_as_what_it_holds() -> None:
    """``get`` gives a column of numbers or the default where there is none; ``labels`` refuses numbers."""
    cols = Columns({"dpd": np.array([3, 40]), "status": np.array([0, 1])}, categories={"status": ("active", "cured")})
    np.testing.assert_array_equal(cols.get("dpd", 0), [3, 40])
    assert cols.get("arrears", 0.0) == 0.0 and cols.labels("status") == ("active", "cured")
    with pytest.raises(TypeError, match="'dpd' holds numbers, not labels"):
        cols.labels("dpd")
