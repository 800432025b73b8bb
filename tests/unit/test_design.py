"""Experimental designs: grid, Latin hypercube and Saltelli/Sobol' points and indices."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from collectsim.experiments.design import (
    Parameter,
    SaltelliDesign,
    grid,
    latin_hypercube,
    sobol_saltelli,
    sobol_trust_warning,
)

RANGED = [
    Parameter("policy.rate", low=0.1, high=0.9),
    Parameter("teams.late_callers.headcount", low=2, high=12, integer=True),
    Parameter("population.mean_balance", low=-5.0, high=5.0),
]


def _matrix(points: list[dict] | tuple[dict, ...], params: list[Parameter]) -> np.ndarray:
    return np.array([[pt[p.path] for p in params] for pt in points], dtype=float)


def test_grid_product_size_and_order() -> None:
    """The grid is the full product of levels, first parameter slowest, with level types kept."""
    params = [Parameter("a", levels=(1, 2)), Parameter("b.c", levels=("x", "y", "z"))]
    points = grid(params)
    assert len(points) == 6
    assert points == [
        {"a": 1, "b.c": "x"},
        {"a": 1, "b.c": "y"},
        {"a": 1, "b.c": "z"},
        {"a": 2, "b.c": "x"},
        {"a": 2, "b.c": "y"},
        {"a": 2, "b.c": "z"},
    ]
    assert all(type(pt["a"]) is int for pt in points)


def test_grid_rejects_parameter_without_levels() -> None:
    """A ranged parameter without levels in a grid is an error naming its path."""
    with pytest.raises(ValueError, match=r"teams\.x\.headcount"):
        grid([Parameter("a", levels=(1,)), Parameter("teams.x.headcount", low=1, high=5)])


def test_invalid_inputs_name_the_problem() -> None:
    """No parameters, n < 1 and low >= high are rejected with a message saying what is allowed."""
    with pytest.raises(ValueError, match="at least one parameter"):
        latin_hypercube([], n=4, seed=0)
    with pytest.raises(ValueError, match="n must be"):
        sobol_saltelli(RANGED, n=0, seed=0)
    with pytest.raises(ValueError, match=r"'b\.c'.*low < high"):
        latin_hypercube([Parameter("b.c", low=3.0, high=3.0)], n=4, seed=0)
    with pytest.raises(ValueError, match=r"'b\.c'.*low and high"):
        sobol_saltelli([Parameter("b.c", levels=(1, 2))], n=4, seed=0)


def test_lhs_in_range_and_stratified() -> None:
    """LHS values lie in [low, high] and each continuous parameter hits each of n equal strata exactly once."""
    n = 50
    points = latin_hypercube(RANGED, n=n, seed=3)
    assert len(points) == n
    x = _matrix(points, RANGED)
    for j, p in enumerate(RANGED):
        assert np.all((x[:, j] >= p.low) & (x[:, j] <= p.high)), p.path
        if not p.integer:
            strata = np.floor((x[:, j] - p.low) / (p.high - p.low) * n).astype(int)
            assert sorted(strata) == list(range(n)), p.path


def test_lhs_types() -> None:
    """Integer parameters come back as Python ints and continuous ones as Python floats."""
    for pt in latin_hypercube(RANGED, n=20, seed=1):
        assert type(pt["teams.late_callers.headcount"]) is int
        assert type(pt["policy.rate"]) is float


def test_lhs_seeding() -> None:
    """The same seed gives the same points and a different seed different points."""
    assert latin_hypercube(RANGED, n=10, seed=7) == latin_hypercube(RANGED, n=10, seed=7)
    assert latin_hypercube(RANGED, n=10, seed=7) != latin_hypercube(RANGED, n=10, seed=8)


def test_sobol_structure() -> None:
    """The design has n*(d+2) in-range points in SALib's order (A, AB_1 … AB_d, B per base row), and AB_i
    equals A except column i, which equals B's."""
    n, d = 16, len(RANGED)
    design = sobol_saltelli(RANGED, n=n, seed=5)
    assert isinstance(design, SaltelliDesign)
    assert len(design.points) == n * (d + 2)
    x = _matrix(design.points, RANGED)
    for j, p in enumerate(RANGED):
        assert np.all((x[:, j] >= p.low) & (x[:, j] <= p.high)), p.path
    blocks = x.reshape(n, d + 2, d)
    a, b = blocks[:, 0], blocks[:, -1]
    for i in range(d):
        ab = blocks[:, 1 + i]
        others = [j for j in range(d) if j != i]
        np.testing.assert_array_equal(ab[:, others], a[:, others])
        np.testing.assert_array_equal(ab[:, i], b[:, i])
    assert sobol_saltelli(RANGED, n=n, seed=5) == design


