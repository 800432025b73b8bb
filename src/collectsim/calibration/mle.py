"""Maximum-likelihood fit of one group of accounts: the intensity, its standard errors, the payment-size law.

The intensity is fitted by profiling κ: for a fixed κ the excitation basis S is fixed and ℓ
is concave in (λ∞, λ₀, δ₁₀, δ₁₁, δ₂,ch …) on the non-negative orthant, so that inner
problem has one optimum (bounded L-BFGS-B on its cheap analytic gradient). κ is scanned on a
log grid, refined by a bounded 1-D search, and a last joint L-BFGS-B step polishes all
parameters together. Standard errors are the square roots of the diagonal of the inverse
observed information (−Hessian of ℓ, by central differences of the analytic gradient).
That needs an interior optimum: when a parameter sits at its bound 0 (a channel that does
nothing, no excitation by payments) or the information is singular, the segment's errors
are instead the standard deviation over an account bootstrap.

Payment sizes: a payment clears the balance with ``p_full`` (binomial MLE); a partial one
pays a share R ~ Beta(r_alpha, r_beta) (MLE, errors from the closed-form information).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize, minimize_scalar
from scipy.special import betaln, digamma, polygamma

from collectsim.calibration.histories import Prepared
from collectsim.calibration.likelihood import BASE, JUMPS, Stream, _g, excitation, hessian, loglik, subset

KAPPA_GRID = np.geomspace(1e-3, 10.0, 17)
AT_BOUND = 1e-6  # an estimate below this share of its scale counts as at the bound 0
R_EPS = 1e-9


@dataclass(frozen=True)
class Estimate:
    estimate: float
    std_error: float
    method: str  # "hessian", "bootstrap", "binomial", "beta information"
    at_bound: bool = False


@dataclass(frozen=True)
class GroupFit:
    """One group's estimates (in report order), its log-likelihood and counts."""

    params: dict[str, Estimate]
    loglik: float
    accounts: int
    payments: int
    partial_payments: int
    treatments: dict[str, int]
    channels: tuple[str, ...]
    converged: bool
    cov: np.ndarray  # covariance of θ̂ = (λ∞, λ₀, κ, δ₁₀, δ₁₁, δ₂ …); rows of non-estimable parameters are 0
    notes: list[str] = field(default_factory=list)
    beta_cov: np.ndarray | None = None  # covariance of (r_alpha, r_beta): strongly correlated, so kept whole
    joint_cov: np.ndarray | None = None  # over ``params`` in order, as read back from fit.json

    def covariance(self) -> tuple[list[str], np.ndarray]:
        """Names and covariance of every reported parameter, for joint draws.

        Blocks: the intensity (from the Hessian or the bootstrap), p_full (binomial), the Beta
        pair (information). The likelihood factorises into the intensity and the size law, so
        the blocks are uncorrelated. A fit read back from fit.json carries the matrix whole.
        """
        names = list(self.params)
        if self.joint_cov is not None:
            return names, self.joint_cov
        cov = np.zeros((len(names), len(names)))
        at = {k: i for i, k in enumerate(names)}
        intensity = _names(self.channels)
        for a, ka in enumerate(intensity):
            for b, kb in enumerate(intensity):
                if ka in at and kb in at:
                    cov[at[ka], at[kb]] = self.cov[a, b]
        if "p_full" in at:
            cov[at["p_full"], at["p_full"]] = self.params["p_full"].std_error ** 2
        if "r_alpha" in at and "r_beta" in at:
            pair = [at["r_alpha"], at["r_beta"]]
            sd = np.array([self.params["r_alpha"].std_error, self.params["r_beta"].std_error])
            cov[np.ix_(pair, pair)] = self.beta_cov if self.beta_cov is not None else np.diag(sd**2)
        return names, cov

    def theta(self) -> np.ndarray:
        """(λ∞, λ₀, κ, δ₁₀, δ₁₁, δ₂ per channel) with δ's not estimable as 0."""
        p = self.params
        names = [*BASE, *JUMPS, *(f"delta_2.{c}" for c in self.channels)]
        return np.array([p[k].estimate if k in p else 0.0 for k in names])


