"""Closed forms of the Chehrazi–Weber / Chehrazi–Glynn–Weber repayment model (docs/sources.md, Repayment behaviour).

Without treatment, the expected balance of an account with intensity λ₀ is
E[w_t] = w₀·exp(−λ₀α(t) − κβ(t)), where α' = −κα + ∫[1 − (1−r)e^{−(δ₁₀+δ₁₁r)α}]dF_R(r) and
β' = λ∞α, α(0) = β(0) = 0. The engine's self-exciting payments are checked against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy import integrate


@dataclass(frozen=True)
class CGWParams:
    lambda_inf: float
    kappa: float
    delta_10: float
    delta_11: float
    r_low: float  # F_R = Uniform[r_low, r_high] (with probability 1 − full_share)
    r_high: float
    full_share: float = 0.0  # P(R = 1): a payment that clears the balance (the engine's "ability")

    @property
    def branching_ratio(self) -> float:
        """n = E[δ₁₀ + δ₁₁R]/κ (must be < 1)."""
        mean_partial = (self.delta_10 + self.delta_11 * (self.r_low + self.r_high) / 2) / self.kappa
        # A payment that clears the balance ends the process: it excites nothing.
        return (1.0 - self.full_share) * mean_partial


def _rhs(p: CGWParams, nodes: np.ndarray, weights: np.ndarray):
    def f(_t: float, y: np.ndarray) -> list[float]:
        alpha = y[0]
        jump = np.sum(weights * (1 - (1 - nodes) * np.exp(-(p.delta_10 + p.delta_11 * nodes) * alpha))) + p.full_share
        return [-p.kappa * alpha + jump, p.lambda_inf * alpha]

    return f


def alpha_beta(p: CGWParams, times: Sequence[float] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """α(t) and β(t) at ``times`` (Gauss–Legendre quadrature over the uniform F_R)."""
    x, w = np.polynomial.legendre.leggauss(32)
    nodes = p.r_low + (p.r_high - p.r_low) * (x + 1) / 2
    weights = (1.0 - p.full_share) * w / 2
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


# --- The optimal policy (Chehrazi, Glynn & Weber 2019): the action frontier λ*(w) ---------------------------
#
# With treatment costing ĉ = c/δ₂ per unit of intensity, the bank keeps λ ≥ λ*(w): below the frontier it
# treats at once, just enough to reach it; at the frontier (when λ* > λ∞) it keeps treating at the rate
# κ(λ* − λ∞)/δ₂ that holds λ there. Between payments w is fixed, so for each w this is a one-dimensional
# singular control problem in λ whose only link to other balances is the value just after a payment,
# V̄(λ, w) = E_R[R·w + V(λ + δ₁₀ + δ₁₁R, (1 − R)w)]. A payment shrinks w by at least the factor (1 − r̲),
# so V on (w_i*, w_{i+1}*] needs V only on balances already solved: a recursion over the intervals
# w_i* = w₀*(1 − r̲)^{-i}. Holding λ at l is worth V_s(l) = [l·V̄(l) − ĉκ(l − λ∞)]/(ρ + l); from below l it
# costs ĉ per unit of intensity, so λ*(w) = argmax_l V_s(l) − ĉl (the smooth-fit condition V_λ = ĉ).
# In the terminal region w̲ ≤ w ≤ w₁* the frontier is λ₀*(w), where one treatment and then none is optimal:
# ρw∫α e^{−ρt−λα−κβ}dt = ĉ (Chehrazi, Glynn & Weber 2019); λ₀*(w₀*) = λ∞. docs/optimal-policy.md has the derivation.

_LAMBDA_POINTS = 480
_W_POINTS = 20  # balances per interval of the recursion


def _time_grid(p: CGWParams, rho: float) -> np.ndarray:
    """Times from 0 to 40/ρ, log-spaced so both the fast decay (1/κ) and the slow discounting are resolved."""
    return np.concatenate([[0.0], np.geomspace(1e-3 / p.kappa, 40.0 / rho, 5000)])


class _Kernel:
    """α, β on a time grid, and the no-treatment value u(λ) = U(λ,w)/w with its λ-derivative."""

    def __init__(self, p: CGWParams, rho: float) -> None:
        self.p, self.rho = p, rho
        self.t = _time_grid(p, rho)
        self.alpha, self.beta = alpha_beta(p, self.t)
        self.base = np.exp(-rho * self.t - p.kappa * self.beta)

    def _integral(self, lam: np.ndarray, with_alpha: bool) -> np.ndarray:
        lam = np.atleast_1d(np.asarray(lam, dtype=float))
        f = self.base * np.exp(-np.outer(lam, self.alpha))
        if with_alpha:
            f = f * self.alpha
        return self.rho * integrate.trapezoid(f, self.t, axis=1)

    def u(self, lam: np.ndarray) -> np.ndarray:
        """U(λ, w)/w."""
        return 1.0 - self._integral(lam, False)

    def du(self, lam: np.ndarray) -> np.ndarray:
        """∂U/∂λ per unit of balance: ρ∫α e^{−ρt−λα−κβ}dt (decreasing in λ)."""
        return self._integral(lam, True)


def terminal_intensity(params: CGWParams, rho: float, cost: float, delta_2: float, w: np.ndarray) -> np.ndarray:
    """λ₀*(w): the intensity one treatment should lift an account to, if no treatment follows.

    It solves w·∂U/∂λ = c/δ₂; where the solution is negative (w < w̲) it is returned as is, so λ₀* < 0
    reads "never treat". Exact in the terminal region w̲ ≤ w ≤ w₁*; above it the frontier is ``optimal_intensity``.
    """
    return _Frontier.build(params, rho, cost, delta_2).terminal(np.asarray(w, dtype=float))


class _Frontier:
    """λ*(w) and V(λ, w), solved interval by interval up to the largest balance asked for."""

    _cache: ClassVar[dict[tuple, _Frontier]] = {}  # memo of solved frontiers (pure: same inputs, same table)

    @classmethod
    def build(cls, p: CGWParams, rho: float, cost: float, delta_2: float) -> _Frontier:
        key = (p, rho, cost, delta_2)
        if key not in cls._cache:
            if len(cls._cache) > 32:
                cls._cache.clear()
            cls._cache[key] = cls(p, rho, cost / delta_2)
        return cls._cache[key]

    def __init__(self, p: CGWParams, rho: float, chat: float) -> None:
        if p.r_low <= 0:
            raise ValueError("the interval recursion needs partial payments bounded away from 0 (r_low > 0)")
        self.p, self.rho, self.chat = p, rho, chat
        self.kernel = _Kernel(p, rho)
        top = 12.0 * (p.lambda_inf + p.delta_10 + p.delta_11 + p.kappa)
        self.lam = top * np.linspace(0.0, 1.0, _LAMBDA_POINTS) ** 2
        self.u_lam = self.kernel.u(self.lam)
        du = self.kernel.du(self.lam)
        # λ₀*(w) inverts w·du(λ) = ĉ; du is positive and decreasing, so interpolate λ against log du.
        self._log_du = np.log(du[::-1])
        self._lam_rev = self.lam[::-1]
        self._du_slope = (np.log(du[1]) - np.log(du[0])) / (self.lam[1] - self.lam[0])
        self.w_min = chat / du[0]
        self.w0 = chat / float(self.kernel.du(np.array([p.lambda_inf]))[0])
        self.shrink = 1.0 - p.r_low
        # The one-treatment frontier λ₀* is optimal while λ₀* ≤ λ∞, i.e. up to w₀*; above, sustaining pays.
        self.w_terminal = self.w0
        self.nodes, self.weights = _uniform_part(p, 16)
        self.w_grid = np.empty(0)
        self.values = np.empty((0, self.lam.size))
        self.stars = np.empty(0)
        self.top_w = self.w_terminal

    def terminal(self, w: np.ndarray) -> np.ndarray:
        target = np.log(self.chat / np.maximum(w, 1e-300))
        lam = np.interp(target, self._log_du, self._lam_rev)
        # Below w̲ the root is negative: extend log du linearly (its slope at 0) to report it.
        below = target > self._log_du[-1]
        return np.where(below, (target - self._log_du[-1]) / self._du_slope, lam)

    def u(self, lam: np.ndarray) -> np.ndarray:
        return np.interp(lam, self.lam, self.u_lam)

    def value(self, lam: np.ndarray, w: np.ndarray) -> np.ndarray:
        """V(λ, w) for balances already solved (w ≤ ``top_w``); λ above the grid is read at its top."""
        lam, w = np.broadcast_arrays(np.atleast_1d(lam).astype(float), np.atleast_1d(w).astype(float))
        star = np.maximum(self.terminal(w), 0.0)
        out = w * self.u(np.maximum(lam, star)) - self.chat * np.maximum(star - lam, 0.0)
        upper = w > self.w_terminal
        if upper.any():
            lw = np.log(w[upper])
            j = np.clip(np.searchsorted(self.w_grid, lw) - 1, 0, self.w_grid.size - 2)
            f = np.clip((lw - self.w_grid[j]) / (self.w_grid[j + 1] - self.w_grid[j]), 0.0, 1.0)
            li = np.clip(np.searchsorted(self.lam, lam[upper]) - 1, 0, self.lam.size - 2)
            g = np.clip((lam[upper] - self.lam[li]) / (self.lam[li + 1] - self.lam[li]), 0.0, 1.0)

            def at(row: np.ndarray) -> np.ndarray:
                return self.values[row, li] * (1 - g) + self.values[row, li + 1] * g

            out[upper] = at(j) * (1 - f) + at(j + 1) * f
        return out

    def extend_to(self, w_max: float) -> None:
        """Solve the intervals (w_i*, w_{i+1}*] above ``top_w`` until ``w_max`` is covered."""
        while self.top_w < w_max:
            lo, hi = self.top_w, self.top_w / self.shrink
            w = np.geomspace(lo, hi, _W_POINTS + 1)[1:]
            stars, values = self._solve(w)
            if self.w_grid.size == 0:
                # The interval's left end: the terminal value at w₁*, so interpolation starts there.
                lo_star = self.terminal(np.array([lo]))
                self.w_grid = np.array([np.log(lo)])
                self.values = self.value(self.lam, np.full(self.lam.size, lo))[None, :]
                self.stars = np.maximum(lo_star, 0.0)
            self.w_grid = np.concatenate([self.w_grid, np.log(w)])
            self.values = np.vstack([self.values, values])
            self.stars = np.concatenate([self.stars, stars])
            self.top_w = hi

    def _after_payment(self, lam: np.ndarray, w: np.ndarray) -> np.ndarray:
        """V̄(λ, w) = E_R[R·w + V(λ + δ₁₀ + δ₁₁R, (1 − R)w)]; rows are balances, columns intensities."""
        p = self.p
        total = p.full_share * w[:, None] * np.ones((1, lam.size))
        for r, wt in zip(self.nodes, self.weights, strict=True):
            lam_after = lam[None, :] + p.delta_10 + p.delta_11 * r
            w_after = np.broadcast_to(((1 - r) * w)[:, None], (w.size, lam.size))
            total = total + wt * (r * w[:, None] + self.value(np.broadcast_to(lam_after, w_after.shape), w_after))
        return total

    def _solve(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p, rho, chat, lam = self.p, self.rho, self.chat, self.lam
        vbar = self._after_payment(lam, w)
        above = lam > p.lambda_inf
        sustain = (lam * vbar - chat * p.kappa * (lam - p.lambda_inf)) / (rho + lam)
        gain = np.where(above[None, :], sustain - chat * lam, -np.inf)
        k = np.clip(np.argmax(gain, axis=1), 1, lam.size - 2)
        rows = np.arange(w.size)
        # Refine the grid's best point by the vertex of the parabola through it and its neighbours.
        x0, x1, x2 = lam[k - 1], lam[k], lam[k + 1]
        y0, y1, y2 = gain[rows, k - 1], gain[rows, k], gain[rows, k + 1]
        den = (x0 - x1) * (x0 - x2) * (x1 - x2)
        with np.errstate(invalid="ignore"):  # a neighbour at or below λ∞ (gain −∞): keep the grid point
            a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / den
            b = (x2**2 * (y0 - y1) + x1**2 * (y2 - y0) + x0**2 * (y1 - y2)) / den
        ok = np.isfinite(a) & (a < 0)
        star = np.where(ok, np.clip(-b / (2 * np.where(ok, a, -1.0)), x0, x2), x1)
        vbar_star = np.array([np.interp(s, lam, row) for s, row in zip(star, vbar, strict=True)])
        v_star = (star * vbar_star - chat * p.kappa * (star - p.lambda_inf)) / (rho + star)
        return star, self._values(star, v_star, vbar_star, vbar)

    def _values(self, star: np.ndarray, v_star: np.ndarray, vbar_star: np.ndarray, vbar: np.ndarray) -> np.ndarray:
        """V on the λ grid: below λ* the cost of reaching it; above, decay to λ* (integrating factor e^{Φ})."""
        p, rho, lam = self.p, self.rho, self.lam
        pw = (rho + p.lambda_inf) / p.kappa

        def phi(x: np.ndarray) -> np.ndarray:
            return pw * np.log(np.maximum(x - p.lambda_inf, 1e-300)) + x / p.kappa

        def g(x: np.ndarray, vb: np.ndarray) -> np.ndarray:
            return x * vb / (p.kappa * np.maximum(x - p.lambda_inf, 1e-300))

        out = v_star[:, None] - self.chat * np.maximum(star[:, None] - lam[None, :], 0.0)
        prev_x, prev_v, prev_g = star.copy(), v_star.copy(), g(star, vbar_star)
        for k in np.flatnonzero(lam > star.min()):
            x = lam[k]
            live = x > star
            decay = np.exp(phi(prev_x[live]) - phi(np.full(live.sum(), x)))
            gk = g(np.full(live.sum(), x), vbar[live, k])
            v = decay * prev_v[live] + 0.5 * (x - prev_x[live]) * (decay * prev_g[live] + gk)
            out[live, k] = v
            prev_x[live], prev_v[live], prev_g[live] = x, v, gk
        return out

    def star(self, w: np.ndarray) -> np.ndarray:
        self.extend_to(float(np.max(w, initial=0.0)))
        lam = np.maximum(self.terminal(w), 0.0)
        upper = w > self.w_terminal
        if upper.any():
            lam[upper] = np.interp(np.log(w[upper]), self.w_grid, self.stars)
        return lam


def _uniform_part(p: CGWParams, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes and weights for the uniform (partial-payment) part of F_R."""
    x, wt = np.polynomial.legendre.leggauss(n)
    return p.r_low + (p.r_high - p.r_low) * (x + 1) / 2, (1.0 - p.full_share) * wt / 2


