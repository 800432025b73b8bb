"""The engine's own average ranks equal scipy's, and a simulation no longer loads scipy.stats (0.65 s per worker)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import rankdata

from collectsim.engine.accounts import score
from collectsim.engine.accounts.score import _AucAlong, _rank_sum, auc, average_ranks


@pytest.mark.parametrize("seed", range(5))
def test_average_ranks_equal_rankdata_with_and_without_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for x in (rng.normal(size=500), rng.integers(0, 7, 500).astype(float), np.zeros(3), np.array([2.0])):
        assert np.array_equal(average_ranks(x), rankdata(x))


@pytest.mark.parametrize("seed", range(3))
def test_ranks_from_a_nearby_order_are_the_same(seed: int) -> None:
    """A bisection sorts each signal starting from the last one's order; ties must not notice."""
    rng = np.random.default_rng(seed)
    for x in (rng.normal(size=500), rng.integers(0, 7, 500).astype(float)):
        for near in (np.argsort(x + rng.normal(scale=0.1, size=x.size)), rng.permutation(x.size)):
            assert np.array_equal(average_ranks(x, near), rankdata(x))


def test_auc_along_a_bisection_equals_auc_from_scratch() -> None:
    rng = np.random.default_rng(4)
    z, e = rng.normal(size=2000), rng.normal(size=2000)
    label = z + rng.normal(size=2000) > 0
    along = _AucAlong(label)
    for r in (0.5, 0.75, 0.625, 0.6875, 0.0, 1.0):
        signal = np.round(r * z + np.sqrt(1 - r * r) * e, 2)  # rounded: ties too
        assert along(signal) == auc(signal, label)
    assert _AucAlong(np.zeros(5, dtype=bool))(np.arange(5.0)) == 0.5


@pytest.mark.parametrize("seed", range(3))
def test_rank_sum_equals_the_sum_of_the_average_ranks_bit_for_bit(seed: int) -> None:
    """A bisection step sums the members' ranks from the order alone when nothing ties; ties take the long way."""
    rng = np.random.default_rng(seed)
    untied, tied = rng.normal(size=3000), np.round(rng.normal(size=3000), 1)
    for x in (untied, tied, np.r_[untied[:50], np.nan, np.nan]):  # NaNs rank apart, as in _ranks
        label = rng.random(x.size) < 0.3
        for order in (np.argsort(x), np.argsort(x, kind="stable")):  # ties in two orders
            assert _rank_sum(x, label, order) == float(score._ranks(x, order)[label].sum())
    assert _rank_sum(untied, untied > 0, np.argsort(untied)) == float(rankdata(untied)[untied > 0].sum())


def test_rank_sum_without_ties_needs_no_ranks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shortcut is taken: an untied signal never builds the ranks array."""
    x = np.random.default_rng(1).normal(size=500)

    def no_ranks(*_):
        raise AssertionError("ranks built for an untied signal")

    monkeypatch.setattr(score, "_ranks", no_ranks)
    assert _rank_sum(x, x > 0.3, np.argsort(x)) == float(rankdata(x)[x > 0.3].sum())


def test_auc_of_a_perfect_and_a_tied_signal() -> None:
    label = np.array([False, False, True, True])
    assert auc(np.array([0.1, 0.2, 0.8, 0.9]), label) == 1.0
    assert auc(np.zeros(4), label) == 0.5


def test_a_simulation_does_not_import_scipy_stats() -> None:
    baseline = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml"
    code = (
        "import sys, collectsim as cs; "
        f"cs.simulate(cs.load_scenario({str(baseline)!r}, {{'population.accounts': 200}}), seed=1); "
        "print('scipy.stats' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
