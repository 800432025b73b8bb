"""Closed forms of the Chehrazi–Weber / Chehrazi–Glynn–Weber repayment model (docs/sources.md, Repayment behaviour).

Without treatment, the expected balance of an account with intensity λ₀ is
E[w_t] = w₀·exp(−λ₀α(t) − κβ(t)), where α' = −κα + ∫[1 − (1−r)e^{−(δ₁₀+δ₁₁r)α}]dF_R(r) and
β' = λ∞α, α(0) = β(0) = 0. The engine's self-exciting payments are checked against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import integrate


@dataclass(frozen=True)
class CGWParams:
    lambda_inf: float
    kappa: float
    delta_10: float
    delta_11: float
    r_low: float  # F_R = Uniform[r_low, r_high]
    r_high: float

    @property
    def branching_ratio(self) -> float:
        """n = E[δ₁₀ + δ₁₁R]/κ (must be < 1)."""
        return (self.delta_10 + self.delta_11 * (self.r_low + self.r_high) / 2) / self.kappa


def _rhs(p: CGWParams, nodes: np.ndarray, weights: np.ndarray):
    def f(_t: float, y: np.ndarray) -> list[float]:
        alpha = y[0]
        jump = np.sum(weights * (1 - (1 - nodes) * np.exp(-(p.delta_10 + p.delta_11 * nodes) * alpha)))
        return [-p.kappa * alpha + jump, p.lambda_inf * alpha]

    return f


def alpha_beta(p: CGWParams, times: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """α(t) and β(t) at ``times`` (Gauss–Legendre quadrature over the uniform F_R)."""
    x, w = np.polynomial.legendre.leggauss(32)
    nodes = p.r_low + (p.r_high - p.r_low) * (x + 1) / 2
    weights = w / 2
    t = np.asarray(times, dtype=float)
    sol = integrate.solve_ivp(
        _rhs(p, nodes, weights), (0.0, float(t.max())), [0.0, 0.0], t_eval=t, rtol=1e-10, atol=1e-12
    )
    return sol.y[0], sol.y[1]


def expected_balance_share(p: CGWParams, lambda_0: float, times: Sequence[float]) -> np.ndarray:
    """E[w_t]/w₀ for an untreated account starting at intensity ``lambda_0``."""
    a, b = alpha_beta(p, times)
    return np.exp(-lambda_0 * a - p.kappa * b)


def _discounted_integral(p: CGWParams, rho: float, integrand) -> float:
    """∫₀^∞ integrand(t, α, β) dt on a grid long enough for e^{−ρt} to vanish."""
    horizon = 40.0 / rho
    t = np.linspace(0.0, horizon, 40_001)
    a, b = alpha_beta(p, t)
    return float(integrate.trapezoid(integrand(t, a, b), t))


def collections_value_share(p: CGWParams, lam: float, rho: float) -> float:
    """U(λ, w)/w: expected discounted collections without treatment, per unit of balance (CGW 2019)."""
    return 1.0 - rho * _discounted_integral(p, rho, lambda t, a, b: np.exp(-rho * t - lam * a - p.kappa * b))


def minimum_actionable_balance(p: CGWParams, rho: float, cost: float, delta_2: float) -> float:
    """Below this balance a treatment costing ``cost`` per unit of effort (δ₂ intensity each) never pays."""
    return (cost / delta_2) / (rho * _discounted_integral(p, rho, lambda t, a, b: a * np.exp(-rho * t - p.kappa * b)))
