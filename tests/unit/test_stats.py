"""Interval arithmetic checked against scipy on known data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from collectsim.experiments.stats import direction, mean_ci, paired_difference, variance_reduction

A = np.array([0.812, 0.824, 0.809, 0.831, 0.818, 0.826, 0.815, 0.829])
B = np.array([0.805, 0.819, 0.806, 0.822, 0.809, 0.824, 0.808, 0.821])


def test_mean_ci_matches_scipy() -> None:
    """The half-width is scipy's Student-t interval."""
    mean, half = mean_ci(A)
    lo, hi = stats.t.interval(0.95, len(A) - 1, loc=A.mean(), scale=stats.sem(A))
    assert mean == pytest.approx((lo + hi) / 2)
    assert half == pytest.approx((hi - lo) / 2)


def test_paired_difference_matches_ttest_rel() -> None:
    """The paired interval and P(better) agree with scipy's paired t-test."""
    res = paired_difference(A, B, "recovery_rate")
    ci = stats.ttest_rel(A, B).confidence_interval(0.95)
    assert res["diff"] == pytest.approx((ci.low + ci.high) / 2)
    assert res["diff_half_width"] == pytest.approx((ci.high - ci.low) / 2)
    assert res["p_better"] == pytest.approx(1 - stats.ttest_rel(A, B, alternative="greater").pvalue)


def test_lower_is_better_flips_probability() -> None:
    """For a cost, a positive difference means the challenger is worse."""
    up = paired_difference(A, B, "recovery_rate")["p_better"]
    down = paired_difference(A, B, "total_cost")["p_better"]
    assert up + down == pytest.approx(1.0)
    assert direction("total_cost") == -1 and direction("cure_rate_dpd30") == 1 and direction("accounts") == 0


def test_variance_reduction() -> None:
    """(Var A + Var B) / Var(A − B): large for strongly paired data, about 1 for independent data."""
    assert variance_reduction(A, B) > 10
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=4000), rng.normal(size=4000)
    assert variance_reduction(x, y) == pytest.approx(1.0, abs=0.1)


def test_degenerate_inputs() -> None:
    """One value has no interval; identical values give certainty in the right direction."""
    assert np.isnan(mean_ci(np.array([1.0]))[1])
    same = paired_difference(np.array([2.0, 2.0]), np.array([1.0, 1.0]), "collected")
    assert same["p_better"] == 1.0 and same["diff_half_width"] == 0.0
