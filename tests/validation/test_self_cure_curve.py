"""With no treatment, the share of accounts that have paid by day t is 1 − E[exp(−∫₀ᵗ λ)].

The expectation is taken analytically over the scenario's segment and reason mix and
its log-normal propensity heterogeneity (numerical quadrature), independently of the
engine's draws, and compared with a 99.9% binomial interval.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

import collectsim as cs

Z = 3.29  # two-sided 99.9%


def untreated(sc: cs.Scenario) -> cs.Scenario:
    raw = sc.model_dump(mode="json", exclude_none=True)
    raw["policy"] = {"ladders": {"none": {"stages": []}}}
    raw["chargeoff"] = {"dpd": 3000}
    raw["population"]["accounts"] = 20000
    return cs.scenario.scenario_from_dict(raw)


def closed_form(sc: cs.Scenario, t: float) -> float:
    """P(first payment by t) for λ = λ_r·M, M log-normal with mean 1 and sd h_r, mixed over reasons."""
    total = 0.0
    kappa = sc.repayment.kappa
    for seg in sc.population.segments.values():
        for rname, w in seg.reasons.items():
            r = sc.reasons[rname]
            lam0 = r.lambda_0 if r.lambda_0 is not None else r.lambda_inf
            big = r.lambda_inf * t + (lam0 - r.lambda_inf) * (1 - math.exp(-kappa * t)) / kappa
            s2 = math.log1p(r.heterogeneity**2)
            dist = stats.lognorm(s=math.sqrt(s2), scale=math.exp(-s2 / 2))
            survive, _ = integrate.quad(lambda m, big=big, dist=dist: math.exp(-big * m) * dist.pdf(m), 0, np.inf)
            total += seg.share * w * (1 - survive)
    return total


@pytest.fixture(scope="module")
def untreated_run(baseline: cs.Scenario) -> cs.RunResult:
    """The untreated run (seed 21), read by each point of the curve: one simulation instead of four."""
    return cs.simulate(untreated(baseline), seed=21)


@pytest.mark.parametrize("t", [3, 10, 30, 90])
def test_untreated_payment_curve(baseline: cs.Scenario, untreated_run: cs.RunResult, t: int) -> None:
    """Simulated share paid by the end of day t−1 (t days of hazard) matches the closed form."""
    sc = untreated(baseline)
    r = untreated_run
    fp = r.accounts["first_payment_day"].to_numpy()
    observed = float(((fp >= 0) & (fp < t)).mean())
    expected = closed_form(sc, t)
    half = Z * math.sqrt(expected * (1 - expected) / len(fp))
    assert abs(observed - expected) < half, (t, observed, expected, half)


def test_closed_form_test_can_fail(baseline: cs.Scenario) -> None:
    """The comparison detects a 20% error in intensity: it is not vacuous."""
    sc = untreated(baseline)
    wrong = cs.with_overrides(sc, {f"reasons.{k}.lambda_inf": v.lambda_inf * 1.2 for k, v in sc.reasons.items()})
    r = cs.simulate(wrong, seed=21)
    fp = r.accounts["first_payment_day"].to_numpy()
    observed = float(((fp >= 0) & (fp < 30)).mean())
    expected = closed_form(sc, 30)
    assert abs(observed - expected) > Z * math.sqrt(expected * (1 - expected) / len(fp))
