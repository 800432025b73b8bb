"""Synthetic borrowers: observable attributes, latent traits and a risk score of chosen AUC.

The score's label is the account's own untreated outcome: whether its repayment
intensity, with no treatment, would produce a payment within ``score.horizon_days``
given the account's first exponential threshold (the same draw the engine uses).
Its signal is the account's untreated hazard blurred to the requested AUC (engine/accounts/score.py).
"""

from __future__ import annotations

import math

import numpy as np

from collectsim.engine.accounts.score import risk_score
from collectsim.engine.accounts.state import Population
from collectsim.rng import Streams
from collectsim.scenario.schema import Scenario

WILLINGNESS_CONCENTRATION = 8.0
CONTACTABILITY_SD = 0.3


def macro_factor(sc: Scenario) -> float:
    """λ∞ scale for the economy: exp(β·Δunemployment) (docs/sources.md, Repayment behaviour)."""
    return math.exp(sc.economy.beta * sc.economy.unemployment_change_pp)


def cumulative_base_hazard(lam_inf: np.ndarray, lam_0: np.ndarray, kappa: float, t: float) -> np.ndarray:
    """∫₀ᵗ λ∞ + (λ₀ − λ∞)e^{−κs} ds: the untreated hazard before any payment."""
    return lam_inf * t + (lam_0 - lam_inf) * (1 - math.exp(-kappa * t)) / kappa


def _beta_around(rng: np.random.Generator, mean: np.ndarray) -> np.ndarray:
    m = np.clip(mean, 1e-3, 1 - 1e-3)
    return rng.beta(m * WILLINGNESS_CONCENTRATION, (1 - m) * WILLINGNESS_CONCENTRATION)


def _lognormal_unit(rng: np.random.Generator, sd: np.ndarray) -> np.ndarray:
    """Multipliers with mean 1 and standard deviation ``sd`` (1 where sd is 0)."""
    s2 = np.log1p(sd**2)
    return np.exp(rng.normal(-s2 / 2, np.sqrt(s2)))


def entry_days(sc: Scenario, n: int) -> np.ndarray:
    """Entry day of each account: all 0 for a cohort; for an inflow, days in proportion to weekly weights."""
    pop = sc.population
    if pop.mode == "cohort":
        return np.zeros(n, dtype=np.int32)
    weights = np.asarray(pop.inflow_weekly_weights or (1.0,))
    per_day = weights[(np.arange(pop.inflow_days) // 7) % weights.size]
    target = n * per_day / per_day.sum()
    counts = np.floor(target).astype(np.int64)
    # Largest remainders get the accounts that rounding down left over, so the total is exactly n.
    counts[np.argsort(counts - target, kind="stable")[: n - counts.sum()]] += 1
    return np.repeat(np.arange(pop.inflow_days, dtype=np.int32), counts)


def generate(sc: Scenario, streams: Streams, first_threshold: np.ndarray) -> Population:
    """Draw the population; ``first_threshold`` is each account's first Exp(1) payment threshold."""
    n = sc.population.accounts
    rng = streams.generator("traits")
    seg_names = list(sc.population.segments)
    segs = [sc.population.segments[k] for k in seg_names]
    reason_names = list(sc.reasons)
    reasons = [sc.reasons[k] for k in reason_names]
    segment = rng.choice(len(segs), size=n, p=[s.share for s in segs]).astype(np.int16)
    balance = np.empty(n)
    reason = np.empty(n, dtype=np.int16)
    entry_dpd = np.empty(n, dtype=np.int32)
    spread = streams.generator("entry_dpd")  # its own stream: a spread of entry DPD moves no other draw
    for k, seg in enumerate(segs):
        idx = np.flatnonzero(segment == k)
        balance[idx] = np.round(np.maximum(seg.balance.build().sample(rng, idx.size), 1.0), 2)
        mix = np.array([seg.reasons.get(r, 0.0) for r in reason_names])
        reason[idx] = rng.choice(len(reasons), size=idx.size, p=mix / mix.sum())
        one_day = isinstance(seg.entry_dpd, int)
        entry_dpd[idx] = seg.entry_dpd if one_day else seg.entry_dpd.build().sample(spread, idx.size)

    def per_reason(attr: str) -> np.ndarray:
        return np.array([getattr(r, attr) for r in reasons], dtype=float)[reason]

    macro = macro_factor(sc)
    mult = _lognormal_unit(rng, per_reason("heterogeneity"))
    lam_inf = per_reason("lambda_inf") * mult * macro
    lam0_spec = np.array([r.lambda_0 if r.lambda_0 is not None else np.nan for r in reasons])[reason]
    lam_0 = np.where(np.isnan(lam0_spec), lam_inf, lam0_spec * mult)
    willingness = _beta_around(rng, per_reason("willingness"))
    ability = _beta_around(rng, per_reason("ability"))
    contactability = per_reason("contactability") * _lognormal_unit(rng, np.full(n, CONTACTABILITY_SD))
    hazard = cumulative_base_hazard(lam_inf, lam_0, sc.repayment.kappa, sc.score.horizon_days)
    label = hazard >= first_threshold
    score = risk_score(streams.generator("score"), hazard, label, sc.score.auc)
    vulnerable = streams.generator("vulnerable").random(n) < per_reason("vulnerable_share")
    return Population(
        segment=segment,
        reason=reason,
        entry_day=entry_days(sc, n),
        entry_dpd=entry_dpd,
        balance=balance,
        score=score,
        self_cure_label=label,
        lam_inf=lam_inf,
        lam_0=lam_0,
        propensity_mult=mult,
        willingness=willingness,
        ability=ability,
        contactability=contactability,
        responsiveness=per_reason("responsiveness"),
        promise_kept=per_reason("promise_kept"),
        vulnerable=vulnerable,
        refusal_prob=per_reason("refusal_prob"),
        dispute_prob=per_reason("dispute_prob"),
        hardship=per_reason("hardship").astype(bool),
    )
