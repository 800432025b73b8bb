"""A risk score of chosen AUC that knows what a real score knows: the borrower's latent traits.

A collection score ranks borrowers by covariates that correlate with their propensity to pay;
it does not see the coin flip that decides whether a given borrower pays. So the score's
signal is the account's untreated 30-day hazard Λ (on a log scale, standardised) blurred by
noise, ``ρ·z + √(1 − ρ²)·ε``, with ρ chosen so that the AUC against the self-cure label is the
scenario's. Because the signal orders borrowers by propensity, a sharper score also separates
the slow payers from the ones who will never pay (an unwilling borrower from an insolvent one),
which a score built on the label alone could not: among the accounts that did not self-cure it
would be pure noise.

Knowing Λ exactly gives the "oracle" AUC (about 0.93 for the shipped behaviour). A requested AUC
above it can only come from knowing part of the outcome itself, so the label is added to the
exact signal, ``z + d·label``, with d chosen to reach the AUC.

The signal is reported as a calibrated probability of self-cure: a logistic fit of the label on
the signal (its intercept makes the mean score equal the self-cure rate of the sample it is fitted on).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import expit

CALIBRATION_SAMPLE = 50_000  # accounts used to find ρ or d: the AUC is estimated within ±0.005
BISECTION_STEPS = 40
MAX_LEAK = 50.0  # d at which label-1 and label-0 signals no longer overlap (AUC → 1)
NEWTON_STEPS = 25


def auc(signal: np.ndarray, label: np.ndarray) -> float:
    """Mann–Whitney AUC of ``signal`` against a boolean ``label`` (0.5 when one class is empty)."""
    return _mann_whitney(label, lambda: average_ranks(signal)[label].sum())


def average_ranks(x: np.ndarray, near: np.ndarray | None = None) -> np.ndarray:
    """Ranks 1…n, ties sharing their average (``scipy.stats.rankdata``'s default), in numpy alone.

    scipy.stats costs 0.65 s to import, paid again by every worker process; this is all the engine
    needed of it. ``near`` is an order that nearly sorts ``x`` (a previous signal's, in a bisection):
    merge sort finishes a nearly sorted array ~3.5× faster than quicksort a shuffled one, and ties are
    averaged, so the ranks are the same.
    """
    return _ranks(x, _sort_order(x, near))


def _sort_order(x: np.ndarray, near: np.ndarray | None) -> np.ndarray:
    """Any sorting order of ``x`` (ranks average ties, so which tie comes first does not matter):
    quicksort from scratch, merge sort (which finds the runs) from a nearby order."""
    if near is None:
        return np.argsort(x)
    return near[np.argsort(x[near], kind="mergesort")]


def _ranks(x: np.ndarray, order: np.ndarray) -> np.ndarray:
    xs = x[order]
    first = np.r_[True, xs[1:] != xs[:-1]]
    starts = np.flatnonzero(first)
    ends = np.r_[starts[1:], xs.size]
    ranks = np.empty(x.size)
    ranks[order] = ((starts + ends + 1) / 2.0)[np.cumsum(first) - 1]
    return ranks


def _mann_whitney(label: np.ndarray, rank_sum: Callable[[], float]) -> float:
    """The AUC from ``rank_sum``: the sum of the ``label`` members' average ranks, asked for if both classes occur."""
    n1 = int(label.sum())
    n0 = label.size - n1
    if n1 == 0 or n0 == 0:
        return 0.5
    return float((rank_sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _rank_sum(x: np.ndarray, label: np.ndarray, order: np.ndarray) -> float:
    """The sum of the average ranks of ``x``'s ``label`` members, given a sorting ``order`` of ``x``.

    Without ties (a continuous signal's usual case) the ranks along the order are 1…n, so the sum is
    that of the members' positions plus their count: no ranks to build and scatter, which was most
    of a bisection step. Ranks are whole or half numbers, and their sums (below 2⁵³ for n up to 10⁸)
    are exact in floating point, so both ways give the same number bit for bit.
    """
    xs = x[order]
    if np.all(xs[1:] != xs[:-1]):  # what ``_ranks`` takes for no ties: each value starts its own group
        members = label[order]
        return float(np.flatnonzero(members).sum() + np.count_nonzero(members))
    return float(_ranks(x, order)[label].sum())


class _AucAlong:
    """AUC of a sequence of nearby signals against one label (a bisection's steps), each sorted from the
    last one's order: 2× faster calibration at 100k accounts, the same AUCs."""

    def __init__(self, label: np.ndarray) -> None:
        self.label = label
        self.order: np.ndarray | None = None

    def __call__(self, signal: np.ndarray) -> float:
        order = self.order = _sort_order(signal, self.order)
        return _mann_whitney(self.label, lambda: _rank_sum(signal, self.label, order))


def _standardised(x: np.ndarray) -> np.ndarray:
    sd = x.std()
    return (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)


def _bisect(auc_at, target: float, lo: float, hi: float) -> float:
    """The parameter in [lo, hi] where the increasing function ``auc_at`` reaches ``target``."""
    for _ in range(BISECTION_STEPS):
        mid = (lo + hi) / 2
        if auc_at(mid) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _logistic_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Intercept and slope of P(y | x) = expit(a + b·x) by Newton's method (maximum likelihood)."""
    base = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
    a, b = float(np.log(base / (1 - base))), 0.0
    X = np.column_stack([np.ones_like(x), x])
    for _ in range(NEWTON_STEPS):
        p = expit(a + b * x)
        grad = X.T @ (y - p)
        hess = (X * (p * (1 - p))[:, None]).T @ X + 1e-9 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        a, b = a + float(step[0]), b + float(step[1])
        if np.abs(step).max() < 1e-10:
            break
    return a, b


def risk_score(rng: np.random.Generator, hazard: np.ndarray, label: np.ndarray, target_auc: float) -> np.ndarray:
    """Calibrated P(self-cure | signal) for a signal on the untreated hazard whose AUC against ``label`` is the target.

    ``hazard`` is each account's untreated cumulative hazard over the score's horizon (its
    propensity); ``label`` whether it paid within the horizon untreated.
    """
    n = label.size
    if n == 0:
        return np.empty(0)
    y = label.astype(bool)
    z = _standardised(np.log(hazard + 1e-12))
    noise = rng.standard_normal(n)
    sample = rng.permutation(n)[:CALIBRATION_SAMPLE]
    zs, es, ys = z[sample], noise[sample], y[sample]
    along = _AucAlong(ys)
    if auc(zs, ys) >= target_auc:
        rho = _bisect(lambda r: along(r * zs + np.sqrt(1 - r * r) * es), target_auc, 0.0, 1.0)
        signal = rho * z + np.sqrt(1 - rho * rho) * noise
    else:
        leak = _bisect(lambda d: along(zs + d * ys), target_auc, 0.0, MAX_LEAK)
        signal = z + leak * y
    a, b = _logistic_fit(signal[sample], ys.astype(float))
    return expit(a + b * signal)
