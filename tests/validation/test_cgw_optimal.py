"""The Chehrazi–Glynn–Weber optimal frontier λ*(w) against reference values (docs/optimal-policy.md) and simulations."""

from __future__ import annotations

import numpy as np
import pytest
from cgw_paths import discounted_net

from collectsim.chehrazi import (
    CGWParams,
    collections_value_share,
    frontier_balances,
    minimum_actionable_balance,
    optimal_intensity,
    optimal_value,
    terminal_intensity,
)

REF = CGWParams(lambda_inf=0.10, kappa=0.7, delta_10=0.02, delta_11=0.5, r_low=0.1, r_high=1.0)
RHO, COST, DELTA_2 = 0.06, 6.0, 1.0
W0_STAR, W1_STAR = 16.22, 18.03


def frontier(w: np.ndarray) -> np.ndarray:
    return optimal_intensity(REF, RHO, COST, DELTA_2, np.asarray(w, dtype=float))


def test_terminal_region_reproduces_reference() -> None:
    """w̲ = 14.95; λ₀*(15.5 / 17 / 18) = 0.044 / 0.157 / 0.227; λ₀*(w₀*) = λ∞; U/w at λ = 0.1…2 as tabulated."""
    assert minimum_actionable_balance(REF, RHO, COST, DELTA_2) == pytest.approx(14.95, abs=0.01)
    lam0 = terminal_intensity(REF, RHO, COST, DELTA_2, np.array([15.5, 17.0, 18.0, W0_STAR]))
    assert lam0 == pytest.approx([0.044, 0.157, 0.227, REF.lambda_inf], abs=1.5e-3)
    u = [collections_value_share(REF, lam, RHO) for lam in (0.1, 0.5, 1.0, 2.0)]
    assert u == pytest.approx([0.507, 0.633, 0.743, 0.867], abs=1e-3)
    w1 = W0_STAR / (1 - REF.r_low)
    assert w1 == pytest.approx(W1_STAR, abs=0.01)


def test_no_action_below_minimum_actionable_balance() -> None:
    """λ* is 0 below w̲ (never treat) and equals λ₀* between w̲ and w₀*."""
    w = np.array([1.0, 10.0, 14.9, 15.5, 16.0])
    lam = frontier(w)
    assert np.all(lam[:3] == 0.0)
    assert lam[3:] == pytest.approx(terminal_intensity(REF, RHO, COST, DELTA_2, w[3:]), abs=1e-9)


def test_frontier_monotone_and_continuous() -> None:
    """Above w₀* the recursion's λ* rises with w, stays above λ∞ and has no jump at w₀* nor at w₁*."""
    w = np.linspace(W0_STAR + 0.01, 100.0, 600)
    lam = frontier(w)
    assert np.all(np.diff(lam) >= -1e-9)
    assert np.all(lam > REF.lambda_inf)
    eps = 1e-3
    _, w0, w1 = frontier_balances(REF, RHO, COST, DELTA_2)
    assert (w0, w1) == pytest.approx((W0_STAR, W1_STAR), abs=0.01)
    for edge in (w0, w1):
        left, right = frontier(np.array([edge - eps, edge + eps]))
        assert abs(right - left) < 2e-3, (edge, left, right)


def test_sustaining_beats_one_treatment_above_w0() -> None:
    """Above w₀* the bank sustains λ*, so holding a lower level than the one-treatment λ₀* is optimal."""
    w = np.array([17.0, 18.0])
    assert np.all(frontier(w) < terminal_intensity(REF, RHO, COST, DELTA_2, w))


@pytest.mark.parametrize("paths", [6000])
def test_frontier_policy_beats_alternatives_on_paths(paths: int) -> None:
    """Treating to λ*(w) beats no treatment, a constant λ, and ±20% frontiers; its mean matches V(λ₀, w₀)."""
    lam0, w0 = 0.11, 100.0
    runs = {
        "frontier": frontier,
        "never": lambda w: np.zeros_like(w),
        "constant": lambda w: np.full_like(w, float(frontier(np.array([w0]))[0])),
        "higher": lambda w: 1.2 * frontier(w),
        "lower": lambda w: 0.8 * frontier(w),
    }
    net = {k: discounted_net(REF, RHO, COST / DELTA_2, f, lam0, w0, paths=paths, seed=5) for k, f in runs.items()}
    best = net["frontier"]
    for k in ("never", "constant", "higher", "lower"):
        diff = best - net[k]
        assert diff.mean() > 3 * diff.std(ddof=1) / np.sqrt(paths), k
    half = 4 * best.std(ddof=1) / np.sqrt(paths)
    assert abs(best.mean() - float(optimal_value(REF, RHO, COST, DELTA_2, lam0, w0))) < half
    assert float(optimal_value(REF, RHO, COST, DELTA_2, lam0, w0)) > w0 * collections_value_share(REF, lam0, RHO)
