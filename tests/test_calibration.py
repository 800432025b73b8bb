"""Calibration to aggregate targets: recovery of known parameters, the optimisers, the targets file checks."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

import collectsim as cs
from collectsim.calibration import check_targets
from collectsim.calibration.fit import _least_squares, _nelder_mead
from collectsim.errors import CollectsimError, ScenarioError

TRUTH = {"reasons.forgetful.lambda_inf": 0.10, "channels.call.effect": 0.03}
BOUNDS = {"reasons.forgetful.lambda_inf": (0.05, 0.4), "channels.call.effect": (0.005, 0.1)}
# liquidation_d010 is driven mostly by self-cure (lambda_inf), cure_rate_dpd30 mostly by calls
# (effect): together they pin both parameters. cure_rate_dpd30 with liquidation_d060 would not:
# both respond to the call effect, and λ moves liquidation_d060 by < 0.1 pp per 0.02 (measured).
KPIS = ("liquidation_d010", "cure_rate_dpd30")
TOLERANCE = 0.005
SHIPPED = Path(__file__).resolve().parents[1] / "scenarios" / "targets" / "baseline_t1.toml"


@pytest.fixture(scope="module")
def small(baseline: cs.Scenario) -> cs.Scenario:
    """1,000 accounts over 31 days: long enough to observe the DPD-30 cure rate, ~0.4 s a run."""
    return cs.with_overrides(baseline, {"population.accounts": 1000, "horizon.days": 31})


def _spec(values: dict[str, float]) -> dict:
    return {
        "name": "recovery",
        "targets": {k: {"value": v, "tolerance": TOLERANCE} for k, v in values.items()},
        "free": {p: {"low": lo, "high": hi} for p, (lo, hi) in BOUNDS.items()},
    }


def test_recovers_known_parameters(small: cs.Scenario) -> None:
    """Targets simulated at known parameters are met, and the fit lands near those parameters.

    Targets come from λ = 0.10, effect = 0.03 on the replications the fit uses, so under common
    random numbers the truth scores 0 and any miss is the optimiser's or the model's grain.
    How near: at 1,000 accounts × 2 replications the two KPIs tell the parameters apart only
    to the region where both stay within ~0.1 pp of the targets — measured, (0.108, 0.0265)
    matches them to 0.03 pp, because a different call effect reshuffles which accounts the
    capacity-limited team reaches. So each parameter must be within 15% of its true value
    (measured here: 8% and 12%; 1–4% with seeds 2–4). The start, the middle of the bounds, is
    125% and 75% off: a fit that does not move, or moves one parameter only, fails.
    """
    started = time.perf_counter()
    truth_run = cs.replicate(cs.with_overrides(small, TRUTH), 2, seed=1)
    values = {k: float(truth_run.table[k].mean()) for k in KPIS}
    fit = cs.calibrate_targets(small, _spec(values), n=2, seed=1, max_evals=30)
    wall = time.perf_counter() - started

    assert fit.start == pytest.approx({p: (lo + hi) / 2 for p, (lo, hi) in BOUNDS.items()})
    for path, true in TRUTH.items():
        assert fit.params[path] == pytest.approx(true, rel=0.15), (path, fit.params, fit.trace)
    assert fit.all_within_tolerance, fit.table
    assert fit.objective < fit.start_objective / 1000
    assert fit.converged and fit.evaluations <= 30
    # The fitted scenario carries the fitted values; every evaluation is traced once (repeats are cached).
    assert fit.scenario.reasons["forgetful"].lambda_inf == fit.params["reasons.forgetful.lambda_inf"]
    assert len(fit.trace) == fit.evaluations
    assert not fit.trace.duplicated(subset=list(BOUNDS)).any()
    assert fit.trace["objective"].min() == fit.objective
    assert set(fit.runs["replication"]) == {0, 1}
    assert wall < 60, f"recovery took {wall:.0f} s"


def test_budget_caps_evaluations(small: cs.Scenario) -> None:
    """--max-evals is a hard cap: the fit stops, keeps the best point and says so."""
    fit = cs.calibrate_targets(
        cs.with_overrides(small, {"population.accounts": 300}),
        _spec({"liquidation_d010": 0.30, "cure_rate_dpd30": 0.55}),
        n=1,
        max_evals=3,
    )
    assert fit.evaluations == 3 and len(fit.trace) == 3
    assert not fit.converged and "budget" in fit.message
    assert fit.objective == fit.trace["objective"].min()
    assert fit.objective <= fit.start_objective


class _Grainy:
    """A cheap stand-in for the evaluator: linear residuals quantised like KPIs of 2,000 accounts."""

    def __init__(self, truth: np.ndarray, max_evals: int = 200) -> None:
        self.truth = truth
        self.a = np.array([[0.8, 0.8], [0.5, 1.5]])  # KPI change per unit of the search cube
        self.max_evals = max_evals
        self.points: list[np.ndarray] = []

    def many(self, us):
        return [self.residuals(u) for u in us]

    def residuals(self, u) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        self.points.append(u.copy())
        kpi = np.round(self.a @ (u - self.truth) * 2000) / 2000
        return kpi / 0.005

    def objective(self, u) -> float:
        r = self.residuals(u)
        return float(r @ r)


@pytest.mark.parametrize("optimiser", [_least_squares, _nelder_mead])
@pytest.mark.parametrize("truth", [(0.2, 0.7), (0.03, 0.95)])
def test_optimisers_find_a_grainy_minimum(optimiser, truth) -> None:
    """Both optimisers reach the minimum of a quantised objective from the middle, near a bound too,
    and Nelder–Mead never leaves the cube (its sin² map keeps points inside without clipping)."""
    ev = _Grainy(np.array(truth))
    if optimiser is _least_squares:
        optimiser(ev, np.full(2, 0.5), 0.05)
    else:
        optimiser(ev, np.full(2, 0.5))
    pts = np.array(ev.points)
    best = pts[int(np.argmin([float(ev.residuals(p) @ ev.residuals(p)) for p in pts]))]
    assert best == pytest.approx(truth, abs=0.01)
    assert (pts >= 0).all() and (pts <= 1).all()


def test_log_scale_and_start(small: cs.Scenario) -> None:
    """log = true maps the geometric middle to the centre of the cube; start overrides the middle."""
    spec = check_targets(
        {
            "targets": {"recovery_rate": {"value": 0.7, "tolerance": 0.01}},
            "free": {"channels.call.effect": {"low": 0.001, "high": 0.1, "log": True, "start": 0.01}},
        },
        small,
    )
    p = spec.free["channels.call.effect"]
    assert p.from_unit(0.5) == pytest.approx(0.01)
    assert p.start_unit == pytest.approx(0.5)
    assert p.from_unit(p.to_unit(0.037)) == pytest.approx(0.037)
    assert p.from_unit(-1) == 0.001 and p.from_unit(2) == 0.1


GOOD_TARGET = {"cure_rate_dpd30": {"value": 0.6, "tolerance": 0.01}}
GOOD_FREE = {"channels.call.effect": {"low": 0.005, "high": 0.1}}


@pytest.mark.parametrize(
    ("raw", "field", "phrase"),
    [
        (
            {"targets": {"cure_rate_dpd3": {"value": 0.6, "tolerance": 0.01}}, "free": GOOD_FREE},
            "targets.cure_rate_dpd3",
            "did you mean 'cure_rate_dpd30'",
        ),
        (
            {"targets": {"liquidation_d090": {"value": 0.8, "tolerance": 0.01}}, "free": GOOD_FREE},
            "targets.liquidation_d090",
            "liquidation_d030 over this horizon",
        ),
        (
            {"targets": GOOD_TARGET, "free": {"reasons.forgetfull.lambda_inf": {"low": 0.1, "high": 0.2}}},
            "free.reasons.forgetfull.lambda_inf",
            "did you mean 'forgetful'",
        ),
        (
            {"targets": GOOD_TARGET, "free": {"reasons.forgetful.lambda_infty": {"low": 0.1, "high": 0.2}}},
            "free.reasons.forgetful.lambda_infty",
            "did you mean 'lambda_inf'",
        ),
        (
            {"targets": GOOD_TARGET, "free": {"channels.call.effect": {"low": 0.1, "high": 0.1}}},
            "free.channels.call.effect",
            "low (0.1) must be below high (0.1)",
        ),
        (
            {"targets": GOOD_TARGET, "free": {"channels.call.effect": {"low": 0.0, "high": 0.1, "log": True}}},
            "free.channels.call.effect",
            "log = true needs low > 0",
        ),
        (
            {"targets": GOOD_TARGET, "free": {"channels.call.effect": {"low": 0.01, "high": 0.1, "start": 0.5}}},
            "free.channels.call.effect",
            "start (0.5) must lie in [low, high]",
        ),
        (
            {"targets": GOOD_TARGET, "free": {"teams.early_callers.headcount": {"low": 2, "high": 20}}},
            "free.teams.early_callers.headcount",
            "whole-number field",
        ),
        (
            {"targets": GOOD_TARGET, "free": {"channels.call": {"low": 0.1, "high": 0.2}}},
            "free.channels.call",
            "a table",
        ),
        (
            {"targets": GOOD_TARGET, "free": {"channels.call.contact_prob": {"low": 0.1, "high": 1.5}}},
            "free.channels.call.contact_prob",
            "high = 1.5 is not allowed",
        ),
        (
            {"targets": {"cure_rate_dpd30": {"value": 0.6, "tolerance": 0.01, "weigth": 2}}, "free": GOOD_FREE},
            "targets.cure_rate_dpd30.weigth",
            "did you mean 'weight'",
        ),
        (  # a misspelt required key is also a missing one: the unknown key, the cause, is named first
            {"targets": {"cure_rate_dpd30": {"value": 0.6, "tolerence": 0.02}}, "free": GOOD_FREE},
            "targets.cure_rate_dpd30.tolerence",
            "did you mean 'tolerance'",
        ),
        (
            {"targets": {"cure_rate_dpd30": {"value": 0.6, "tolerance": 0.0}}, "free": GOOD_FREE},
            "targets.cure_rate_dpd30.tolerance",
            "greater than 0",
        ),
        ({"targets": {}, "free": GOOD_FREE}, "targets", "at least one target"),
        ({"targets": GOOD_TARGET, "free": GOOD_FREE, "seeds": 3}, "seeds", "allowed:"),
    ],
)
def test_targets_file_problems_name_the_field(small: cs.Scenario, raw: dict, field: str, phrase: str) -> None:
    with pytest.raises(ScenarioError) as info:
        check_targets(raw, small, source="t.toml")
    where, msg = info.value.problems[0]
    assert where == field, info.value
    assert phrase in msg, info.value
    assert "\n" not in str(info.value)


def test_unobservable_target_is_one_line(small: cs.Scenario) -> None:
    """A KPI the horizon cannot observe (the 60→90 roll over 31 days) is named before any fitting."""
    raw = {"targets": {"roll_rate_60_90": {"value": 0.5, "tolerance": 0.05}}, "free": GOOD_FREE}
    with pytest.raises(CollectsimError, match=r"targets\.roll_rate_60_90: the model gives no value"):
        cs.calibrate_targets(cs.with_overrides(small, {"population.accounts": 200}), raw, n=1, max_evals=2)


def test_shipped_targets_file_checks_against_baseline(baseline: cs.Scenario) -> None:
    """scenarios/targets/baseline_t1.toml is valid for the baseline and starts from its assumptions."""
    from collectsim.calibration import load_targets

    spec = load_targets(SHIPPED, baseline)
    assert set(spec.targets) == {"liquidation_d030"}
    for path, p in spec.free.items():
        assert p.from_unit(p.start_unit) == pytest.approx(_value(baseline, path))


def _value(sc: cs.Scenario, path: str) -> float:
    node = sc.model_dump()
    for key in path.split("."):
        node = node[key]
    return node
