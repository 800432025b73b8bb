"""No validated scenario gives impossible results: fractions in [0, 1], no infinity, NaN only where undefined.

The guard is ``metrics.impossible_kpis``, over the KPI families declared in ``metrics`` (not guessed from
names). Scenarios are shipped ones with fields drawn across their allowed ranges, often at the bounds.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, assume, given, settings

import collectsim as cs
from collectsim import metrics
from collectsim.errors import ScenarioError
from strategies import SCENARIOS, valid_overrides

PROPERTY = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)


def _check(name: str, overrides: dict) -> None:
    try:
        sc = cs.load_scenario(SCENARIOS / name, overrides)
    except ScenarioError:
        assume(False)
        return
    result = cs.simulate(sc, 1, check_invariants=True)
    assert metrics.impossible_kpis(result.kpis) == [], (name, overrides)


@PROPERTY
@given(valid_overrides())
def test_valid_scenarios_give_possible_kpis(case: tuple[str, dict]) -> None:
    """Every KPI of a run of a valid scenario is finite (or NaN where undefined), every fraction in [0, 1]."""
    _check(*case)


@pytest.mark.slow
@settings(PROPERTY, max_examples=300)
@given(valid_overrides())
def test_valid_scenarios_give_possible_kpis_many(case: tuple[str, dict]) -> None:
    """The same property over many more scenarios (run with -m slow)."""
    _check(*case)


def test_guard_flags_impossible_values() -> None:
    """The guard names a fraction above 1, an infinite cost and a NaN where a value must exist."""
    found = metrics.impossible_kpis(
        {"recovery_rate": 1.2, "total_cost": math.inf, "collected": math.nan, "team.a.utilisation": -0.5}
    )
    assert [f.split(" =")[0] for f in found] == ["recovery_rate", "total_cost", "collected", "team.a.utilisation"]
    assert (
        metrics.impossible_kpis({"roll_rate_30_60": math.nan, "liquidation_d010": 0.3, "team.x.inbound_asa_s": 4.0})
        == []
    )


def test_every_kpi_is_declared_or_plain(small_run: cs.RunResult) -> None:
    """Every declared pattern matches some KPI of a baseline run or of a run with statements
    (card_statements), so a renamed KPI cannot escape the guard."""
    statements = cs.load_scenario(SCENARIOS / "card_statements.toml", overrides={"population.accounts": 500})
    names = [*small_run.kpis, *cs.simulate(statements, seed=1).kpis]
    for pattern in (*metrics.FRACTION_KPIS, *metrics.UNDEFINED_WHEN_EMPTY):
        assert any(metrics._declared(n, (pattern,)) for n in names), pattern


def test_a_cost_of_funds_too_small_for_floats_is_no_cost_of_funds() -> None:
    """Found by the property above: at 3.4e-255 a year the weekly discount factor is 1.0 in floats, and the
    garnishment series (1 − vᵐ)/(1 − v) was 0/0, so a court's expected collections (and the allowance) were NaN."""
    tiny = {
        "population.accounts": 1,
        "horizon.days": 1,
        "population.mode": "cohort",
        "economy.cost_of_funds": 3.3849715463204114e-255,
        "agency.placement_days": 1,
        "population.segments.near_prime.balance": {"dist": "constant", "value": 0},
        "population.segments.prime.balance": {"dist": "constant", "value": 1e12},
        "population.segments.prime.entry_dpd": 45,
    }
    sc = cs.load_scenario(SCENARIOS / "aggressive.toml", tiny)
    flat = cs.with_overrides(sc, {"economy.cost_of_funds": 0.0})
    for seed in range(8):
        kpis, same = cs.simulate(sc, seed).kpis, cs.simulate(flat, seed).kpis
        assert metrics.impossible_kpis(kpis) == [], seed
        assert kpis["allowance_stage_2"] == pytest.approx(same["allowance_stage_2"], rel=1e-12, nan_ok=True)
