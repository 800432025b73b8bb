"""Replications, paired comparisons with common random numbers, sweeps on every executor, resume."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import collectsim as cs
from collectsim.experiments import champion_challenger, compare, replicate, sweep, sweep_identities
from collectsim.experiments.design import Parameter, grid, sobol_saltelli
from collectsim.experiments.executors import DaskExecutor, ProcessExecutor
from collectsim.experiments.runner import replication_seeds
from collectsim.store import SweepStore

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
TINY = {"population.accounts": 1200, "horizon.days": 90}


@pytest.fixture(scope="module")
def pair() -> dict[str, cs.Scenario]:
    return {name: cs.load_scenario(SCENARIOS / f"{name}.toml", TINY) for name in ("baseline", "soft")}


def test_replication_seeds_are_stable() -> None:
    """Replication r has the same seed however many replications are asked for; streams differ."""
    assert replication_seeds(1, 5)[:3] == replication_seeds(1, 3)
    assert replication_seeds(1, 2, start=3) == replication_seeds(1, 5)[3:]
    assert replication_seeds(1, 3, stream=1) != replication_seeds(1, 3)


def test_replicate_table(pair: dict[str, cs.Scenario]) -> None:
    """One row per replication, distinct seeds, a summary with intervals."""
    res = replicate(pair["baseline"], 4, seed=2)
    df = res.to_frame()
    assert list(df["replication"]) == [0, 1, 2, 3] and df["seed"].nunique() == 4
    s = res.summary().set_index("kpi")
    assert s.loc["recovery_rate", "half_width"] > 0


def test_crn_shrinks_variance_of_difference(pair: dict[str, cs.Scenario]) -> None:
    """Common random numbers give a smaller variance of (soft − baseline) than independent streams."""
    crn = compare(pair, 10, seed=3).to_frame()
    ind = compare(pair, 10, seed=3, common_random_numbers=False).to_frame()

    def diff_var(df: pd.DataFrame, kpi: str) -> float:
        w = df.pivot(index="replication", columns="policy", values=kpi)
        return float(np.var(w["soft"] - w["baseline"], ddof=1))

    for kpi in ("recovery_rate", "net_recovery", "cure_rate_dpd30"):
        assert diff_var(crn, kpi) * 2 < diff_var(ind, kpi), kpi


def test_compare_summary_and_pairing(pair: dict[str, cs.Scenario]) -> None:
    """Policies share replication seeds; the summary carries paired differences and a VRF."""
    comp = compare(pair, 4, seed=1)
    df = comp.to_frame()
    seeds = df.pivot(index="replication", columns="policy", values="seed")
    assert (seeds["baseline"] == seeds["soft"]).all()
    s = comp.summary(["recovery_rate"]).set_index("policy")
    assert np.isnan(s.loc["baseline", "diff"]) and not np.isnan(s.loc["soft", "diff"])
    assert s.loc["soft", "variance_reduction"] > 1


def test_adaptive_replications(pair: dict[str, cs.Scenario]) -> None:
    """Replications are added in batches until the interval is narrow enough, never past the cap."""
    capped = compare(pair, 3, seed=1, target_half_width=1e-9, max_n=6).to_frame()
    assert capped["replication"].max() == 5
    loose = compare(pair, 3, seed=1, target_half_width=0.5, max_n=30).to_frame()
    assert loose["replication"].max() == 2


def test_in_run_arms(pair: dict[str, cs.Scenario]) -> None:
    """In one run the challenger's arm holds about its share of accounts; arms partition the portfolio."""
    df = champion_challenger(pair, 2, seed=1, share=0.3)
    for _, sub in df.groupby("replication"):
        counts = sub.set_index("arm")["accounts"]
        assert counts.sum() == 1200
        assert counts["challenger"] / 1200 == pytest.approx(0.3, abs=0.05)
    comp = compare(pair, 2, seed=1, in_run_share=0.3)
    assert set(comp.in_run_summary()["kpi"]) >= {"recovery_rate", "net_recovery_per_account"}


def _small_design() -> list[dict]:
    return grid(
        [
            Parameter("teams.late_callers.headcount", levels=(2, 6)),
            Parameter("legal.court_days.mean", levels=(30.0, 90.0)),
        ]
    )


@pytest.fixture(scope="module")
def sequential_sweep(pair: dict[str, cs.Scenario]) -> pd.DataFrame:
    return sweep(pair["baseline"], _small_design(), 2, seed=4).to_frame()


def test_sweep_table_shape(sequential_sweep: pd.DataFrame) -> None:
    """One row per point × replication, with the parameters as columns."""
    df = sequential_sweep
    assert len(df) == 8
    assert set(df["teams.late_callers.headcount"]) == {2, 6}
    assert (df.groupby("replication")["seed"].nunique() == 1).all()


@pytest.mark.parametrize("kind", ["process", "dask"])
def test_bit_identical_across_executors(
    pair: dict[str, cs.Scenario], sequential_sweep: pd.DataFrame, kind: str
) -> None:
    """A process pool and a local Dask cluster give exactly the sequential table."""
    if kind == "dask":
        pytest.importorskip("distributed")
    make = (lambda: ProcessExecutor(2)) if kind == "process" else (lambda: DaskExecutor("local", 2))
    with make() as ex:
        df = sweep(pair["baseline"], _small_design(), 2, seed=4, executor=ex).to_frame()
    pd.testing.assert_frame_equal(df, sequential_sweep, check_exact=True)


def test_resume_after_crash(tmp_path, pair: dict[str, cs.Scenario], sequential_sweep: pd.DataFrame) -> None:
    """A sweep stopped after 3 jobs, with a torn journal line, resumes: nothing lost, nothing rerun."""
    store = SweepStore(tmp_path, "crash", "k", sweep_identities(_small_design(), 2, seed=4))

    class Crash(Exception):
        pass

    def journal_then_crash(job: int, rows: list) -> None:
        store.append(job, rows)
        if len(store.resume().done) == 3:
            raise Crash

    with store, pytest.raises(Crash):
        sweep(pair["baseline"], _small_design(), 2, seed=4, on_rows=journal_then_crash)
    with open(store.journal, "a") as fh:
        fh.write('{"job": 7, "rows": [{"poi')  # killed mid-write
    found = store.resume()
    assert len(found.done) == 3 and found.damaged == []
    rerun: list[int] = []
    res = sweep(
        pair["baseline"],
        _small_design(),
        2,
        seed=4,
        done=found.done,
        on_rows=lambda j, rows: (rerun.append(j), store.append(j, rows)),
    )
    assert len(rerun) == 5 and not set(rerun) & set(found.done)
    pd.testing.assert_frame_equal(res.to_frame(), sequential_sweep, check_exact=True)
    assert len(store.resume().done) == 8


def test_sobol_sweep_gives_indices(pair: dict[str, cs.Scenario]) -> None:
    """A Saltelli design returns first-order and total indices for the chosen KPIs."""
    design = sobol_saltelli(
        [
            Parameter("teams.late_callers.headcount", low=1, high=10, integer=True),
            Parameter("economy.unemployment_change_pp", low=-2.0, high=4.0),
        ],
        4,
        seed=1,
    )
    res = sweep(pair["baseline"], design, 1, seed=1, sobol_kpis=("recovery_rate",))
    assert len(res.table) == 16
    assert set(res.sobol.columns) >= {"parameter", "S1", "ST", "kpi"}
    idx = res.sobol.set_index("parameter")
    assert idx.loc["economy.unemployment_change_pp", "ST"] > idx.loc["teams.late_callers.headcount", "ST"]
