"""Parameter uncertainty of a history fit: draws from its sampling distribution, mapped onto scenarios.

A decision taken on a calibrated model inherits the error of the calibration. ``ParameterDraws``
holds a fit (``fit.json`` of ``collectsim calibrate histories``, or a ``HistoryFit``) and gives
each replication of a comparison one parameter set drawn from the estimates' sampling
distribution. The draw is mapped onto a scenario by ``HistoryFit.to_scenario`` — the mapping
of the point estimates, never a second one.

The distribution, per segment (segments are fitted apart, so they are drawn independently):

* a multivariate normal with the segment's ``covariance`` where fit.json has one (the fit writes
  it: λ∞ and κ are correlated ~0.6, δ₁₀ and δ₁₁ ~ −0.8, r_alpha and r_beta ~ 0.8, and
  independent draws would both spread and bend the liquidation curve wrongly); parameters it
  does not list, and every parameter of a file without one, are independent normals from
  ``estimate`` and ``std_error``;
* truncated to the parameters' bounds (all ≥ 0; κ, r_alpha, r_beta > 0; p_full ≤ 1): a draw
  outside is drawn again whole, which keeps the correlations; after ``MAX_REJECTIONS`` tries
  (an estimate many errors beyond its bound) the coordinates still outside are reflected into
  the bounds.

Each replication's draw comes from its own generator, ``SeedSequence(seed, spawn_key=(STREAM,
replication))``: the same seed and replication always give the same parameters, whatever the
executor, and the stream is apart from the replication seeds' (0 for common random numbers,
1, 2 … for independent policies).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from collectsim.calibration.history_fit import HistoryFit
from collectsim.calibration.mle import Estimate, GroupFit
from collectsim.errors import CollectsimError
from collectsim.scenario import Scenario

STREAM = 0x5A7A  # spawn-key tag of the parameter draws ("para"), far from the replication streams
MAX_REJECTIONS = 100
FIXED = ("lambda_0", "lambda_inf", "kappa", "delta_10", "delta_11", "p_full", "r_alpha", "r_beta")
CHANNEL = re.compile(r"delta_2\.[A-Za-z0-9_]+")
ALLOWED = "lambda_0, lambda_inf, kappa, delta_10, delta_11, delta_2.<channel>, p_full, r_alpha, r_beta"
POSITIVE = ("kappa", "r_alpha", "r_beta")  # strictly: κ = 0 means no decay, a Beta needs a, b > 0
REQUIRED = ("lambda_0", "lambda_inf")  # to_scenario builds each fitted reason from these
COV_RTOL = 1e-6

Values = dict[str, dict[str, float]]


@dataclass(frozen=True)
class ParameterDraws:
    """A history fit as a sampling distribution of its parameters; see the module docstring.

    Build it with :func:`load_parameter_draws` (a ``fit.json``) or ``ParameterDraws(fit)`` (a
    ``HistoryFit`` in memory); hand it to ``compare(..., parameter_draws=…)``.
    """

    fit: HistoryFit
    source: str = "fit"

    def names(self) -> list[str]:
        """Column names of a draw, ``<segment>.<parameter>``, in a fixed order."""
        return [f"{seg}.{k}" for seg, g in self.fit.segments.items() for k in g.params]

    def point(self) -> Values:
        """The estimates themselves: the parameters of the runs with simulation noise only."""
        return {seg: {k: e.estimate for k, e in g.params.items()} for seg, g in self.fit.segments.items()}

    def draw(self, seed: int, replication: int) -> Values:
        """Replication ``replication``'s parameter set: a pure function of (seed, replication)."""
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(STREAM, replication)))
        return {seg: _draw_segment(rng, g) for seg, g in self.fit.segments.items()}

    def apply(self, values: Values, scenario: Scenario) -> Scenario:
        """``scenario`` with ``values`` in its fields, exactly as ``HistoryFit.to_scenario`` maps estimates."""
        return self.fit.with_estimates(values).to_scenario(scenario)

    def check(self, scenarios: Mapping[str, Scenario]) -> None:
        """Refuse scenarios the fit cannot be mapped onto, in one line, before anything runs.

        The rule is ``to_scenario``'s: a fit with one segment (``all`` from an extract without a
        segment column) stands for every segment of the scenario; a fit with several needs each
        fitted segment to be a ``population.segments`` name of every compared scenario.
        """
        fitted = list(self.fit.segments)
        if len(fitted) == 1:
            return
        for name, sc in scenarios.items():
            missing = [s for s in fitted if s not in sc.population.segments]
            if missing:
                raise CollectsimError(
                    f"{self.source}: fitted segment '{missing[0]}' is not a segment of scenario '{name}' "
                    f"(its segments: {', '.join(sc.population.segments)}); allowed: fitted segments named as "
                    "the scenario's population.segments, or a fit with one segment that stands for all"
                )

    def frame(self, draws: Mapping[int, Values]) -> pd.DataFrame:
        """One row per replication: ``replication`` and every drawn ``<segment>.<parameter>``."""
        rows = [
            {"replication": r, **{f"{s}.{k}": v for s, p in vals.items() for k, v in p.items()}}
            for r, vals in sorted(draws.items())
        ]
        return pd.DataFrame(rows, columns=["replication", *self.names()])

    def to_dict(self) -> dict[str, Any]:
        """The distribution drawn from, in fit.json's form (it loads back to the same draws)."""
        covs = {seg: g.covariance() for seg, g in self.fit.segments.items()}
        return {
            "source": self.source,
            "segments": {
                seg: {k: {"estimate": e.estimate, "std_error": e.std_error} for k, e in g.params.items()}
                for seg, g in self.fit.segments.items()
            },
            "counts": {seg: {"accounts": g.accounts} for seg, g in self.fit.segments.items()},
            "covariance": {seg: {"parameters": n, "matrix": c.tolist()} for seg, (n, c) in covs.items()},
        }


