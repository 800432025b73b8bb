"""Erlang C formulas checked against the published worked example, peer libraries and a birth-death chain."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, special, stats

from collectsim.errors import CollectsimError
from collectsim.queueing import (
    ErlangReport,
    agents_needed,
    erlang_b,
    erlang_c,
    erlang_report,
    erlang_table,
    mean_wait_min,
    occupancy,
    offered_load,
    service_level,
    square_root_staffing,
)

# Worked Erlang C example (docs/sources.md): 200 calls/h, AHT 6 min, A = 20.
# N: (P(wait), SL(20 s), ASA in s, occupancy), at the published rounding (3, 3, 1, 2 decimals).
WORKED = {
    23: (0.416, 0.648, 49.9, 0.87),
    24: (0.298, 0.761, 26.8, 0.83),
    25: (0.209, 0.842, 15.1, 0.80),
    26: (0.143, 0.897, 8.6, 0.77),
}

# Reference Erlang C values (scipy, pyworkforce, erlanglib agree to 1e-15): 90/h, AHT 6 min;
# c: (Pw, ASA min, SL(20 s)).
PEERS = {
    10: (0.668732, 4.012389, 0.367407),
    11: (0.430470, 1.291411, 0.614798),
    12: (0.266035, 0.532069, 0.774807),
}


def _birth_death(c: int, load: float, aht_min: float, within_s: float) -> tuple[float, float, float]:
    """(P(wait), mean wait in min, SL) of M/M/c from the chain's own rates, independent of the Erlang formulas.

    Detailed balance π(n+1)/π(n) = λ / (μ·min(n+1, c)) in log space, truncated where the geometric tail is
    negligible; an arrival that finds n >= c waits an Erlang(n − c + 1, c·μ) time (PASTA).
    """
    mu = 1.0 / aht_min
    lam = load * mu
    n = np.arange(c + 4000)
    log_step = np.log(lam) - np.log(mu * np.minimum(n[1:], c))
    log_pi = np.concatenate([[0.0], np.cumsum(log_step)])
    pi = np.exp(log_pi - special.logsumexp(log_pi))
    queue = n >= c
    p_wait = pi[queue].sum()
    mean_wait = (pi[queue] * (n[queue] - c + 1)).sum() / (c * mu)
    waited_ok = stats.gamma.cdf(within_s / 60.0, a=n[queue] - c + 1, scale=1.0 / (c * mu))
    sl = pi[~queue].sum() + (pi[queue] * waited_ok).sum()
    return p_wait, mean_wait, sl


def _halfin_whitt_beta(p_wait: float) -> float:
    """β at which the Halfin–Whitt limit P(wait) = 1 / (1 + β·Φ(β)/φ(β)) equals p_wait."""
    alpha = lambda b: 1.0 / (1.0 + b * stats.norm.cdf(b) / stats.norm.pdf(b))  # noqa: E731
    return optimize.brentq(lambda b: alpha(b) - p_wait, 1e-6, 10.0)


@pytest.mark.parametrize("n", sorted(WORKED))
def test_domain_worked_example(n: int) -> None:
    """Each row of the worked Erlang C example is reproduced to its published rounding."""
    pw, sl, asa_s, occ = WORKED[n]
    assert offered_load(200, 6) == pytest.approx(20.0)
    assert round(erlang_c(n, 20.0), 3) == pw
    assert round(service_level(n, 200, 6, 20), 3) == sl
    assert round(mean_wait_min(n, 200, 6) * 60, 1) == asa_s
    assert round(occupancy(n, 200, 6), 2) == occ


def test_domain_worked_example_staffing() -> None:
    """80/20 needs 25 agents (the first row meeting it), which is 36 rostered with 30 % shrinkage."""
    assert agents_needed(200, 6, 0.8, 20) == 25
    rep = erlang_report(200, 6, 0.8, 20, shrinkage=0.3)
    assert (rep.agents, rep.rostered, rep.load) == (25, 36, pytest.approx(20.0))
    assert rep.meets_target and rep.service_level == pytest.approx(service_level(25, 200, 6, 20))
    assert rep.mean_wait_s == pytest.approx(mean_wait_min(25, 200, 6) * 60)


@pytest.mark.parametrize("c", sorted(PEERS))
def test_performance_peer_settings(c: int) -> None:
    """Settings 90/h, 6 min, c = 10–12 match the reference Erlang C values to 1e-6."""
    pw, asa, sl = PEERS[c]
    assert erlang_c(c, offered_load(90, 6)) == pytest.approx(pw, abs=1e-6)
    assert mean_wait_min(c, 90, 6) == pytest.approx(asa, abs=1e-6)
    assert service_level(c, 90, 6, 20) == pytest.approx(sl, abs=1e-6)


def test_erlang_b_matches_poisson_ratio() -> None:
    """Erlang B equals the Poisson pmf/cdf ratio, including at c = 200 where A^c/c! overflows a float."""
    for c, a in [(1, 0.5), (10, 9.0), (200, 190.0), (1000, 1100.0)]:
        assert erlang_b(c, a) == pytest.approx(stats.poisson.pmf(c, a) / stats.poisson.cdf(c, a), rel=1e-10)


@pytest.mark.parametrize(("c", "load"), [(1, 0.5), (3, 2.0), (10, 9.0), (50, 45.0), (200, 190.0)])
def test_erlang_c_matches_birth_death_chain(c: int, load: float) -> None:
    """P(wait), mean wait and SL(20 s) agree with the M/M/c chain's stationary distribution, large c included."""
    pw, wait, sl = _birth_death(c, load, aht_min=6.0, within_s=20.0)
    arrivals = load * 60.0 / 6.0
    assert erlang_c(c, load) == pytest.approx(pw, rel=1e-9)
    assert mean_wait_min(c, arrivals, 6.0) == pytest.approx(wait, rel=1e-9)
    assert service_level(c, arrivals, 6.0, 20.0) == pytest.approx(sl, rel=1e-9)