def optimal_intensity(params: CGWParams, rho: float, cost: float, delta_2: float, w: np.ndarray) -> np.ndarray:
    """The optimal action frontier λ*(w): treat an account whose intensity is below it, up to it.

    Returns 0 where no treatment is ever optimal (w < w̲), so "treat iff λ < λ*(w)" holds everywhere
    (intensities are never negative). For w̲ ≤ w ≤ w₀*, λ* ≤ λ∞ (one treatment, then the drift up to λ∞
    does the rest); above w₀*, λ* > λ∞ and the bank also sustains λ at λ*. Vectorised over ``w``.
    """
    w = np.asarray(w, dtype=float)
    return _Frontier.build(params, rho, cost, delta_2).star(w.ravel()).reshape(w.shape)


def optimal_value(
    params: CGWParams, rho: float, cost: float, delta_2: float, lam: np.ndarray | float, w: np.ndarray | float
) -> np.ndarray:
    """V(λ, w): expected discounted collections net of treatment cost under the optimal policy."""
    f = _Frontier.build(params, rho, cost, delta_2)
    lam_b, w_b = np.broadcast_arrays(np.asarray(lam, dtype=float), np.asarray(w, dtype=float))
    f.extend_to(float(np.max(w_b, initial=0.0)))
    return f.value(lam_b.ravel(), w_b.ravel()).reshape(w_b.shape)


def frontier_balances(params: CGWParams, rho: float, cost: float, delta_2: float) -> tuple[float, float, float]:
    """(w̲, w₀*, w₁*): the minimum actionable balance, where λ* reaches λ∞, and the first interval's end."""
    f = _Frontier.build(params, rho, cost, delta_2)
    return float(f.w_min), float(f.w0), float(f.w0 / f.shrink)