def _names(channels: tuple[str, ...]) -> list[str]:
    return [*BASE, *JUMPS, *(f"delta_2.{c}" for c in channels)]


def _inner(
    kappa: float, stream: Stream, s: np.ndarray, free: np.ndarray, start: np.ndarray
) -> tuple[float, np.ndarray]:
    """max over β = (λ∞, λ₀, γ) ≥ 0 of ℓ at fixed κ (concave); returns (ℓ, β).

    Projected Newton with an ε-active set (Bertsekas 1982): the problem is tiny (one column per
    parameter) and its Hessian −Xᵀdiag(λ⁻²)X is exact, so a few steps reach machine precision.
    """
    pay = stream.is_pay
    tau = stream.t[pay]
    e_tau = np.exp(-kappa * tau)
    big_x = np.column_stack([1 - e_tau, e_tau, s[pay]])[:, free]
    g_end = _g(kappa, stream.end)
    u = stream.end[stream.acc] - stream.t
    c = np.r_[stream.end.sum() - g_end.sum(), g_end.sum(), stream.x.T @ _g(kappa, u)][free]
    return _projected_newton(big_x, c, start)


def _projected_newton(big_x: np.ndarray, c: np.ndarray, beta: np.ndarray) -> tuple[float, np.ndarray]:
    """max Σ log(Xβ) − c·β over β ≥ 0."""

    def value(b: np.ndarray) -> float:
        lam = big_x @ b
        return float(np.log(lam).sum() - c @ b) if np.all(lam > 0) else -np.inf

    beta = beta.astype(float).copy()
    f = value(beta)
    for _ in range(200):
        lam = big_x @ beta
        w = big_x / lam[:, None]
        grad = w.sum(axis=0) - c
        hess = w.T @ w  # the negative Hessian
        eps = min(1e-8, float(np.linalg.norm(grad)) * 1e-12) + 1e-300
        active = (beta <= eps * np.maximum(1.0, beta)) & (grad < 0)
        step = np.zeros_like(beta)
        fr = ~active
        if fr.any():
            try:
                step[fr] = np.linalg.solve(hess[np.ix_(fr, fr)], grad[fr])
            except np.linalg.LinAlgError:
                step[fr] = grad[fr] / np.maximum(np.diag(hess)[fr], 1e-300)
        alpha = 1.0
        while True:
            cand = np.maximum(beta + alpha * step, 0.0)
            fc = value(cand)
            if fc >= f - 1e-12 * abs(f) or alpha < 1e-12:
                break
            alpha /= 2
        moved = np.abs(cand - beta).max() / max(np.abs(beta).max(), 1e-300)
        beta, gain, f = cand, fc - f, max(fc, f)
        if moved < 1e-12 or (gain >= 0 and gain < 1e-12 * max(1.0, abs(f)) and moved < 1e-7):
            break
    return f, beta


