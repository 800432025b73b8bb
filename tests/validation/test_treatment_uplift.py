"""A treatment's expected uplift against the Hawkes closed form (Chehrazi & Weber 2015).

One treatment of size δ₂ adds δ₂/κ expected payment events directly, and δ₂/(κ(1−n)) once each
payment excites the process with branching ratio n = E[δ₁₀ + δ₁₁R]/κ. Paired cohorts (same seed,
same accounts) with and without the treatment measure the uplift per account; payments are tiny
partial ones, so no account closes and the linear Hawkes algebra applies exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

import collectsim as cs

SCENARIO = """
name = "known_answer_treatment"
[horizon]
days = 365
[population]
accounts = 20000
[population.segments.all]
share = 1.0
balance = { dist = "constant", value = 1000.0 }
reasons = { only = 1.0 }
[reasons.only]
lambda_inf = 0.002
heterogeneity = 0.0
contactability = 5.0     # every send reaches the borrower
ability = 0.0            # no payment clears the balance
responsiveness = 1.0
[repayment]
kappa = 0.1
delta_10 = 0.0
delta_11 = 0.0
partial_fraction = { dist = "uniform", low = 0.001, high = 0.002 }
[chargeoff]
dpd = 1000
[channels.sms]
contact_prob = 1.0
effect = 0.1
[policy.ladders.one]
[[policy.ladders.one.stages]]
name = "all"
from_dpd = 1
to_dpd = 1000
actions = [{ channel = "sms", max_times = 1 }]
"""


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> cs.Scenario:
    path = tmp_path_factory.mktemp("ka") / "treatment.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    return cs.load_scenario(path)


@pytest.mark.parametrize("delta_10", [0.0, 0.05])
def test_one_treatment_adds_the_closed_form_number_of_payments(cohort: cs.Scenario, delta_10: float) -> None:
    """Treated − untreated payments per account = δ₂/(κ(1−n)) within 3.5 standard errors."""
    sc = cs.with_overrides(cohort, {"repayment.delta_10": delta_10})
    treated = cs.simulate(sc, seed=1).accounts["payments"].to_numpy()
    untreated = cs.simulate(cs.with_overrides(sc, {"channels.sms.effect": 0.0}), seed=1).accounts["payments"]
    diff = treated - untreated.to_numpy()
    kappa, delta_2 = 0.1, 0.1
    n = delta_10 / kappa
    expected = delta_2 / (kappa * (1 - n))
    se = diff.std(ddof=1) / np.sqrt(diff.size)
    assert abs(diff.mean() - expected) < 3.5 * se + 0.01, (diff.mean(), expected, se)


def test_reminder_wear_out_scales_each_further_send(cohort: cs.Scenario) -> None:
    """Three sends with fatigue f add δ₂/κ × (1 + (1−f) + (1−f)²) events: each has (1−f) of the one before."""
    rung = "policy.ladders.one.stages.0.actions.0"
    sc = cs.with_overrides(cohort, {"channels.sms.fatigue": 0.5, f"{rung}.max_times": 3, f"{rung}.every_days": 30})
    treated = cs.simulate(sc, seed=2).accounts["payments"].to_numpy()
    untreated = cs.simulate(cs.with_overrides(sc, {"channels.sms.effect": 0.0}), seed=2).accounts["payments"]
    diff = treated - untreated.to_numpy()
    expected = 0.1 / 0.1 * (1 + 0.5 + 0.25)
    se = diff.std(ddof=1) / np.sqrt(diff.size)
    assert abs(diff.mean() - expected) < 3.5 * se + 0.01, (diff.mean(), expected, se)
