"""Every number in a scenario is strict, finite and bounded; every value that validates can be run.

A file that passes ``validate`` must not crash ``run``: the cases here once did (a traceback, a bare
ValueError or OverflowError from ``simulate``) or produced impossible results (NaN recovery, infinite
cost). Each is now a ``ScenarioError`` naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import collectsim as cs
from collectsim.errors import CollectsimError, ScenarioError
from collectsim.scenario import scenario_from_dict
from collectsim.scenario.schema import DistSpec

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml"
SMALL = {"population.accounts": 200, "horizon.days": 20}
NEG_30 = {"dist": "constant", "value": -30}

# (override, field path the error names, a phrase of the message); each ran into a crash or a NaN before.
RUNS_BUT_CRASHED = [
    ({"reasons": {}}, "reasons", "must not be empty"),
    ({"population.segments.prime.reasons": {}}, "population.segments.prime.reasons", "must not be empty"),
    ({"legal.service_days": NEG_30}, "legal.service_days", "duration in days must be ≥ 0"),
    ({"legal.court_days": NEG_30}, "legal.court_days", "duration in days must be ≥ 0"),
    ({"legal.contested_days": {"dist": "uniform", "low": -5, "high": 5}}, "legal.contested_days", "≥ 0"),
    ({"legal.filing_minutes": NEG_30}, "legal.filing_minutes", "duration in minutes must be ≥ 0"),
    ({"teams.early_callers.handle_minutes.wrap_up": NEG_30}, "teams.early_callers.handle_minutes.wrap_up", "≥ 0"),
    ({"repayment.partial_fraction": {"dist": "exponential", "mean": 0.3}}, "repayment.partial_fraction", "[0, 1]"),
    ({"agency.partial_fraction": {"dist": "constant", "value": 1.5}}, "agency.partial_fraction", "[0, 1]"),
    ({"population.segments.prime.balance": NEG_30}, "population.segments.prime.balance", "amount of money"),
    ({"legal.court_days": {"dist": "exponential", "mean": 1e9}}, "legal.court_days", "mean 1e+09 exceeds 3650"),
    ({"legal.court_days": {"dist": "lognormal", "mean": 1e-6, "sd": 1e6}}, "legal.court_days", "exceeds 100 × mean"),
    (
        {"population.segments.prime.balance": {"dist": "triangular", "low": 0, "mode": 0, "high": 0}},
        "population.segments.prime.balance",
        "needs low < high",
    ),
    ({"repayment.promise_days": [1, 1_000_000_000_000]}, "repayment.promise_days.1", "less than or equal to 365"),
    ({"economy.unemployment_change_pp": -1e6}, "economy.unemployment_change_pp", "greater than or equal to -50"),
    ({"economy.beta": 1e3}, "economy.beta", "less than or equal to 1"),
    (
        {"population.mode": "inflow", "population.inflow_days": 30, "population.inflow_weekly_weights": [1e308, 1e308]},
        "population.inflow_weekly_weights.0",
        "less than or equal to 1000000",
    ),
    ({"population.segments.prime.balance.value": math.inf}, "population.segments.prime.balance.value", "finite"),
    (
        {"teams.early_callers.handle_minutes.right_party": {"dist": "constant", "value": math.nan}},
        "teams.early_callers.handle_minutes.right_party.value",
        "finite",
    ),
    ({"channels.sms.cost": 1e308}, "channels.sms.cost", "less than or equal to 1000000000000"),
    ({"teams.early_callers.headcount": 100_000}, "teams.early_callers.headcount", "less than or equal to 10000"),
    ({"channels.sms.cost": "12"}, "channels.sms.cost", "valid number"),
    ({"channels.sms.cost": True}, "channels.sms.cost", "valid number"),
    ({"teams.early_callers.headcount": "12"}, "teams.early_callers.headcount", "valid integer"),
    ({"teams.early_callers.headcount": 12.0}, "teams.early_callers.headcount", "valid integer"),
    ({"description": "x" * 20_000}, "description", "at most 10000 characters"),
]


@pytest.mark.parametrize(("override", "path", "phrase"), RUNS_BUT_CRASHED, ids=[c[1] for c in RUNS_BUT_CRASHED])
def test_value_the_engine_cannot_run_is_rejected(override: dict, path: str, phrase: str) -> None:
    """A value that once validated and then crashed the run (or made NaN) is an error naming its field."""
    with pytest.raises(ScenarioError) as info:
        cs.load_scenario(BASELINE, {**SMALL, **override})
    hits = [msg for p, msg in info.value.problems if p == path]
    assert hits, info.value.problems
    assert any(phrase in m for m in hits), hits


def _numeric_leaves(data: Any, path: str = "") -> Iterator[tuple[str, int | float]]:
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _numeric_leaves(v, f"{path}.{k}" if path else str(k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _numeric_leaves(v, f"{path}.{i}")
    elif isinstance(data, int | float) and not isinstance(data, bool):
        yield path, data


def _baseline_leaves() -> list[tuple[str, int | float]]:
    """Every number of the baseline with its defaults filled in (rulebook presets excluded: not fields)."""
    full = cs.load_scenario(BASELINE).model_dump(mode="json", exclude_none=True)
    return list(_numeric_leaves(full))


LEAVES = _baseline_leaves()


def test_every_number_is_strict_finite_and_bounded() -> None:
    """For every numeric field of the (fully defaulted) baseline: text, booleans, NaN, ±inf and ±1e308 are errors."""
    assert len(LEAVES) > 150
    full = cs.load_scenario(BASELINE).model_dump(mode="json", exclude_none=True)
    accepted: list[str] = []
    for path, value in LEAVES:
        for bad in (str(value), True, math.nan, math.inf, -math.inf, 1e308, -1e308, 2**62):
            try:
                scenario_from_dict(full, {path: bad})
            except ScenarioError as exc:
                if not any(p.startswith(path) for p, _ in exc.problems):
                    accepted.append(f"{path}={bad!r} (other error: {exc.problems[0]})")
            else:
                accepted.append(f"{path}={bad!r}")
    assert not accepted, accepted[:20]


def test_numpy_scalars_in_overrides_are_plain_numbers(baseline: cs.Scenario) -> None:
    """Designs and calibration build overrides from numpy: an int64 headcount is an integer, not an error."""
    sc = cs.with_overrides(baseline, {"teams.early_callers.headcount": np.int64(7), "channels.sms.cost": np.float64(1)})
    assert sc.teams["early_callers"].headcount == 7 and type(sc.teams["early_callers"].headcount) is int


def test_check_invariants_catches_nan_balances(baseline: cs.Scenario) -> None:
    """A NaN balance (built around validation) fails the money-conservation check instead of passing it."""
    sc = cs.with_overrides(baseline, SMALL)
    nan_balance = DistSpec.model_construct(dist="constant", value=math.nan)
    segments = {name: seg.model_copy(update={"balance": nan_balance}) for name, seg in sc.population.segments.items()}
    broken = sc.model_copy(update={"population": sc.population.model_copy(update={"segments": segments})})
    with pytest.raises(CollectsimError, match="not finite"):  # the engine's InvariantError
        cs.simulate(broken, 1, check_invariants=True)


@pytest.mark.parametrize(
    ("override", "path"),
    [
        ({"teams.field_agents.helps": True}, "teams.field_agents.helps"),
        ({"teams.field_agents.helps": [["x"]]}, "teams.field_agents.helps.0"),
        ({"channels.call.team": ["early_callers"]}, "channels.call.team"),
        ({"channels.sms.callback": {"a": 1}}, "channels.sms.callback"),
        ({"policy.ladders.standard.segments": True}, "policy.ladders.standard.segments"),
    ],
)
def test_malformed_references_are_field_errors(override: dict, path: str) -> None:
    """Wrong types where a name is expected (found by fuzzing: a TypeError traceback) are reported as field errors."""
    with pytest.raises(ScenarioError) as info:
        cs.load_scenario(BASELINE, override)
    assert any(p == path for p, _ in info.value.problems), info.value.problems
