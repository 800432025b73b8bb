"""The exact log-likelihood of the Chehrazi–Weber repayment intensity, vectorised over accounts.

For one account watched on [0, T] (T is the payment in full, or the end of observation),

    λ(t) = λ∞(1 − e^{−κt}) + λ₀e^{−κt} + Σ_{e: t_e < t} η_e e^{−κ(t − t_e)},

where η_e = δ₁₀ + δ₁₁R_e after a partial payment and δ₂,ch after a treatment on channel ch.
The jumps are linear in γ = (δ₁₀, δ₁₁, δ₂,ch …): η_e = x_e·γ with a fixed basis row x_e, so
the excitation just before event e is S_e·γ with S_e = Σ_{e' < e} x_{e'} e^{−κ(t_e − t_{e'})}.
The log-likelihood of the payment times is

    ℓ = Σ_payments log λ(τ−) − Σ_accounts ∫₀ᵀ λ dt,

and ∫λ is closed form: λ∞T + (λ₀ − λ∞)g(T) + Σ_e η_e g(T − t_e), with g(u) = (1 − e^{−κu})/κ.
For fixed κ, ℓ is concave in the other parameters (log of a linear form minus a linear
form), which is why the fit is well behaved. S_e follows the recursion
S_e = (S_{e−1} + x_{e−1}) e^{−κΔt}; it runs over the *rank* of an event within its account
(one numpy step for every account's r-th event), so the cost is one pass over the events
plus a Python loop as long as the longest history, never a loop over accounts.

Events at the same time: treatments come before payments (a call answered with a payment
counts as having preceded it), payments in file order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

BASE = ("lambda_inf", "lambda_0", "kappa")
JUMPS = ("delta_10", "delta_11")
KAPPA_MIN = 1e-6  # κ → 0 makes g(u) → u; a floor keeps the closed forms finite


@dataclass(frozen=True)
class Stream:
    """One group of accounts' events in the form the likelihood reads.

    Events are sorted by account, then time; ``x`` is each event's jump basis row (zero for a
    payment in full, which ends the account's risk); ``end`` is each account's T.
    """

    acc: np.ndarray  # account position of each event
    t: np.ndarray
    x: np.ndarray  # (events, 2 + channels)
    is_pay: np.ndarray
    end: np.ndarray  # per account
    batches: tuple[np.ndarray, ...]  # event indices of rank 1, 2, … within their account

    @property
    def accounts(self) -> int:
        return int(self.end.size)


def make_stream(acc: np.ndarray, t: np.ndarray, x: np.ndarray, is_pay: np.ndarray, end: np.ndarray) -> Stream:
    """A ``Stream`` from events already sorted by (account, time, treatments first)."""
    m = acc.size
    start = np.flatnonzero(np.r_[True, acc[1:] != acc[:-1]]) if m else np.empty(0, dtype=np.int64)
    rank = np.arange(m) - np.repeat(start, np.diff(np.r_[start, m])) if m else np.empty(0, dtype=np.int64)
    order = np.argsort(rank, kind="stable")
    cuts = np.searchsorted(rank[order], np.arange(1, int(rank.max(initial=0)) + 1))
    batches = tuple(b for b in np.split(order, cuts)[1:] if b.size)
    return Stream(acc, t, x, is_pay, end, batches)


def subset(stream: Stream, accounts: np.ndarray) -> Stream:
    """The stream of ``accounts`` (positions, repeats allowed: a bootstrap sample), renumbered 0…k−1."""
    counts = np.bincount(stream.acc, minlength=stream.accounts)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    n = counts[accounts]
    idx = np.repeat(starts[accounts] - np.r_[0, np.cumsum(n)[:-1]], n) + np.arange(int(n.sum()))
    acc = np.repeat(np.arange(accounts.size), n)
    return make_stream(acc, stream.t[idx], stream.x[idx], stream.is_pay[idx], stream.end[accounts])


def _g(kappa: float, u: np.ndarray) -> np.ndarray:
    return -np.expm1(-kappa * u) / kappa


def _dg(kappa: float, u: np.ndarray) -> np.ndarray:
    """∂g/∂κ."""
    return (u * np.exp(-kappa * u) + np.expm1(-kappa * u) / kappa) / kappa


def excitation(stream: Stream, kappa: float) -> tuple[np.ndarray, np.ndarray]:
    """S (events × jumps): the excitation basis just before each event, and ∂S/∂κ."""
    s = np.zeros_like(stream.x)
    d = np.zeros_like(stream.x)
    t, x = stream.t, stream.x
    for idx in stream.batches:
        prev = idx - 1
        lag = (t[idx] - t[prev])[:, None]
        decay = np.exp(-kappa * lag)
        carried = s[prev] + x[prev]
        s[idx] = carried * decay
        d[idx] = (d[prev] - lag * carried) * decay
    return s, d


def loglik(theta: np.ndarray, stream: Stream, *, grad: bool = True) -> tuple[float, np.ndarray]:
    """ℓ(θ) and its gradient; θ = (λ∞, λ₀, κ, δ₁₀, δ₁₁, δ₂,ch …)."""
    lam_inf, lam_0, kappa = float(theta[0]), float(theta[1]), max(float(theta[2]), KAPPA_MIN)
    gamma = theta[3:]
    s, ds = excitation(stream, kappa)
    pay = stream.is_pay
    tau = stream.t[pay]
    e_tau = np.exp(-kappa * tau)
    sp = s[pay]
    lam = lam_inf * (1 - e_tau) + lam_0 * e_tau + sp @ gamma
    if np.any(lam <= 0):
        return -np.inf, np.zeros_like(theta)
    end = stream.end
    u = end[stream.acc] - stream.t
    g_end, g_ev = _g(kappa, end), _g(kappa, u)
    integral = lam_inf * end.sum() + (lam_0 - lam_inf) * g_end.sum() + (stream.x @ gamma) @ g_ev
    ll = float(np.log(lam).sum() - integral)
    if not grad:
        return ll, np.zeros_like(theta)
    inv = 1.0 / lam
    out = np.empty_like(theta, dtype=float)
    out[0] = (1 - e_tau) @ inv - (end.sum() - g_end.sum())
    out[1] = e_tau @ inv - g_end.sum()
    dlam_dk = (lam_0 - lam_inf) * (-tau * e_tau) + ds[pay] @ gamma
    dint_dk = (lam_0 - lam_inf) * _dg(kappa, end).sum() + (stream.x @ gamma) @ _dg(kappa, u)
    out[2] = dlam_dk @ inv - dint_dk
    out[3:] = sp.T @ inv - stream.x.T @ g_ev
    return ll, out


def hessian(theta: np.ndarray, stream: Stream) -> np.ndarray:
    """Observed Hessian of ℓ: central differences of the analytic gradient, never stepping below 0."""
    return central_hessian(lambda th: loglik(th, stream)[1], theta, floor=0.0)


def central_hessian(gradient: Callable[[np.ndarray], np.ndarray], x: np.ndarray, *, floor: float | None = None):
    """Symmetrised central differences of an analytic ``gradient`` at ``x`` (relative steps of 1e-5); a step
    down is cut at ``floor`` when one is given (a parameter bounded there)."""
    k = x.size
    h = 1e-5 * np.maximum(np.abs(x), 1e-6)
    out = np.empty((k, k))
    for j in range(k):
        up, down = x.copy(), x.copy()
        up[j] += h[j]
        down[j] = x[j] - h[j] if floor is None else max(x[j] - h[j], floor)
        out[:, j] = (gradient(up) - gradient(down)) / (up[j] - down[j])
    return (out + out.T) / 2


def compensator(theta: np.ndarray, stream: Stream) -> tuple[np.ndarray, np.ndarray]:
    """∫λ over each event's following interval (to the next event of its account, or to T), and over [0, first event).

    Returns (per event, per account): the first array's entry e covers [t_e, next); the second
    covers each account's stretch before its first event (all of [0, T] if it has none).
    """
    lam_inf, lam_0, kappa = float(theta[0]), float(theta[1]), max(float(theta[2]), KAPPA_MIN)
    s, _ = excitation(stream, kappa)
    acc, t = stream.acc, stream.t
    last = np.r_[acc[1:] != acc[:-1], True] if acc.size else np.empty(0, dtype=bool)
    nxt = np.where(last, stream.end[acc], np.r_[t[1:], 0.0])
    base = lam_inf * (nxt - t) + (lam_0 - lam_inf) * (np.exp(-kappa * t) - np.exp(-kappa * nxt)) / kappa
    jump = (s + stream.x) @ theta[3:]
    per_event = base + jump * _g(kappa, nxt - t)
    first_t = stream.end.copy()
    if acc.size:
        first_idx = np.flatnonzero(np.r_[True, acc[1:] != acc[:-1]])
        first_t[acc[first_idx]] = t[first_idx]
    before = lam_inf * first_t + (lam_0 - lam_inf) * _g(kappa, first_t)
    return per_event, before
