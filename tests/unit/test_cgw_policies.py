"""The CGW frontier and uplift research policies run, stay deterministic and price channels sensibly."""

from __future__ import annotations

import numpy as np
import pytest

import collectsim as cs
from collectsim.policy.cgw import CGWPolicy, UpliftPolicy, channel_economics, reason_params, window_rate


@pytest.fixture
def short(baseline: cs.Scenario) -> cs.Scenario:
    return cs.with_overrides(baseline, {"population.accounts": 2000, "horizon.days": 40})


def test_channel_costs_include_agent_minutes(baseline: cs.Scenario) -> None:
    """A call costs the team's rate per on-floor minute × its expected handle time; an SMS its unit cost."""
    call = channel_economics(baseline, "call")
    team = baseline.teams["early_callers"]
    per_minute = team.cost_per_fte_day / ((team.shift[1] - team.shift[0]) * 60)
    assert per_minute * 2 < call.cost < per_minute * 8
    assert channel_economics(baseline, "sms").cost == baseline.channels["sms"].cost
    assert np.all(call.promise_value > 0) and np.all(channel_economics(baseline, "sms").promise_value == 0)


def test_reason_params_keep_partial_mean(baseline: cs.Scenario) -> None:
    """The uniform stand-in for the partial share keeps its mean; ρ adds the in-house window's exit rate."""
    p = reason_params(baseline)[0]
    assert (p.r_low + p.r_high) / 2 == pytest.approx(baseline.repayment.partial_fraction.build().mean)
    assert window_rate(baseline) > baseline.economy.cost_of_funds / 365


@pytest.mark.parametrize("make", [UpliftPolicy, pytest.param(CGWPolicy, marks=pytest.mark.slow)], ids=["uplift", "cgw"])
def test_policies_run_and_repeat(short: cs.Scenario, make) -> None:
    """Same seed, same KPIs; the policy treats some accounts and not others."""
    a = cs.simulate(short, 4, policy=make()).kpis
    b = cs.simulate(short, 4, policy=make()).kpis
    assert {k: v for k, v in a.items() if v == v} == {k: v for k, v in b.items() if v == v}  # NaN ≠ NaN
    assert a["cost_channel"] > 0