def fit_intensity(
    stream: Stream, channels: tuple[str, ...], start: np.ndarray | None = None
) -> tuple[np.ndarray, float, bool]:
    """θ̂ and ℓ(θ̂); δ₁₀, δ₁₁ are fixed at 0 when there is no partial payment (they do not enter ℓ)."""
    k = 3 + len(JUMPS) + len(channels)
    free = np.ones(k - 1, dtype=bool)  # over (λ∞, λ₀, γ…): κ is profiled
    has_partial = bool(stream.x[:, 0].any())
    if not has_partial:
        free[2:4] = False
    n_pay = int(stream.is_pay.sum())
    exposure = float(stream.end.sum())
    rate = max(n_pay, 1) / max(exposure, 1e-9)
    beta0 = np.r_[rate, rate, np.full(k - 3, 0.05 * rate + 1e-4)][free]

    def profile(log_k: float) -> tuple[float, np.ndarray]:
        kappa = math.exp(log_k)
        s, _ = excitation(stream, kappa)
        return _inner(kappa, stream, s, free, beta0)

    def assemble(kappa: float, beta: np.ndarray) -> np.ndarray:
        full = np.zeros(k - 1)
        full[free] = beta
        return np.r_[full[:2], kappa, full[2:]]

    if start is None:
        lls = [profile(math.log(kk))[0] for kk in KAPPA_GRID]
        best = int(np.argmax(lls))
        lo = math.log(KAPPA_GRID[max(best - 1, 0)])
        hi = math.log(KAPPA_GRID[min(best + 1, KAPPA_GRID.size - 1)])
        res = minimize_scalar(lambda lk: -profile(lk)[0], bounds=(lo, hi), method="bounded", options={"xatol": 1e-4})
        kappa = math.exp(res.x)
        theta = assemble(kappa, profile(res.x)[1])
    else:
        theta = start.copy()
    # Joint polish (κ with the rest), in units of the current estimate.
    mask = np.r_[free[:2], True, free[2:]]
    floor = np.r_[0.1 * rate, 0.1 * rate, 1e-3, np.full(k - 3, 0.1 * rate)]
    scale = np.maximum(np.abs(theta), floor)

    def f(z: np.ndarray) -> tuple[float, np.ndarray]:
        th = theta.copy()
        th[mask] = z * scale[mask]
        ll, gr = loglik(th, stream)
        if not np.isfinite(ll):
            return 1e300, np.zeros_like(z)
        return -ll, -gr[mask] * scale[mask]

    bounds = [(0, None)] * int(mask.sum())
    bounds[int(mask[:2].sum())] = (1e-6 / scale[2], None)
    res = minimize(
        f,
        theta[mask] / scale[mask],
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 1000, "ftol": 1e-14, "gtol": 1e-8},
    )
    theta[mask] = res.x * scale[mask]
    ll = loglik(theta, stream, grad=False)[0]
    return theta, ll, bool(res.success) or "ABNORMAL" in str(res.message)


def intensity_cov(theta: np.ndarray, stream: Stream, estimable: np.ndarray) -> np.ndarray | None:
    """Inverse observed information over the estimable parameters, or None when it is not positive definite."""
    h = hessian(theta, stream)[np.ix_(estimable, estimable)]
    info = -h
    try:
        np.linalg.cholesky(info)
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return None
    if np.any(np.diag(cov) <= 0):
        return None
    out = np.zeros((theta.size, theta.size))
    out[np.ix_(estimable, estimable)] = cov
    return out


def beta_mle(r: np.ndarray) -> tuple[float, float, float, float]:
    """(α̂, β̂, se α, se β) of a Beta law on (0, 1) by maximum likelihood."""
    a, b, cov = beta_fit(r)
    return a, b, float(math.sqrt(cov[0, 0])), float(math.sqrt(cov[1, 1]))


def beta_fit(r: np.ndarray) -> tuple[float, float, np.ndarray]:
    """(α̂, β̂) of a Beta law on (0, 1) by maximum likelihood, and their covariance (inverse information)."""
    r = np.clip(r, R_EPS, 1 - R_EPS)
    n = r.size
    s1, s2 = np.log(r).sum(), np.log1p(-r).sum()
    m, v = r.mean(), r.var()
    common = m * (1 - m) / v - 1 if v > 0 else 10.0
    start = np.log(np.maximum([m * common, (1 - m) * common], 1e-2))

    def f(z: np.ndarray) -> tuple[float, np.ndarray]:
        a, b = np.exp(z)
        ll = (a - 1) * s1 + (b - 1) * s2 - n * betaln(a, b)
        ga = s1 - n * (digamma(a) - digamma(a + b))
        gb = s2 - n * (digamma(b) - digamma(a + b))
        return -ll, -np.array([ga * a, gb * b])

    res = minimize(f, start, jac=True, method="L-BFGS-B", options={"ftol": 1e-14, "gtol": 1e-10})
    a, b = np.exp(res.x)
    t_ab = polygamma(1, a + b)
    info = n * np.array([[polygamma(1, a) - t_ab, -t_ab], [-t_ab, polygamma(1, b) - t_ab]])
    return float(a), float(b), np.linalg.inv(info)


