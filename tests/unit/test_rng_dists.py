"""Random streams and distributions."""

from __future__ import annotations

import numpy as np
import pytest

from collectsim.rng import KeyedUniforms, Streams
from collectsim.scenario.schema import DistSpec

SPECS = [
    DistSpec(dist="constant", value=3.0),
    DistSpec(dist="exponential", mean=2.0),
    DistSpec(dist="lognormal", mean=6.0, sd=2.5),
    DistSpec(dist="uniform", low=1.0, high=4.0),
    DistSpec(dist="beta", a=2.0, b=5.0),
    DistSpec(dist="triangular", low=2.0, mode=3.5, high=5.0),
]


@pytest.mark.parametrize("spec", SPECS, ids=[s.dist for s in SPECS])
def test_moments_match_theory(spec: DistSpec) -> None:
    """Sample mean and variance, and quantile-transformed uniforms, agree with the analytic moments."""
    d = spec.build()
    rng = np.random.default_rng(1)
    n = 200_000
    for x in (d.sample(rng, n), d.quantile(rng.random(n))):
        se = np.sqrt(d.variance / n) if d.variance else 1e-12
        assert abs(x.mean() - d.mean) < 5 * se + 1e-12
        if d.variance:
            assert x.var() == pytest.approx(d.variance, rel=0.05)


def test_keyed_uniforms_ignore_draw_order() -> None:
    """Account i's n-th draw does not depend on which other accounts drew first, or how."""
    a = KeyedUniforms(Streams(3), "x", 100)
    b = KeyedUniforms(Streams(3), "x", 100)
    a_first, a_second = a.draw(np.arange(100)), a.draw(np.arange(100))
    b_first = [b.draw_one(5), *b.draw(np.array([7, 5]))]
    assert b_first[0] == a_first[5] and b_first[1] == a_first[7] and b_first[2] == a_second[5]
    assert a_first[5] != a_second[5]


def test_keyed_uniforms_pair_every_draw_however_many() -> None:
    """The 40th draw of an account is the same whether other accounts drew 0 or 100 times: no draw is unpaired."""
    a = KeyedUniforms(Streams(4), "x", 50)
    b = KeyedUniforms(Streams(4), "x", 50)
    for _ in range(100):
        b.draw(np.arange(0, 50, 2))
    for _ in range(39):
        a.draw(np.array([7]))
    for _ in range(39):
        b.draw_one(7)
    assert a.draw(np.array([7]))[0] == b.draw_one(7)


def test_keyed_uniforms_are_uniform_and_independent() -> None:
    """Draws are uniform on (0, 1), uncorrelated across accounts, draw numbers, purposes and seeds."""
    from scipy import stats

    n = 200_000
    everyone = np.arange(n)
    k = KeyedUniforms(Streams(1), "y", n)
    first, second = k.draw(everyone), k.draw(everyone)
    other_purpose = KeyedUniforms(Streams(1), "z", n).draw(everyone)
    other_seed = KeyedUniforms(Streams(2), "y", n).draw(everyone)
    assert first.min() > 0.0 and first.max() < 1.0
    assert stats.kstest(first, "uniform").pvalue > 1e-3 and stats.kstest(second, "uniform").pvalue > 1e-3
    se = 1 / np.sqrt(n)
    for x, y in ((first[:-1], first[1:]), (first, second), (first, other_purpose), (first, other_seed)):
        assert abs(np.corrcoef(x, y)[0, 1]) < 5 * se
    # Pairs of successive accounts fill the unit square evenly (no lattice): a 10 x 10 chi-square.
    counts = np.histogram2d(first[:-1:2], first[1::2], bins=10, range=((0, 1), (0, 1)))[0]
    assert stats.chisquare(counts.ravel()).pvalue > 1e-3


def test_keyed_uniforms_single_and_batch_draws_agree_bit_for_bit() -> None:
    """``draw_one`` (pure Python integers) and ``draw`` (numpy uint64) compute the same hash."""
    a = KeyedUniforms(Streams(9), "x", 3_000)
    b = KeyedUniforms(Streams(9), "x", 3_000)
    batch = np.concatenate([a.draw(np.arange(3_000)), a.draw(np.arange(3_000))])
    single = [b.draw_one(i) for i in range(3_000)] + [b.draw_one(i) for i in range(3_000)]
    assert np.array_equal(batch, np.array(single))


def test_streams_are_named_and_seeded() -> None:
    """Different purposes and seeds give different draws; the same ones repeat."""
    assert Streams(1).generator("a").random() == Streams(1).generator("a").random()
    assert Streams(1).generator("a").random() != Streams(1).generator("b").random()
    assert Streams(1).generator("a").random() != Streams(2).generator("a").random()
    with pytest.raises(ValueError, match="seed"):
        Streams(-1)


def test_day_ranges_moments_and_support() -> None:
    """A spread of whole days: draws stay in their ranges, with each range's share and the analytic moments."""
    from collectsim.dists import DayRanges

    d = DayRanges(((1, 1), (11, 20), (31, 59)), (0.5, 0.2, 0.3))
    x = d.sample(np.random.default_rng(2), 200_000)
    assert x.dtype.kind == "i" and set(np.unique(x)) <= {1, *range(11, 21), *range(31, 60)}
    assert (x == 1).mean() == pytest.approx(0.5, abs=0.005)
    assert ((x >= 31) & (x <= 59)).mean() == pytest.approx(0.3, abs=0.005)
    assert abs(x.mean() - d.mean) < 5 * np.sqrt(d.variance / x.size)
    assert x.var() == pytest.approx(d.variance, rel=0.02)
    assert d.mean == pytest.approx(0.5 * 1 + 0.2 * 15.5 + 0.3 * 45)


def test_keyed_uniforms_vector_draw_equals_the_scalar_draw() -> None:
    """``draw`` (worked in place on its arrays) gives each account the uniform ``draw_one`` gives it, and
    advances the same counters; its counter wraps at 2**32."""
    a = KeyedUniforms(Streams(11), "x", 1000)
    b = KeyedUniforms(Streams(11), "x", 1000)
    counts = np.random.default_rng(2).integers(0, 2**32 - 3, 1000, dtype=np.uint32)
    counts[:3] = [0, 2**32 - 4, 2**31]
    a.count[:] = counts
    b.count[:] = counts
    idx = np.array([0, 1, 2, 5, 999, 400, 17])
    for _ in range(3):
        assert a.draw(idx).tolist() == [b.draw_one(int(i)) for i in idx]
    assert np.array_equal(a.count, b.count)
    a.draw(np.array([1]))
    assert a.count[1] == 0
