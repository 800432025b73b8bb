"""Experimental designs: parameter specs in, design points out.

A design point is an override dict mapping a dotted scenario path to a value, ready for
``collectsim.with_overrides``. Everything here is a pure function of its arguments: no I/O and
no global random state (every draw comes from a generator seeded with the given integer), so
designs are reproducible and tested on their own, apart from the simulations that consume them.

* ``grid``: full factorial over explicit levels.
* ``latin_hypercube``: space-filling random sample over ``[low, high]`` ranges.
* ``sobol_saltelli``: the Saltelli (2010) A/B/AB_i scheme on a scrambled Sobol' sample, whose
  ``indices`` turn one model output per point into first-order and total Sobol' indices.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc


@dataclass(frozen=True)
class Parameter:
    """One design factor: explicit ``levels`` for ``grid``, or a ``[low, high]`` range for sampling.

    ``integer`` rounds sampled values to the nearest int (for counts such as headcount); grid
    levels are used exactly as given.
    """

    path: str
    low: float | None = None
    high: float | None = None
    levels: tuple[Any, ...] | None = None
    integer: bool = False


def _check_params(params: Sequence[Parameter]) -> None:
    if len(params) == 0:
        raise ValueError("a design needs at least one parameter")
    seen: set[str] = set()
    for p in params:
        if not isinstance(p, Parameter):
            raise ValueError(f"expected Parameter, got {p!r}")
        if not isinstance(p.path, str) or not p.path:
            raise ValueError(f"parameter path must be a non-empty dotted string, got {p.path!r}")
        if p.path in seen:
            raise ValueError(f"parameter {p.path!r} appears more than once")
        seen.add(p.path)


def _check_ranges(params: Sequence[Parameter]) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``low < high`` (finite; integral for integer parameters) and return the bounds."""
    _check_params(params)
    for p in params:
        if p.low is None or p.high is None:
            raise ValueError(f"parameter {p.path!r} needs both low and high for a sampled design")
        if not (math.isfinite(p.low) and math.isfinite(p.high)) or not p.low < p.high:
            raise ValueError(f"parameter {p.path!r} needs finite low < high, got low={p.low!r}, high={p.high!r}")
        if p.integer and not (float(p.low).is_integer() and float(p.high).is_integer()):
            raise ValueError(
                f"integer parameter {p.path!r} needs whole-number low and high, got low={p.low!r}, high={p.high!r}"
            )
    # Integers are sampled on [low − ½, high + ½) so rounding gives every value the same odds.
    pad = np.array([0.5 - 1e-9 if p.integer else 0.0 for p in params])
    lows = np.array([p.low for p in params], dtype=float) - pad
    highs = np.array([p.high for p in params], dtype=float) + pad
    return lows, highs


def _check_n(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")


def _to_points(params: Sequence[Parameter], x: np.ndarray) -> list[dict[str, Any]]:
    """Rows of ``x`` to override dicts: Python int for integer parameters, Python float otherwise."""
    columns = [
        np.rint(x[:, j]).astype(np.int64).tolist() if p.integer else x[:, j].astype(float).tolist()
        for j, p in enumerate(params)
    ]
    paths = [p.path for p in params]
    return [dict(zip(paths, row, strict=True)) for row in zip(*columns, strict=True)]


def grid(params: Sequence[Parameter]) -> list[dict[str, Any]]:
    """Cartesian product of every parameter's levels, the first parameter varying slowest."""
    _check_params(params)
    for p in params:
        if p.levels is None:
            raise ValueError(f"parameter {p.path!r} has no levels; a grid needs explicit levels (low/high are unused)")
        if len(p.levels) == 0:
            raise ValueError(f"parameter {p.path!r} needs at least one level")
    paths = [p.path for p in params]
    return [dict(zip(paths, combo, strict=True)) for combo in itertools.product(*(p.levels for p in params))]


def latin_hypercube(params: Sequence[Parameter], n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` Latin-hypercube points scaled to each parameter's ``[low, high]``."""
    lows, highs = _check_ranges(params)
    _check_n(n)
    engine = qmc.LatinHypercube(d=len(params), rng=np.random.default_rng(seed))
    return _to_points(params, qmc.scale(engine.random(n), lows, highs))


@dataclass(frozen=True)
class SaltelliDesign:
    """Saltelli sample: ``n`` A rows, ``n`` B rows, then ``n`` AB_i rows for each parameter i."""

    params: tuple[Parameter, ...]
    n: int
    points: tuple[dict[str, Any], ...]

    def indices(self, y: Sequence[float]) -> pd.DataFrame:
        """First-order (Saltelli 2010) and total (Jansen 1999) Sobol' indices, one row per parameter.

        ``y`` holds one model output per point, in the order of ``points``. The indices are NaN (undefined)
        when an output is NaN or infinite, or constant over A and B.
        """
        n, d = self.n, len(self.params)
        f = np.asarray(y, dtype=float)
        if f.ndim != 1 or f.size != n * (d + 2):
            raise ValueError(f"y needs one output per design point: expected {n * (d + 2)} values, got shape {f.shape}")
        names = [p.path for p in self.params]
        if not np.all(np.isfinite(f)) or np.var(f[: 2 * n]) == 0:
            # Undefined, not an error: a KPI with nothing to measure (NaN) or one no parameter moves (constant),
            # found only after every run; a sweep must still finish and save its table.
            return pd.DataFrame({"parameter": names, "S1": np.nan, "ST": np.nan})
        # Centre the outputs: the S1 estimator multiplies by f(B), so a large mean (money KPIs
        # are ~1e7) inflates its variance; subtracting the mean leaves the indices unchanged in expectation.
        f = f - np.mean(f[: 2 * n])
        f_a, f_b = f[:n], f[n : 2 * n]
        var = np.var(np.concatenate([f_a, f_b]))
        s1, st = [], []
        for i in range(d):
            f_ab = f[(2 + i) * n : (3 + i) * n]
            s1.append(np.mean(f_b * (f_ab - f_a)) / var)
            st.append(np.mean((f_a - f_ab) ** 2) / 2 / var)
        return pd.DataFrame({"parameter": names, "S1": s1, "ST": st})


def _sobol(d: int, n: int, seed: int) -> np.ndarray:
    """First ``n`` points of a scrambled Sobol' sequence in ``d`` dimensions.

    Drawn as the next power of two and truncated: the same points ``engine.random(n)`` would give,
    without scipy's balance warning when ``n`` is not a power of two.
    """
    engine = qmc.Sobol(d=d, scramble=True, rng=np.random.default_rng(seed))
    return engine.random_base2((n - 1).bit_length())[:n]


def sobol_saltelli(params: Sequence[Parameter], n: int, seed: int) -> SaltelliDesign:
    """Saltelli design with base size ``n`` (a power of two is recommended): ``n * (d + 2)`` points."""
    lows, highs = _check_ranges(params)
    _check_n(n)
    n, d = int(n), len(params)
    base = _sobol(2 * d, n, seed)
    a = qmc.scale(base[:, :d], lows, highs)
    b = qmc.scale(base[:, d:], lows, highs)
    blocks = [a, b]
    for i in range(d):
        ab = a.copy()
        ab[:, i] = b[:, i]
        blocks.append(ab)
    points = _to_points(params, np.vstack(blocks))  # integer rounding happens here, after AB is built
    return SaltelliDesign(params=tuple(params), n=n, points=tuple(points))