def _draw_segment(rng: np.random.Generator, g: GroupFit) -> dict[str, float]:
    names, cov = g.covariance()
    mean = np.array([g.params[k].estimate for k in names])
    factor = _factor(cov)
    lo = np.array([0.0] * len(names))
    hi = np.array([1.0 if k == "p_full" else math.inf for k in names])
    strict = np.array([k in POSITIVE for k in names])
    for _ in range(MAX_REJECTIONS):
        x = mean + factor @ rng.standard_normal(len(names))
        if _inside(x, lo, hi, strict).all():
            break
    else:
        x = np.where(x < lo, 2 * lo - x, x)
        x = np.where(x > hi, 2 * hi - x, x)
        x = np.clip(x, lo, hi)
        x = np.where(strict & (x <= 0), np.maximum(mean, 1e-9), x)
    return {k: float(v) for k, v in zip(names, x, strict=True)}


def _inside(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, strict: np.ndarray) -> np.ndarray:
    return np.where(strict, x > lo, x >= lo) & (x <= hi)


def _factor(cov: np.ndarray) -> np.ndarray:
    """A matrix F with F Fᵀ = cov: Cholesky, or the eigen-factor when cov is singular (zero errors)."""
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(cov)
        return v * np.sqrt(np.clip(w, 0.0, None))


def load_parameter_draws(path: str | Path, *, source: str | None = None) -> ParameterDraws:
    """Read and check a ``fit.json``; every problem is one line naming the file and the entry."""
    path = Path(path)
    where = source or str(path)
    if not path.is_file():
        what = "a folder, not a file (its fit.json?)" if path.is_dir() else "no such file"
        raise CollectsimError(
            f"{where}: {what}; allowed: the fit.json that collectsim calibrate histories --out DIR writes"
        )
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise CollectsimError(f"{where}: not a text file; allowed: a fit.json (JSON)") from None
    except json.JSONDecodeError as exc:
        raise CollectsimError(f"{where}: not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})") from None
    return parameter_draws_from_dict(body, source=where)


