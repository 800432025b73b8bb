"""Every shipped scenario loads, validates and runs over a short horizon."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

import collectsim as cs
from collectsim.calibration import load_targets

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.toml"))


def test_the_four_named_scenarios_ship() -> None:
    names = {p.stem for p in SCENARIOS}
    assert {"baseline", "soft", "aggressive", "risk_based"} <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_runs_short(path: Path) -> None:
    """Over 100 days with 2,000 accounts the scenario collects money and conserves it."""
    sc = cs.load_scenario(path, {"population.accounts": 2000})
    short = {"horizon.days": 100} | ({"population.inflow_days": 70} if sc.population.mode == "inflow" else {})
    sc = cs.with_overrides(sc, short)
    r = cs.simulate(sc, seed=1, check_invariants=True)
    assert 0 < r.kpis["recovery_rate"] < 1
    assert r.kpis["total_cost"] > 0


TARGETS = sorted((Path(__file__).resolve().parents[1] / "scenarios" / "targets").glob("*.toml"))


@pytest.mark.parametrize("path", TARGETS, ids=[p.stem for p in TARGETS])
def test_targets_files_fit_their_scenario(path: Path) -> None:
    """Each targets file names KPIs and free fields of its scenario (the longest file stem it starts with)."""
    stems = [p.stem for p in SCENARIOS if path.stem.startswith(p.stem)]
    assert stems, f"no scenario for {path.name}"
    sc = cs.load_scenario(path.parents[1] / f"{max(stems, key=len)}.toml")
    spec = load_targets(path, sc)
    assert spec.targets and spec.free


def test_calibration_benchmark_prints_a_preset(capsys: pytest.CaptureFixture[str]) -> None:
    """benchmarks/calibration.py measures a calibrated preset beside its targets, untreated row included."""
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "calibration.py"
    preset = script.parents[1] / "scenarios" / "cn_consumer_loan.toml"
    argv = ["calibration.py", "--scenario", str(preset), "--accounts", "1000"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.argv", argv)
        runpy.run_path(str(script), run_name="__main__")
    out = capsys.readouterr().out
    assert "cn_consumer_loan: 1,000 accounts, seeds 1–1" in out
    assert "untreated" in out and "T10" in out


def test_direction_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """benchmarks/direction.py compares untreated, the ladder and the risk-based policy at three AUCs."""
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "direction.py"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.argv", ["direction.py", "--accounts", "500", "--seeds", "1"])
        runpy.run_path(str(script), run_name="__main__")
    out = capsys.readouterr().out
    assert out.count("risk_based auc=") == 3 and "untreated, no teams" in out
