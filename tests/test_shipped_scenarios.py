"""Every shipped scenario loads, validates and runs over a short horizon."""

from __future__ import annotations

from pathlib import Path

import pytest

import collectsim as cs

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