def parameter_draws_from_dict(body: Any, *, source: str = "fit") -> ParameterDraws:
    """Check fit.json's content and rebuild the fit it describes (see ``load_parameter_draws``)."""

    def fail(at: str, msg: str) -> CollectsimError:
        return CollectsimError(f"{source}: {at}: {msg}")

    if not isinstance(body, dict) or not isinstance(body.get("segments"), dict) or not body["segments"]:
        raise CollectsimError(
            f'{source}: no "segments" object with at least one segment; allowed: the fit.json of calibrate histories'
        )
    counts = body.get("counts") if isinstance(body.get("counts"), dict) else {}
    covs = body.get("covariance") if isinstance(body.get("covariance"), dict) else {}
    segments: dict[str, GroupFit] = {}
    for seg, params in body["segments"].items():
        if not isinstance(params, dict) or not params:
            raise fail(f"segments.{seg}", "is not an object of parameters; allowed: {parameter: {estimate, std_error}}")
        est: dict[str, Estimate] = {}
        for name, entry in params.items():
            at = f"segments.{seg}.{name}"
            if name not in FIXED and not CHANNEL.fullmatch(name):
                raise fail(at, f"unknown parameter '{name}'; allowed: {ALLOWED}")
            if not isinstance(entry, dict):
                raise fail(at, "is not an object; allowed: {estimate, std_error}")
            x, se = entry.get("estimate"), entry.get("std_error")
            if not _number(x):
                raise fail(f"{at}.estimate", f"{x!r} is not allowed; allowed: a finite number")
            if not _number(se) or se < 0:
                raise fail(
                    f"{at}.std_error",
                    f"{se!r} is not allowed; allowed: a number ≥ 0 (null means the fit could not estimate it; "
                    "refit with --bootstrap 2 or more)",
                )
            low_ok = x > 0 if name in POSITIVE else x >= 0
            if not low_ok or (name == "p_full" and x > 1):
                bound = "≤ 1 and ≥ 0" if name == "p_full" else "> 0" if name in POSITIVE else "≥ 0"
                raise fail(f"{at}.estimate", f"{x!r} is not allowed; allowed: {bound}")
            est[name] = Estimate(float(x), float(se), str(entry.get("se_method", "")))
        for name in REQUIRED:
            if name not in est:
                raise fail(f"segments.{seg}", f"has no {name}; allowed: a segment with lambda_0 and lambda_inf")
        accounts = _accounts(counts.get(seg), f"counts.{seg}.accounts", fail)
        segments[seg] = _group(est, accounts, _covariance(covs.get(seg), est, f"covariance.{seg}", fail))
    total = sum(g.accounts for g in segments.values())
    return ParameterDraws(HistoryFit(segments, pd.DataFrame(), None, None, total), source)


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _accounts(entry: Any, at: str, fail) -> int:
    """The segment's weight in the pooled channel effects; 1 each when fit.json has no counts."""
    if entry is None:
        return 1
    n = entry.get("accounts") if isinstance(entry, dict) else None
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise fail(at, f"{n!r} is not allowed; allowed: an integer ≥ 1")
    return n


def _covariance(entry: Any, est: dict[str, Estimate], at: str, fail) -> np.ndarray | None:
    """The segment's covariance over its parameters (fit.json order), or None: independent errors."""
    if entry is None:
        return None
    names, matrix = (entry.get("parameters"), entry.get("matrix")) if isinstance(entry, dict) else (None, None)
    if not isinstance(names, list) or len(set(map(str, names))) != len(names):
        raise fail(f"{at}.parameters", "is not a list of distinct parameter names")
    unknown = [n for n in names if n not in est]
    if unknown:
        raise fail(f"{at}.parameters", f"'{unknown[0]}' is not a parameter of this segment; allowed: {', '.join(est)}")
    try:
        m = np.array(matrix, dtype=float)
    except (TypeError, ValueError):
        m = np.empty(0)
    k = len(names)
    if m.shape != (k, k) or not np.all(np.isfinite(m)):
        raise fail(f"{at}.matrix", f"is not a finite {k}×{k} matrix (one row and column per listed parameter)")
    if not np.allclose(m, m.T, rtol=COV_RTOL, atol=0.0):
        raise fail(f"{at}.matrix", "is not symmetric")
    for j, n in enumerate(names):
        if not math.isclose(math.sqrt(max(m[j, j], 0.0)), est[n].std_error, rel_tol=COV_RTOL, abs_tol=1e-300):
            raise fail(
                f"{at}.matrix",
                f"variance of {n} does not match its std_error; allowed: both edited together, or no covariance",
            )
    scale = np.sqrt(np.outer(np.diag(m), np.diag(m)))
    corr = np.divide(m, scale, out=np.zeros_like(m), where=scale > 0)
    if k and np.linalg.eigvalsh((corr + corr.T) / 2).min() < -1e-8:
        raise fail(f"{at}.matrix", "is not positive semi-definite")
    full = np.diag([e.std_error**2 for e in est.values()])
    pos = [list(est).index(n) for n in names]
    full[np.ix_(pos, pos)] = (m + m.T) / 2
    return full


def _group(est: dict[str, Estimate], accounts: int, cov: np.ndarray | None) -> GroupFit:
    """A GroupFit carrying what ``to_scenario`` and the draws read; counts fit.json does not keep are 0."""
    channels = tuple(k.split(".", 1)[1] for k in est if k.startswith("delta_2."))
    joint = cov if cov is not None else np.diag([e.std_error**2 for e in est.values()])
    k = 5 + len(channels)
    return GroupFit(est, math.nan, accounts, 0, 0, {}, channels, True, np.zeros((k, k)), joint_cov=joint)
