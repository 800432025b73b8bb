"""The synthetic population: score quality, trait ranges, segment shares."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import collectsim as cs


def auc(score: np.ndarray, label: np.ndarray) -> float:
    """Mann–Whitney AUC."""
    ranks = stats.rankdata(score)
    pos = label.astype(bool)
    n1, n0 = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


@pytest.mark.parametrize("target", [0.6, 0.75, 0.9])
def test_score_auc_matches_scenario(baseline: cs.Scenario, target: float) -> None:
    """At 10,000 accounts the score's AUC against untreated 30-day self-cure is within ±0.02 of the target."""
    sc = cs.with_overrides(baseline, {"population.accounts": 10000, "score.auc": target, "horizon.days": 1})
    acc = cs.simulate(sc, seed=4).accounts
    assert abs(auc(acc["score"].to_numpy(), acc["self_cure_label"].to_numpy()) - target) < 0.02


def test_score_label_is_the_untreated_outcome(baseline: cs.Scenario) -> None:
    """The label the score is built on is what happens with no treatment: pay within 30 days."""
    raw = baseline.model_dump(mode="json", exclude_none=True)
    raw["policy"] = {"ladders": {"none": {"stages": []}}}
    raw["population"]["accounts"] = 5000
    sc = cs.scenario.scenario_from_dict(raw)
    acc = cs.simulate(sc, seed=8).accounts
    paid30 = (acc["first_payment_day"] >= 0) & (acc["first_payment_day"] < 30)
    assert (paid30 == acc["self_cure_label"]).all()


def test_segment_shares_and_traits(baseline: cs.Scenario) -> None:
    """Segment shares follow the scenario; latent traits stay in their ranges."""
    sc = cs.with_overrides(baseline, {"population.accounts": 20000, "horizon.days": 1})
    acc = cs.simulate(sc, seed=2).accounts
    share = acc["segment"].value_counts(normalize=True)
    for name, seg in sc.population.segments.items():
        assert share[name] == pytest.approx(seg.share, abs=0.015)
    assert acc["willingness"].between(0, 1).all() and acc["ability"].between(0, 1).all()
    assert (acc["opening_balance"] >= 1).all()
    assert acc["score"].between(0, 1).all()
