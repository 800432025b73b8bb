"""Experimental designs: parameter specs in, design points out.

A design point is an override dict mapping a dotted scenario path to a value, ready for
``collectsim.with_overrides``. Everything here is a pure function of its arguments: no I/O and
no global random state (every draw comes from a generator seeded with the given integer), so
designs are reproducible and tested on their own, apart from the simulations that consume them.

* ``grid``: full factorial over explicit levels.
* ``latin_hypercube``: space-filling random sample over ``[low, high]`` ranges.
* ``sobol_saltelli``: SALib's Saltelli (2010) A/B/AB_i scheme on a scrambled Sobol' sample, whose
  ``indices`` turn one model output per point into first-order and total Sobol' indices with
  bootstrap intervals (SALib, rather than our own estimator, so the numbers match a library
  analysts already trust).
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from collectsim.errors import CollectsimError

if TYPE_CHECKING:
    import pandas as pd


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
    from scipy.stats import qmc  # here, not at the top: scipy.stats costs every worker 0.6 s to import

    lows, highs = _check_ranges(params)
    _check_n(n)
    engine = qmc.LatinHypercube(d=len(params), rng=np.random.default_rng(seed))
    return _to_points(params, qmc.scale(engine.random(n), lows, highs))


# Below this base size the indices of a simulation KPI are too noisy to rank parameters (Saltelli et al. 2010
# ask for hundreds to thousands); the sweep still runs, with one warning line.
MIN_TRUSTED_POINTS = 64


@dataclass(frozen=True)
class SaltelliDesign:
    """Saltelli sample as SALib lays it out: for each of the ``n`` base rows, A, then AB_1 … AB_d, then B.

    ``seed`` seeds the sample and the bootstrap of the indices' confidence intervals, so a sweep gives the
    same table every time.
    """

    params: tuple[Parameter, ...]
    n: int
    points: tuple[dict[str, Any], ...]
    seed: int = 0


    def indices(self, y: Sequence[float]) -> pd.DataFrame:
        """First-order and total Sobol' indices with their 95% bootstrap half-widths, one row per parameter.

        SALib's estimators (Saltelli 2010 for S1, Jansen 1999 for ST) on one model output per point, in the
        order of ``points``; columns ``parameter, S1, S1_conf, ST, ST_conf``. The indices are NaN (undefined)
        when an output is NaN or infinite, or constant: a KPI with nothing to measure or one no parameter moves.
        """
        import pandas as pd  # on first use: a sweep worker imports this module (via the package) and needs none

        salib_sobol = _salib("analyze")
        n, d = self.n, len(self.params)
        f = np.asarray(y, dtype=float)
        if f.ndim != 1 or f.size != n * (d + 2):
            raise ValueError(f"y needs one output per design point: expected {n * (d + 2)} values, got shape {f.shape}")
        names = [p.path for p in self.params]
        if not np.all(np.isfinite(f)) or np.ptp(f) == 0:
            # Undefined, not an error: found only after every run; a sweep must still finish and save its table.
            return pd.DataFrame({"parameter": names, "S1": np.nan, "S1_conf": np.nan, "ST": np.nan, "ST_conf": np.nan})
        # SALib seeds its bootstrap only with a truthy seed; derive one that is never 0.
        boot = int(np.random.SeedSequence(self.seed).generate_state(1)[0]) + 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SALib's own notes (constant A/B blocks); NaN is handled above
            res = salib_sobol.analyze(_problem(self.params), f, calc_second_order=False, seed=boot)
        return pd.DataFrame(
            {"parameter": names, "S1": res["S1"], "S1_conf": res["S1_conf"], "ST": res["ST"], "ST_conf": res["ST_conf"]}
        )


def sobol_trust_warning(sobol: pd.DataFrame, points: int) -> str | None:
    """One line when a Sobol' table is too small to trust: fewer than 64 base points, or an interval wider
    than its index (the index could be zero). None when it can be read."""
    reasons = []
    if points < MIN_TRUSTED_POINTS:
        reasons.append(f"{points} base points (fewer than {MIN_TRUSTED_POINTS})")
    if {"S1_conf", "ST_conf"} <= set(sobol.columns):
        wide = sum(
            int(np.sum(np.asarray(sobol[f"{k}_conf"], float) > np.abs(np.asarray(sobol[k], float))))
            for k in ("S1", "ST")
        )
        if wide:
            reasons.append(f"{wide} of {2 * len(sobol)} intervals wider than their index")
    if not reasons:
        return None
    return f"warning: Sobol' indices too uncertain to rank parameters: {'; '.join(reasons)}; raise points"


def _problem(params: Sequence[Parameter]) -> dict[str, Any]:
    """SALib's problem dict; integer parameters get the padded range that gives every value the same odds."""
    lows, highs = _check_ranges(params)
    return {"num_vars": len(params), "names": [p.path for p in params], "bounds": list(zip(lows, highs, strict=True))}


def _salib(part: str) -> Any:
    """SALib's Sobol' sampler or analyser; SALib is an extra (it pulls in matplotlib), so say how to get it."""
    try:
        if part == "sample":
            from SALib.sample import sobol
        else:
            from SALib.analyze import sobol
    except ImportError:
        raise CollectsimError(
            "design = \"sobol\" needs SALib: pip install 'collectsim[sobol]' (grid and lhs designs do not)"
        ) from None
    return sobol


def sobol_saltelli(params: Sequence[Parameter], n: int, seed: int) -> SaltelliDesign:
    """Saltelli design from SALib with base size ``n`` (a power of two is recommended): ``n * (d + 2)`` points."""
    problem = _problem(params)
    _check_n(n)
    n = int(n)
    salib_sample = _salib("sample")
    with warnings.catch_warnings():
        # scipy's note that n is not a power of two (the design stays valid; the trust warning covers small n)
        warnings.simplefilter("ignore")
        x = salib_sample.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)
    points = _to_points(params, x)  # integer rounding happens here, after AB is built
    return SaltelliDesign(params=tuple(params), n=n, points=tuple(points), seed=seed)
