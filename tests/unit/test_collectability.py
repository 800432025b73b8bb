"""The collectability filter: opt-in, bounded, deterministic, and informative about the latent reason."""

from __future__ import annotations

import numpy as np
import pytest

import collectsim as cs
from collectsim.engine.accounts.score import auc
from collectsim.policy.ladder import LadderPolicy


class Watching(LadderPolicy):
    uses_collectability = True

    def reset(self, ctx):
        super().reset(ctx)
        self.seen: list[tuple[np.ndarray, np.ndarray]] = []
        self.filter = None

    def decide(self, day, view):
        self.filter = view.collectability
        if day in (5, 40):
            self.seen.append((view.dcs.copy(), view.intensity.copy()))
        return super().decide(day, view)


@pytest.fixture
def small(baseline: cs.Scenario) -> cs.Scenario:
    return cs.with_overrides(baseline, {"population.accounts": 3000, "horizon.days": 60})


def test_view_without_opt_in_refuses(small: cs.Scenario) -> None:
    """A policy that did not ask for the filter gets a clear error, and the engine skips the work."""

    class Plain(LadderPolicy):
        def decide(self, day, view):
            with pytest.raises(AttributeError, match="uses_collectability"):
                _ = view.dcs
            return super().decide(day, view)

    cs.simulate(cs.with_overrides(small, {"horizon.days": 3}), seed=1, policy=Plain())


def test_scores_bounded_deterministic_and_informative(small: cs.Scenario) -> None:
    """DCS lies in [0, 1], intensity > 0, a rerun is identical, and P(forgetful) finds forgetful borrowers."""
    a, b = Watching(), Watching()
    res = cs.simulate(small, seed=3, policy=a)
    cs.simulate(small, seed=3, policy=b)
    for (d1, i1), (d2, i2) in zip(a.seen, b.seen, strict=True):
        assert np.array_equal(d1, d2) and np.array_equal(i1, i2)
        assert np.all((d1 >= 0) & (d1 <= 1)) and np.all(i1 > 0)
    reasons = list(small.reasons)
    truth = res.accounts["reason"].to_numpy() == "forgetful"
    p_forgetful = a.filter.reason_posterior()[:, reasons.index("forgetful")]
    assert auc(p_forgetful, truth) > 0.7