def test_unstable_and_idle_edges() -> None:
    """With N <= A everyone waits forever; with no load nobody waits."""
    assert erlang_c(20, 20.0) == 1.0 and erlang_c(5, 20.0) == 1.0
    assert mean_wait_min(20, 200, 6) == math.inf
    assert service_level(19, 200, 6, 20) == 0.0
    assert occupancy(10, 200, 6) == 1.0
    assert erlang_b(0, 3.0) == 1.0 and erlang_c(3, 0.0) == 0.0


def test_agents_needed_is_monotone_in_target() -> None:
    """A stricter target never needs fewer agents, and over a wide range it needs strictly more."""
    targets = np.linspace(0.05, 0.99, 40)
    needed = [agents_needed(200, 6, float(t), 20) for t in targets]
    assert needed == sorted(needed) and needed[-1] > needed[0]
    assert all(n > 20 for n in needed)  # always above the load, even for a lax target


def test_square_root_staffing_matches_exact_for_a_100() -> None:
    """At A = 100, β from the Halfin–Whitt delay formula staffs within ±2 of the exact Erlang C answer."""
    for p_wait in (0.5, 0.2, 0.1):  # β ≈ 0.51, 1.06, 1.42
        beta = _halfin_whitt_beta(p_wait)
        assert 0.5 <= beta <= 1.5
        exact = agents_needed(1000, 6, 1.0 - p_wait, 0)  # SL(0) = 1 − P(wait); A = 1000/h · 6 min = 100
        assert abs(square_root_staffing(100.0, beta) - exact) <= 2
    assert square_root_staffing(100.0, 1.0) == 110 and square_root_staffing(20.0, 0.0) == 20


def test_rostered_is_not_inflated_by_float_noise() -> None:
    """21 agents at 30 % shrinkage roster 30, although 21 / 0.7 is 30.000000000000004 in floats."""
    rep = erlang_report(160, 6, 0.8, 20, shrinkage=0.3)
    assert (rep.agents, rep.rostered) == (21, 30)


def test_erlang_table_rows() -> None:
    """A table has one report per staffing level, matching the single-value functions, unstable rows included."""
    rows = erlang_table(200, 6, 20, [20, 25])
    assert all(isinstance(r, ErlangReport) for r in rows)
    assert [r.agents for r in rows] == [20, 25] and rows[0].mean_wait_s == math.inf
    assert rows[1].p_wait == pytest.approx(erlang_c(25, 20.0)) and rows[1].rostered == 25
    assert not rows[0].meets_target and rows[1].meets_target


@pytest.mark.parametrize(
    ("call", "flag"),
    [
        (lambda: offered_load(0, 6), "--arrivals-per-hour"),
        (lambda: offered_load(-5, 6), "--arrivals-per-hour"),
        (lambda: offered_load(200, 0), "--aht-min"),
        (lambda: mean_wait_min(25, 200, float("nan")), "--aht-min"),
        (lambda: agents_needed(200, 6, 1.0, 20), "--target"),
        (lambda: agents_needed(200, 6, 0.0, 20), "--target"),
        (lambda: service_level(25, 200, 6, -1), "--within-s"),
        (lambda: erlang_report(200, 6, 0.8, 20, shrinkage=1.0), "--shrinkage"),
        (lambda: erlang_report(200, 6, 0.8, 20, shrinkage=-0.1), "--shrinkage"),
        (lambda: erlang_table(200, 6, 20, [-1]), "--agents"),
    ],
)
def test_errors_name_the_flag(call, flag: str) -> None:
    """Each bad input raises a one-line CollectsimError that names the flag and what is allowed."""
    with pytest.raises(CollectsimError) as err:
        call()
    msg = str(err.value)
    assert msg.startswith(f"{flag} must be ") and ", got " in msg and "\n" not in msg