def test_sobol_indices_have_intervals_and_are_reproducible() -> None:
    """Each index comes with its 95% bootstrap half-width; the same design and outputs give the same table."""
    params = [Parameter("x1", low=0.0, high=1.0), Parameter("x2", low=0.0, high=1.0)]
    design = sobol_saltelli(params, n=64, seed=3)
    x = _matrix(design.points, params)
    y = x[:, 0] + 2 * x[:, 1]
    idx = design.indices(y)
    assert list(idx.columns) == ["parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert (idx[["S1_conf", "ST_conf"]] > 0).all().all()
    pd.testing.assert_frame_equal(idx, sobol_saltelli(params, n=64, seed=3).indices(y))


def test_small_or_noisy_sobol_tables_are_flagged() -> None:
    """Fewer than 64 base points, or an interval wider than its index, gives one warning line; else none."""
    good = pd.DataFrame({"parameter": ["a"], "S1": [0.6], "S1_conf": [0.05], "ST": [0.7], "ST_conf": [0.05]})
    noisy = good.assign(S1=[0.02], S1_conf=[0.3])
    assert sobol_trust_warning(good, 128) is None
    assert "16 base points (fewer than 64)" in sobol_trust_warning(good, 16)
    assert "1 of 2 intervals wider than their index" in sobol_trust_warning(noisy, 128)


def test_sobol_non_power_of_two_is_warning_free() -> None:
    """A base size that is not a power of two still works and emits no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        design = sobol_saltelli(RANGED, n=10, seed=2)
    assert len(design.points) == 10 * (len(RANGED) + 2)


def test_sobol_indices_ishigami() -> None:
    """Indices of the Ishigami function (a=7, b=0.1) match the analytic values within 0.05."""
    params = [Parameter(f"x{k}", low=-np.pi, high=np.pi) for k in (1, 2, 3)]
    design = sobol_saltelli(params, n=2**13, seed=42)
    x = _matrix(design.points, params)
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    idx = design.indices(y)
    assert list(idx["parameter"]) == ["x1", "x2", "x3"]
    np.testing.assert_allclose(idx["S1"], [0.3139, 0.4424, 0.0], atol=0.05)
    np.testing.assert_allclose(idx["ST"], [0.5576, 0.4424, 0.2437], atol=0.05)


def test_sobol_indices_linear_additive() -> None:
    """For y = x1 + 2*x2 on [0, 1]^2, S1 and ST both equal the variance shares (0.2, 0.8) within 0.03."""
    params = [Parameter("x1", low=0.0, high=1.0), Parameter("x2", low=0.0, high=1.0)]
    design = sobol_saltelli(params, n=2**10, seed=9)
    x = _matrix(design.points, params)
    idx = design.indices(x[:, 0] + 2 * x[:, 1])
    np.testing.assert_allclose(idx["S1"], [0.2, 0.8], atol=0.03)
    np.testing.assert_allclose(idx["ST"], [0.2, 0.8], atol=0.03)


def test_indices_reject_wrong_length() -> None:
    """indices() raises when y does not have one value per design point."""
    design = sobol_saltelli(RANGED, n=8, seed=0)
    with pytest.raises(ValueError, match="expected 40"):
        design.indices(np.zeros(39))


def test_indices_undefined_for_constant_or_nan_output() -> None:
    """A KPI no parameter moves, or one that is NaN, gives NaN indices (the sweep still finishes)."""
    design = sobol_saltelli([Parameter("a", low=0.0, high=1.0)], 4, seed=1)
    for y in (np.ones(len(design.points)), np.r_[np.nan, np.zeros(len(design.points) - 1)]):
        table = design.indices(y)
        assert table["S1"].isna().all() and table["ST"].isna().all()
