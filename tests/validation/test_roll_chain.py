"""The chain of monthly roll rates agrees with the share of accounts written off.

For a cohort entering at DPD 1, charged off at DPD 180, observed for at least 180 days,
in which an account leaves collections only by payment, settlement or write-off (no
plan or payment holiday stops its charge-off clock): every written-off account was open
at DPD 1, 31, …, 151, so by the definition of conditional probability

    P(written off) = P(open at 31 | open at 1) × P(open at 61 | open at 31) × … × P(open at 151 | open at 121)
                     × P(written off | open at 151)
                   = roll_rate_1_30 × roll_rate_30_60 × roll_rate_60_90 × roll_rate_90_120 × roll_rate_120_150
                     × (the last, partial bucket 151–180).

The product telescopes exactly, so the check holds to floating-point tolerance; it
fails if two buckets' boundaries do not meet (an account counted in neither or in both)
or if anything other than charge-off at DPD 180 writes accounts off.
"""

from __future__ import annotations

import numpy as np
import pytest

import collectsim as cs
from collectsim import metrics


def _open_at(acc, dpd: int) -> np.ndarray:
    res = acc["resolution_dpd"].to_numpy(dtype=float)
    return np.isnan(res) | (res >= dpd)


@pytest.mark.parametrize(("horizon", "seed"), [(180, 1), (220, 2)])
def test_roll_rates_chain_to_the_write_off_share(small: cs.Scenario, horizon: int, seed: int) -> None:
    """Written-off share = product of the five monthly roll rates × P(written off | open at DPD 151)."""
    sc = cs.with_overrides(small, {"chargeoff.dpd": 180, "horizon.days": horizon})
    assert not any(ch.kind in ("plan", "deferral") for ch in sc.channels.values())
    acc = cs.simulate(sc, seed=seed).accounts
    assert (acc["entry_dpd"] == 1).all() and (acc["entry_day"] == 0).all()
    k = metrics.portfolio_kpis(acc, horizon, 0.0)
    charged = acc["status"].isin(metrics.CHARGED_OFF).to_numpy()
    assert (acc.loc[charged, "resolution_dpd"] == 180).all()
    last_bucket = charged.sum() / _open_at(acc, 151).sum()
    chain = np.prod([k[metrics.roll_rate_name(b)] for b in range(1, 6)]) * last_bucket
    assert 0 < chain < 1
    assert chain == pytest.approx(k["write_off_account_rate"], rel=1e-12)
