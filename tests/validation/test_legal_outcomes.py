"""Legal outcomes: most served cases end in default judgement, contested ones are slower (Pew 2020).

Every account is sued at DPD 3 and nobody pays, so no case is withdrawn and the run
is long enough for the slowest contested case to be decided: the shares and times
of decided cases are then those the scenario asks for.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import collectsim as cs
from collectsim.engine.daily.loop import Simulation
from collectsim.policy.ladder import LadderPolicy

REASONS = ("forgetful", "illiquid", "unwilling", "insolvent")
SUE = {"name": "sue", "from_dpd": 1, "to_dpd": 179, "actions": [{"name": "sue", "channel": "legal", "start_dpd": 3}]}
Z = 4.0  # half-width of the intervals in standard errors: the test fails by chance about once in 15,000 runs


@pytest.fixture(scope="module")
def sued(baseline: cs.Scenario) -> Simulation:
    over = {
        "population.accounts": 4000,
        "horizon.days": 720,
        "policy.ladders.standard.stages": [SUE],
        "teams.legal_officers.headcount": 40,
        "channels.legal.effect": 0.0,
    } | {f"reasons.{r}.{k}": 1e-7 for r in REASONS for k in ("lambda_0", "lambda_inf")}
    sim = Simulation(
        cs.with_overrides(baseline, over), 1, LadderPolicy(), record_events=False, check_invariants=False, progress=None
    )
    sim.run()
    return sim


def test_default_judgement_is_the_common_outcome(sued: Simulation) -> None:
    """Judgements ÷ decided > 0.70 and = 1 − contested_prob × (1 − contested_win_prob) within a binomial interval."""
    t, legal = sued.legal.tally, sued.sc.legal
    decided = t.won + t.lost
    assert decided == len(t.decided) > 2000 and t.withdrawn == 0
    expected = 1 - legal.contested_prob * (1 - legal.contested_win_prob)
    share = t.won / decided
    assert share > 0.70
    assert abs(share - expected) < Z * math.sqrt(expected * (1 - expected) / decided)
    contested = np.array([c for c, _ in t.decided])
    assert t.default_judgements == (~contested).sum() and t.contested == contested.sum()
    p = legal.contested_prob
    assert abs(contested.mean() - p) < Z * math.sqrt(p * (1 - p) / decided)


def test_uncontested_cases_take_court_days_and_contested_ones_longer(sued: Simulation) -> None:
    """Mean days service → judgement: court_days' mean when uncontested, contested_days' when contested."""
    t, legal = sued.legal.tally, sued.sc.legal
    contested = np.array([c for c, _ in t.decided])
    days = np.array([d for _, d in t.decided])
    for mask, spec in ((~contested, legal.court_days), (contested, legal.contested_days)):
        assert abs(days[mask].mean() - spec.mean) < Z * spec.sd / math.sqrt(mask.sum())
    assert days[contested].mean() > days[~contested].mean() + 150
