"""The team machinery run as an M/M/c queue reproduces Erlang C; Little's law holds on every team queue."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import collectsim as cs
from collectsim import queueing as q
from collectsim.engine.operations.validation import simulate_mmc

REPS = 8
# (arrivals per hour, AHT minutes, agents): ρ = 0.90 (heavy), 0.82, 0.75, 0.80 (large), 0.90 (heavy, large)
SETTINGS = [(90, 6, 10), (90, 6, 11), (90, 6, 12), (200, 6, 25), (180, 6, 20)]


def _interval(x: list[float], level: float = 0.99) -> tuple[float, float]:
    x = np.asarray(x)
    half = stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
    return float(x.mean() - half), float(x.mean() + half)


@pytest.mark.parametrize(("per_hour", "aht", "agents"), SETTINGS)
def test_mmc_matches_erlang_c(per_hour: float, aht: float, agents: int) -> None:
    """Over independent replications, P(wait) and mean wait bracket Erlang C's values (99% t-interval)."""
    runs = [simulate_mmc(per_hour, aht, agents, hours=60, warmup_hours=8, within_s=20, seed=s) for s in range(REPS)]
    load = q.offered_load(per_hour, aht)
    lo, hi = _interval([r.p_wait for r in runs])
    assert lo <= q.erlang_c(agents, load) <= hi
    lo, hi = _interval([r.mean_wait_min for r in runs])
    assert lo <= q.mean_wait_min(agents, per_hour, aht) <= hi
    lo, hi = _interval([r.service_level for r in runs])
    assert lo <= q.service_level(agents, per_hour, aht, 20) <= hi


def test_erlang_comparison_can_fail() -> None:
    """One agent fewer than simulated is rejected by the same interval: the test has power."""
    runs = [simulate_mmc(90, 6, 11, hours=60, warmup_hours=8, within_s=20, seed=s) for s in range(REPS)]
    lo, hi = _interval([r.p_wait for r in runs])
    assert not lo <= q.erlang_c(10, q.offered_load(90, 6)) <= hi


def test_littles_law_every_team_queue(small: cs.Scenario) -> None:
    """∫ queue length dt equals the total time items waited, on every outbound and inbound queue."""
    sc = cs.with_overrides(small, {"channels.sms.callback": "call", "channels.sms.callback_prob": 0.05})
    teams = cs.simulate(sc, seed=2).teams
    assert teams.loc[teams["team"] == "early_callers", "inbound_calls"].iloc[0] > 0
    for r in teams.itertuples():
        assert r.queue_area == pytest.approx(r.queue_wait_total, rel=1e-9, abs=1e-9), r.team
        assert r.inbound_area == pytest.approx(r.inbound_wait_total, rel=1e-9, abs=1e-9), r.team
        # L = λW: the time-average queue equals the arrival rate times the mean wait.
        if r.queue_arrivals:
            assert r.queue_mean == pytest.approx(r.queue_arrivals / sc.horizon.days * r.wait_mean_days)


@pytest.mark.slow
@pytest.mark.parametrize(("per_hour", "aht", "agents"), [(94, 6, 10), (90, 6, 10)])
def test_mmc_heavy_load_long(per_hour: float, aht: float, agents: int) -> None:
    """Slow: at ρ ≈ 0.94 with long runs and 40 replications, mean wait still brackets Erlang C."""
    seeds = range(100, 140)
    runs = [simulate_mmc(per_hour, aht, agents, hours=200, warmup_hours=24, within_s=20, seed=s) for s in seeds]
    lo, hi = _interval([r.mean_wait_min for r in runs])
    assert lo <= q.mean_wait_min(agents, per_hour, aht) <= hi
    lo, hi = _interval([r.p_wait for r in runs])
    assert lo <= q.erlang_c(agents, q.offered_load(per_hour, aht)) <= hi