def _sizes(prep: Prepared) -> tuple[dict[str, Estimate], list[str], np.ndarray | None]:
    out: dict[str, Estimate] = {}
    notes: list[str] = []
    n = prep.r.size
    if n == 0:
        return out, ["no payments: p_full and the partial-payment law are not estimable"], None
    p = float(prep.full.mean())
    out["p_full"] = Estimate(p, math.sqrt(p * (1 - p) / n), "binomial", p in (0.0, 1.0))
    partial = prep.r[~prep.full]
    cov = None
    if np.unique(partial).size >= 2:
        a, b, cov = beta_fit(partial)
        out["r_alpha"] = Estimate(a, float(math.sqrt(cov[0, 0])), "beta information")
        out["r_beta"] = Estimate(b, float(math.sqrt(cov[1, 1])), "beta information")
    else:
        notes.append("fewer than two distinct partial payments: r_alpha and r_beta are not estimable")
    return out, notes, cov


def fit_group(prep: Prepared, *, bootstrap: int, seed: int) -> GroupFit:
    """Estimates with standard errors for one group of accounts (see the module docstring)."""
    stream = prep.stream
    channels = prep.channels
    names = _names(channels)
    theta, ll, ok = fit_intensity(stream, channels)
    has_partial = bool(stream.x[:, 0].any())
    estimable = np.ones(theta.size, dtype=bool)
    notes: list[str] = []
    if not has_partial:
        estimable[3:5] = False
        notes.append("no partial payments: delta_10 and delta_11 (the jump after a payment) are not estimable")
    rate = max(int(stream.is_pay.sum()), 1) / max(float(stream.end.sum()), 1e-9)
    scale = np.r_[rate, rate, 1.0, np.full(theta.size - 3, rate)]
    bound = estimable & (theta <= AT_BOUND * scale)
    cov = None if bound.any() else intensity_cov(theta, stream, estimable)
    method = "hessian"
    if cov is None:
        method = "bootstrap"
        why = (
            f"{', '.join(n for n, b in zip(names, bound, strict=True) if b)} at the bound 0"
            if bound.any()
            else "the observed information is not positive definite"
        )
        notes.append(f"standard errors by account bootstrap ({bootstrap} resamples): {why}")
        cov = _bootstrap(stream, channels, theta, bootstrap, seed)
    se = np.sqrt(np.diag(cov))
    params = {
        name: Estimate(float(theta[j]), float(se[j]), method, bool(bound[j]))
        for j, name in enumerate(names)
        if estimable[j]
    }
    # Report order: lambda_0 first, as the scenario reads.
    params = {k: params[k] for k in ("lambda_0", "lambda_inf", *names[2:]) if k in params}
    sizes, size_notes, beta_cov = _sizes(prep)
    params.update(sizes)
    treat = ~stream.is_pay
    counts = {c: int(stream.x[treat, 2 + j].sum()) for j, c in enumerate(channels)}
    return GroupFit(
        params=params,
        loglik=ll,
        accounts=stream.accounts,
        payments=int(stream.is_pay.sum()),
        partial_payments=int((~prep.full).sum()),
        treatments=counts,
        channels=channels,
        converged=ok,
        cov=cov,
        notes=notes + size_notes,
        beta_cov=beta_cov,
    )


def _bootstrap(stream: Stream, channels: tuple[str, ...], theta: np.ndarray, b: int, seed: int) -> np.ndarray:
    """Covariance of θ̂ over ``b`` account resamples (each refit from θ̂); NaN with fewer than 2."""
    if b < 2:
        return np.full((theta.size, theta.size), np.nan)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xB007]))
    draws = []
    for _ in range(b):
        pick = rng.integers(0, stream.accounts, stream.accounts)
        th, _, _ = fit_intensity(subset(stream, pick), channels, start=theta)
        draws.append(th)
    return np.atleast_2d(np.cov(np.asarray(draws), rowvar=False))
