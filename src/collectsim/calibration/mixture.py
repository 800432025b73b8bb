"""A latent-class mixture of the repayment model, fitted by EM: one segment's borrowers as K hidden types.

The scenario describes a segment as a mix of latent reasons for delinquency (forgetful, illiquid,
unwilling, insolvent) that differ in how fast they pay, not in how a payment or a treatment
excites them. The mixture has that shape: class k has its own λ∞_k, λ₀_k and p_full,k (the
share of payments that clear the debt) and weight π_k; κ, δ₁₀, δ₁₁, δ₂,ch and the partial-payment
law are shared. An account's likelihood is Σ_k π_k L_k(history), with L_k the exact likelihood
of ``likelihood.py`` under class k's parameters times its payment-size terms.

EM (Dempster, Laird & Rubin 1977): the E-step gives each account's class responsibilities
r_ik ∝ π_k L_ik; the M-step sets π_k = mean r_ik, p_full,k in closed form, and maximises
Σ_ik r_ik ℓ_ik over the intensity parameters (concave for fixed κ; bounded L-BFGS-B with the
analytic gradient). Each EM step cannot lower the marginal likelihood; it stops when the gain
is below 1e-9 of it. κ is held at the one-class estimate while EM runs from each start (the
excitation basis, the costly part, is then computed once), and freed for a final polish of the
best. Starts: accounts split by their payment rate, and a random split (seeded). Classes are
reported fastest first (λ∞ descending).
Standard errors: the inverse observed information of the marginal likelihood, by central
differences of its gradient (the Fisher identity gives that gradient from the M-step's).
The number of classes can be chosen by BIC = −2ℓ + (parameters) × ln(accounts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp, softmax

from collectsim.calibration.histories import Prepared
from collectsim.calibration.likelihood import KAPPA_MIN, Stream, _dg, _g, excitation
from collectsim.calibration.mle import Estimate, beta_fit, fit_intensity
from collectsim.errors import CollectsimError

MAX_ITER = 300
POLISH_ITER = 30
TOL = 1e-9
RANDOM_STARTS = 1
P_EPS = 1e-6
MAX_CLASSES = 6


@dataclass(frozen=True)
class MixtureFit:
    """Per class (fastest first): weight, lambda_inf, lambda_0, p_full; shared parameters; fit statistics."""

    classes: list[dict[str, Estimate]]
    shared: dict[str, Estimate]
    loglik: float
    bic: float
    iterations: int
    converged: bool
    responsibilities: np.ndarray  # (accounts, K)

    @property
    def k(self) -> int:
        return len(self.classes)


@dataclass
class _Data:
    """What the likelihood needs; the excitation basis (the costly part) is kept for the last κ asked."""

    stream: Stream
    pay_acc: np.ndarray
    n_full: np.ndarray  # per account
    n_partial: np.ndarray
    _kappa: float = math.nan
    _excitation: tuple[np.ndarray, np.ndarray] | None = None

    def excitation(self, kappa: float) -> tuple[np.ndarray, np.ndarray]:
        if kappa != self._kappa:
            self._kappa, self._excitation = kappa, excitation(self.stream, kappa)
        return self._excitation

    @classmethod
    def of(cls, prep: Prepared) -> _Data:
        st = prep.stream
        pay_acc = st.acc[st.is_pay]
        n = st.accounts
        full = np.bincount(pay_acc[prep.full], minlength=n).astype(float)
        partial = np.bincount(pay_acc[~prep.full], minlength=n).astype(float)
        return cls(st, pay_acc, full, partial)


def _unpack(theta: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    return theta[:k], theta[k : 2 * k], max(float(theta[2 * k]), KAPPA_MIN), theta[2 * k + 1 :]


def _class_terms(theta: np.ndarray, k: int, d: _Data, weights: np.ndarray | None):
    """Per-account intensity log-likelihood under each class (n, K) and, with ``weights`` = r, the gradient of
    Σ r_ik ℓ_ik over θ = (λ∞_1…K, λ₀_1…K, κ, γ)."""
    lam_inf, lam_0, kappa, gamma = _unpack(theta, k)
    st = d.stream
    s, ds = d.excitation(kappa)
    pay = st.is_pay
    tau = st.t[pay]
    e = np.exp(-kappa * tau)
    sp = s[pay]
    lam = lam_inf[None, :] * (1 - e)[:, None] + lam_0[None, :] * e[:, None] + (sp @ gamma)[:, None]
    if np.any(lam <= 0):
        return None, None
    n = st.accounts
    g_end = _g(kappa, st.end)
    u = st.end[st.acc] - st.t
    g_ev = _g(kappa, u)
    shared_int = np.bincount(st.acc, weights=(st.x @ gamma) * g_ev, minlength=n)
    logs = np.stack([np.bincount(d.pay_acc, weights=np.log(lam[:, j]), minlength=n) for j in range(k)], axis=1)
    integral = lam_inf[None, :] * st.end[:, None] + (lam_0 - lam_inf)[None, :] * g_end[:, None] + shared_int[:, None]
    ll = logs - integral
    if weights is None:
        return ll, None
    w = weights[d.pay_acc]  # (P, K)
    inv = w / lam
    grad = np.empty_like(theta, dtype=float)
    grad[:k] = (1 - e) @ inv - weights.T @ (st.end - g_end)
    grad[k : 2 * k] = e @ inv - weights.T @ g_end
    dlam_dk = (lam_0 - lam_inf)[None, :] * (-tau * e)[:, None] + (ds[pay] @ gamma)[:, None]
    dg_end = _dg(kappa, st.end)
    grad[2 * k] = float((dlam_dk * inv).sum() - (weights @ (lam_0 - lam_inf)) @ dg_end - (st.x @ gamma) @ _dg(kappa, u))
    grad[2 * k + 1 :] = sp.T @ inv.sum(axis=1) - st.x.T @ g_ev
    return ll, grad


def _size_terms(p_full: np.ndarray, d: _Data) -> np.ndarray:
    p = np.clip(p_full, P_EPS, 1 - P_EPS)
    return d.n_full[:, None] * np.log(p)[None, :] + d.n_partial[:, None] * np.log1p(-p)[None, :]


def _m_intensity(theta: np.ndarray, k: int, d: _Data, r: np.ndarray, free: np.ndarray) -> np.ndarray:
    scale = np.maximum(np.abs(theta), 1e-4)

    def f(z: np.ndarray) -> tuple[float, np.ndarray]:
        th = theta.copy()
        th[free] = z * scale[free]
        ll, gr = _class_terms(th, k, d, r)
        if ll is None:
            return 1e300, np.zeros_like(z)
        return -float((r * ll).sum()), -gr[free] * scale[free]

    bounds = [(0.0, None)] * int(free.sum())
    bounds[int(free[: 2 * k].sum())] = (KAPPA_MIN / scale[2 * k], None)  # κ
    res = minimize(f, theta[free] / scale[free], jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 200})
    out = theta.copy()
    out[free] = res.x * scale[free]
    return out


def _em(d: _Data, k: int, theta: np.ndarray, r: np.ndarray, free: np.ndarray, max_iter: int = MAX_ITER) -> tuple:
    """EM from responsibilities ``r``; returns (θ, π, p_full, r, ℓ, iterations, converged)."""
    prev = -np.inf
    pays = d.n_full + d.n_partial
    for it in range(1, max_iter + 1):
        pi = np.maximum(r.mean(axis=0), 1e-12)
        p_full = (r.T @ d.n_full) / np.maximum(r.T @ pays, 1e-12)
        theta = _m_intensity(theta, k, d, r, free)
        ll, _ = _class_terms(theta, k, d, None)
        joint = np.log(pi)[None, :] + ll + _size_terms(p_full, d)
        total = float(logsumexp(joint, axis=1).sum())
        r = softmax(joint, axis=1)
        if total - prev < TOL * abs(total):
            return theta, pi, p_full, r, total, it, True
        prev = total
    return theta, pi, p_full, r, total, max_iter, False


def _starts(d: _Data, k: int, seed: int) -> list[np.ndarray]:
    """Responsibilities to start from: accounts split into K by payment rate, then random splits."""
    st = d.stream
    rate = (d.n_full + d.n_partial) / np.maximum(st.end, 1e-9)
    order = np.argsort(np.argsort(rate, kind="stable"), kind="stable")  # slowest first: the report re-sorts
    hard = np.minimum(order * k // max(st.accounts, 1), k - 1)
    starts = [np.eye(k)[hard] * 0.9 + 0.1 / k]
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    starts += [rng.dirichlet(np.ones(k), size=st.accounts) for _ in range(RANDOM_STARTS)]
    return starts


def fit_mixture(prep: Prepared, k: int, *, seed: int = 1) -> MixtureFit:
    """The K-class mixture of one group of accounts, with standard errors (see the module docstring)."""
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_CLASSES:
        raise CollectsimError(f"--classes: {k!r} is not allowed; allowed: an integer 1–{MAX_CLASSES} or 'bic'")
    d = _Data.of(prep)
    st = d.stream
    if st.accounts < 10 * k:
        raise CollectsimError(f"--classes: {k} classes need at least {10 * k} accounts; this group has {st.accounts}")
    one, _, _ = fit_intensity(st, prep.channels)
    free = np.ones(2 * k + 1 + one.size - 3, dtype=bool)
    if not st.x[:, 0].any():  # no partial payment: δ₁₀, δ₁₁ do not enter ℓ
        free[2 * k + 1 : 2 * k + 3] = False
    # EM with κ held at the one-class estimate (the excitation basis is then computed once), from
    # each start; the best is polished with κ free, which moves it little (κ is shared).
    held = free.copy()
    held[2 * k] = False
    best = None
    for r0 in _starts(d, k, seed):
        spread = np.geomspace(2.0, 0.5, k) if k > 1 else np.ones(1)
        theta0 = np.r_[one[0] * spread, one[1] * spread, one[2], one[3:]]
        theta0[~free] = 0.0
        run = _em(d, k, theta0, r0, held)
        if best is None or run[4] > best[4]:
            best = run
    theta, pi, p_full, r, ll, iters, ok = best
    polish = _em(d, k, theta, r, free, max_iter=POLISH_ITER)
    theta, pi, p_full, r, ll = polish[:5]
    iters += polish[5]
    ok = ok and polish[6]
    order = np.argsort(-theta[:k], kind="stable")
    theta = np.r_[theta[:k][order], theta[k : 2 * k][order], theta[2 * k :]]
    pi, p_full, r = pi[order], p_full[order], r[:, order]
    se = _standard_errors(theta, pi, p_full, k, d, free)
    classes = [
        {
            "weight": Estimate(float(pi[j]), se["weight"][j], "hessian"),
            "lambda_0": Estimate(float(theta[k + j]), se["theta"][k + j], "hessian"),
            "lambda_inf": Estimate(float(theta[j]), se["theta"][j], "hessian"),
            "p_full": Estimate(float(p_full[j]), se["p_full"][j], "hessian"),
        }
        for j in range(k)
    ]
    names = ["kappa", "delta_10", "delta_11", *(f"delta_2.{c}" for c in prep.channels)]
    shared = {
        name: Estimate(float(theta[2 * k + i]), se["theta"][2 * k + i], "hessian")
        for i, name in enumerate(names)
        if free[2 * k + i]
    }
    partial = prep.r[~prep.full]
    if np.unique(partial).size >= 2:
        a, b, cov = beta_fit(partial)
        shared["r_alpha"] = Estimate(a, float(math.sqrt(cov[0, 0])), "beta information")
        shared["r_beta"] = Estimate(b, float(math.sqrt(cov[1, 1])), "beta information")
    n_params = (k - 1) + 3 * k + int(free[2 * k :].sum()) + (2 if "r_alpha" in shared else 0)
    bic = -2 * ll + n_params * math.log(st.accounts)
    return MixtureFit(classes, shared, ll, bic, iters, ok, r)


def _marginal_gradient(z: np.ndarray, k: int, d: _Data, free: np.ndarray) -> np.ndarray:
    """∂ℓ/∂z of the marginal log-likelihood, z = (θ over ``free``, logits a_1…a_{K−1}, p_full,1…K)."""
    nf = int(free.sum())
    theta = np.zeros(free.size)
    theta[free] = z[:nf]
    logits = np.r_[z[nf : nf + k - 1], 0.0]
    p_full = np.clip(z[nf + k - 1 :], P_EPS, 1 - P_EPS)
    ll, _ = _class_terms(theta, k, d, None)
    joint = np.log(softmax(logits))[None, :] + ll + _size_terms(p_full, d)
    r = softmax(joint, axis=1)
    _, g_theta = _class_terms(theta, k, d, r)
    pi = softmax(logits)
    g_logits = (r - pi[None, :]).sum(axis=0)[: k - 1]
    g_p = (r * (d.n_full[:, None] / p_full - d.n_partial[:, None] / (1 - p_full))).sum(axis=0)
    return np.r_[g_theta[free], g_logits, g_p]


def _standard_errors(theta, pi, p_full, k, d, free) -> dict[str, np.ndarray]:
    """Square roots of the inverse observed information (NaN where it is not positive definite)."""
    z = np.r_[theta[free], np.log(pi[: k - 1] / pi[k - 1]), p_full]
    m = z.size
    h = 1e-5 * np.maximum(np.abs(z), 1e-6)
    hess = np.empty((m, m))
    for j in range(m):
        step = np.zeros(m)
        step[j] = h[j]
        hess[:, j] = (_marginal_gradient(z + step, k, d, free) - _marginal_gradient(z - step, k, d, free)) / (2 * h[j])
    hess = (hess + hess.T) / 2
    nan = {"theta": np.full(free.size, np.nan), "weight": np.full(k, np.nan), "p_full": np.full(k, np.nan)}
    try:
        cov = np.linalg.inv(-hess)
    except np.linalg.LinAlgError:
        return nan
    if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
        return nan
    nf = int(free.sum())
    se_theta = np.zeros(free.size)
    se_theta[free] = np.sqrt(np.diag(cov)[:nf])
    # π = softmax(a, 0): delta method through the Jacobian of the K weights on the K − 1 free logits.
    jac = (np.diag(pi) - np.outer(pi, pi))[:, : k - 1]
    cov_a = cov[nf : nf + k - 1, nf : nf + k - 1]
    se_w = np.sqrt(np.maximum(np.diag(jac @ cov_a @ jac.T), 0.0)) if k > 1 else np.zeros(1)
    return {"theta": se_theta, "weight": se_w, "p_full": np.sqrt(np.diag(cov)[nf + k - 1 :])}


def choose_classes(prep: Prepared, *, max_classes: int = 4, seed: int = 1) -> tuple[MixtureFit, dict[int, float]]:
    """The mixture with the lowest BIC over 1…``max_classes`` classes, and every BIC tried."""
    fits = {}
    for k in range(1, max_classes + 1):
        if prep.stream.accounts < 10 * k:
            break
        fits[k] = fit_mixture(prep, k, seed=seed)
    best = min(fits, key=lambda k: fits[k].bic)
    return fits[best], {k: f.bic for k, f in fits.items()}
