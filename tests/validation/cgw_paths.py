"""Event-by-event simulation of the CGW model under a frontier policy "keep λ ≥ level(w)" (tests only)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from collectsim.chehrazi import CGWParams


def _hazard(lam: np.ndarray, level: np.ndarray, t_hit: np.ndarray, s: np.ndarray, p: CGWParams) -> np.ndarray:
    """∫₀ˢ λ: decay from ``lam`` towards λ∞ until ``t_hit``, then held at ``level``."""
    free = np.minimum(s, t_hit)
    h = p.lambda_inf * free + (lam - p.lambda_inf) * (1 - np.exp(-p.kappa * free)) / p.kappa
    return h + level * np.clip(s - t_hit, 0.0, None)


def discounted_net(
    p: CGWParams,
    rho: float,
    chat: float,
    level: Callable[[np.ndarray], np.ndarray],
    lam0: float,
    w0: float,
    *,
    paths: int,
    seed: int,
    events: int = 200,
) -> np.ndarray:
    """Per path: Σ e^{−ρτ}·R·w − ĉ·∫e^{−ρt}dA under "treat up to level(w), sustain there", exact between events.

    Event k of every path uses the k-th draw of one stream, so policies compared on one seed are paired.
    """
    rng = np.random.default_rng(seed)
    thresholds = rng.exponential(size=(events, paths))
    sizes = rng.uniform(p.r_low, p.r_high, size=(events, paths))
    lam = np.full(paths, lam0)
    w = np.full(paths, w0)
    t = np.zeros(paths)
    total = np.zeros(paths)
    for k in range(events):
        lev = np.asarray(level(w), dtype=float)
        total -= np.exp(-rho * t) * chat * np.maximum(lev - lam, 0.0)
        lam = np.maximum(lam, lev)
        sustain = lev > p.lambda_inf
        ratio = np.where(sustain, (lam - p.lambda_inf) / np.maximum(lev - p.lambda_inf, 1e-300), 1.0)
        t_hit = np.where(sustain, np.log(np.maximum(ratio, 1.0)) / p.kappa, np.inf)
        e = thresholds[k]
        # Bisection for the payment time s with ∫₀ˢ λ = e (the hazard is increasing in s).
        lo, hi = np.zeros(paths), np.full(paths, 1.0)
        for _ in range(200):
            short = _hazard(lam, lev, t_hit, hi, p) < e
            if not short.any():
                break
            hi = np.where(short, hi * 2, hi)
        for _ in range(60):
            mid = (lo + hi) / 2
            below = _hazard(lam, lev, t_hit, mid, p) < e
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        s = (lo + hi) / 2
        held = np.clip(s - t_hit, 0.0, None)
        start = t + np.minimum(s, t_hit)
        cost_rate = chat * p.kappa * np.maximum(lev - p.lambda_inf, 0.0)
        total -= cost_rate * np.exp(-rho * start) * (1 - np.exp(-rho * held)) / rho
        t = t + s
        r = np.where(rng.random(paths) < p.full_share, 1.0, sizes[k]) if p.full_share > 0 else sizes[k]
        total += np.exp(-rho * t) * r * w
        w = w * (1 - r)
        free = np.minimum(s, t_hit)
        lam = np.where(s > t_hit, lev, p.lambda_inf + (lam - p.lambda_inf) * np.exp(-p.kappa * free))
        lam = lam + p.delta_10 + p.delta_11 * r
        if np.all(np.exp(-rho * t) * w < 1e-9 * w0):
            break
    return total
