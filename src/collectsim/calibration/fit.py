"""Fit scenario parameters to aggregate KPI targets by simulation.

The objective is the weighted sum of squared errors in units of each target's tolerance,

    J(θ) = Σ_k w_k · ((m_k(θ) − t_k) / tol_k)²,

where m_k(θ) is the mean of KPI k over ``n`` replications of the scenario with the free
parameters set to θ. **Common random numbers**: every candidate θ is simulated with the
same ``n`` replication seeds, and the engine keys its draws by account and purpose, so the
same borrowers meet the same luck at every θ. J is then a deterministic function of θ —
piecewise constant at the scale of one account changing its outcome, smooth above it —
instead of a noisy one, and differences between nearby θ measure the parameters' effect,
not replication noise. A target is *within tolerance* when |m_k − t_k| ≤ tol_k, i.e. when
its term is at most w_k.

The search runs in the unit cube: each free parameter's ``[low, high]`` (its logarithm if
``log``) is mapped to [0, 1] and the fit starts from each parameter's ``start`` (default the
middle of its range). See :func:`calibrate_targets` for the optimisers and why.

Everything here is a pure function of its arguments (no I/O); replications run through the
experiment executors, so a process pool or a Dask cluster gives bit-identical fits.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import least_squares, minimize

from collectsim.calibration.methods import METHODS
from collectsim.calibration.targets import FreeParameter, Target, TargetsSpec, check_targets, load_targets
from collectsim.errors import CollectsimError
from collectsim.experiments.executors import Executor
from collectsim.experiments.runner import Job, replication_seeds, run_jobs
from collectsim.experiments.stats import mean_ci
from collectsim.scenario import Scenario, with_overrides

Method = Literal["least-squares", "nelder-mead"]
FitProgress = Callable[[int, int, float], None]
"""Called after each batch of simulations: (evaluations done, evaluation budget, best objective so far)."""

NAN_RESIDUAL = 1e3  # a target the model cannot measure at some θ counts as 1,000 tolerances off
FD_STEP = 0.05  # finite-difference step, as a share of each parameter's range (see calibrate_targets)
XTOL = 1e-2  # stop when a step is shorter than ~1% of the ranges: below that, steps chase the grain
GOAL = 0.01  # stop once the objective is ≤ GOAL × Σ weights: targets at ~1/10 of their tolerance (RMS)
AT_BOUND = 1e-3  # a fitted value this close to a bound (share of the range) is flagged


class _BudgetSpent(Exception):
    """The evaluation budget ran out; the fit stops and keeps its best point."""


class _GoalMet(Exception):
    """The objective fell below the goal: every target is well within its tolerance."""


@dataclass(frozen=True)
class TargetFit:
    """The result of :func:`calibrate_targets`.

    ``params`` are the fitted values (the best point evaluated); ``table`` has one row per
    target (target, tolerance, model mean and its 95% interval over replications, error,
    error in tolerances, within tolerance); ``runs`` holds the replications at the fitted
    point; ``trace`` every evaluation (parameters, objective, model means); ``scenario``
    is the base scenario with the fitted values.
    """

    name: str
    method: str
    params: dict[str, float]
    start: dict[str, float]
    free: dict[str, FreeParameter]
    targets: dict[str, Target]
    table: pd.DataFrame
    runs: pd.DataFrame
    trace: pd.DataFrame
    scenario: Scenario
    objective: float
    start_objective: float
    evaluations: int
    max_evals: int
    converged: bool
    message: str
    n: int
    seed: int
    seeds: tuple[int, ...]

    @property
    def all_within_tolerance(self) -> bool:
        return bool(self.table["within_tolerance"].all())

    def at_bound(self) -> list[str]:
        """Free parameters fitted at (or within 0.1% of the range of) a bound: the data may want more room."""
        out = []
        for path, value in self.params.items():
            u = self.free[path].to_unit(value)
            if u <= AT_BOUND or u >= 1 - AT_BOUND:
                out.append(path)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Everything in ``fit.json``: settings, free parameters, targets; NaN as null."""
        edge = set(self.at_bound())
        free = {
            path: {
                "value": self.params[path],
                "start": self.start[path],
                "low": p.low,
                "high": p.high,
                "log": p.log,
                "at_bound": path in edge,
            }
            for path, p in self.free.items()
        }
        targets = {
            row["kpi"]: {k: _json_number(v) for k, v in row.items() if k != "kpi"}
            for row in self.table.to_dict(orient="records")
        }
        return {
            "name": self.name,
            "method": self.method,
            "objective": _json_number(self.objective),
            "start_objective": _json_number(self.start_objective),
            "all_within_tolerance": self.all_within_tolerance,
            "evaluations": self.evaluations,
            "max_evals": self.max_evals,
            "converged": self.converged,
            "message": self.message,
            "replications": self.n,
            "seed": self.seed,
            "replication_seeds": list(self.seeds),
            "free": free,
            "targets": targets,
        }


def _json_number(v: Any) -> Any:
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | float | np.floating | np.integer):
        v = float(v)
        return v if math.isfinite(v) else None
    return v


class _Evaluator:
    """Simulates candidate points in the unit cube under common random numbers; caches, traces, keeps the best."""

    def __init__(
        self,
        scenario: Scenario,
        spec: TargetsSpec,
        seeds: Sequence[int],
        executor: Executor | None,
        max_evals: int,
        progress: FitProgress | None,
        goal: float = 0.0,
    ) -> None:
        self.scenario = scenario
        self.goal = goal
        self.paths = list(spec.free)
        self.free = [spec.free[p] for p in self.paths]
        self.kpis = list(spec.targets)
        self.value = np.array([spec.targets[k].value for k in self.kpis])
        self.tol = np.array([spec.targets[k].tolerance for k in self.kpis])
        self.root_w = np.sqrt([spec.targets[k].weight for k in self.kpis])
        self.seeds = list(seeds)
        self.executor = executor
        self.max_evals = max_evals
        self.progress = progress
        self.cache: dict[tuple[float, ...], np.ndarray] = {}
        self.trace: list[dict[str, Any]] = []
        self.best_objective = math.inf
        self.best_u: np.ndarray | None = None
        self.best_rows: list[dict[str, Any]] = []

    @property
    def evals(self) -> int:
        return len(self.trace)

    def params(self, u: np.ndarray) -> dict[str, float]:
        return {path: p.from_unit(x) for path, p, x in zip(self.paths, self.free, u, strict=True)}

    @staticmethod
    def _key(u: np.ndarray) -> tuple[float, ...]:
        return tuple(np.round(np.clip(u, 0.0, 1.0), 12).tolist())

    def residuals(self, u: np.ndarray) -> np.ndarray:
        return self.many([u])[0]

    def objective(self, u: np.ndarray) -> float:
        r = self.residuals(u)
        return float(r @ r)

    def many(self, us: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Residual vectors at several points: uncached ones are simulated in one batch of jobs."""
        keys = [self._key(np.asarray(u, dtype=float)) for u in us]
        todo = list(dict.fromkeys(k for k in keys if k not in self.cache))
        spent = self.evals + len(todo) > self.max_evals
        todo = todo[: max(0, self.max_evals - self.evals)]
        if todo:
            self._simulate(todo)
        if self.best_objective <= self.goal:
            raise _GoalMet
        if spent:
            raise _BudgetSpent
        return [self.cache[k] for k in keys]

    def _simulate(self, points: list[tuple[float, ...]]) -> None:
        first = self.evals
        jobs = []
        for j, key in enumerate(points):
            variant = with_overrides(self.scenario, self.params(np.array(key)))
            jobs += [Job(variant, s, {"eval": first + j, "replication": r}) for r, s in enumerate(self.seeds)]
        rows = run_jobs(jobs, self.executor)
        n = len(self.seeds)
        for j, key in enumerate(points):
            mine = rows[j * n : (j + 1) * n]
            means = np.array([_nanmean([row[k] for row in mine]) for k in self.kpis])
            scaled = (means - self.value) / self.tol
            if first + j == 0 and np.isnan(scaled).any():
                k = self.kpis[int(np.flatnonzero(np.isnan(scaled))[0])]
                raise CollectsimError(
                    f"targets.{k}: the model gives no value (n/a) at the start point; "
                    "is the horizon long enough, or the population large enough, to observe it?"
                )
            r = self.root_w * np.where(np.isnan(scaled), NAN_RESIDUAL, scaled)
            obj = float(r @ r)
            self.cache[key] = r
            if obj < self.best_objective:
                self.best_objective, self.best_u, self.best_rows = obj, np.array(key), mine
            self.trace.append(
                {
                    "eval": first + j,
                    **self.params(np.array(key)),
                    "objective": obj,
                    "best_objective": self.best_objective,
                    **{f"model.{k}": float(m) for k, m in zip(self.kpis, means, strict=True)},
                }
            )
        if self.progress is not None:
            self.progress(self.evals, self.max_evals, self.best_objective)


def _nanmean(values: Sequence[float]) -> float:
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    return float(x.mean()) if x.size else float("nan")


def calibrate_targets(
    scenario: Scenario,
    targets: TargetsSpec | Mapping[str, Any] | str | os.PathLike[str],
    *,
    n: int = 4,
    seed: int = 1,
    max_evals: int = 50,
    method: Method = "least-squares",
    executor: Executor | None = None,
    progress: FitProgress | None = None,
    fd_step: float = FD_STEP,
    goal: float = GOAL,
) -> TargetFit:
    """Fit the free parameters of ``targets`` so that the scenario's mean KPIs meet the targets.

    ``targets`` is a :class:`TargetsSpec`, the same mapping a targets file holds, or the path
    of a targets file; it is checked against ``scenario`` first. Each evaluation simulates
    ``n`` replications (the same seeds at every point, drawn from ``seed``) through
    ``executor``; at most ``max_evals`` points are simulated (repeated points are cached, not
    re-run). ``progress(done, max_evals, best_objective)`` is called after each batch. The fit
    stops early once the objective is at most ``goal`` × Σ weights (default 0.01: a weighted RMS
    error of a tenth of a tolerance; parameters closer than that are below the simulation's
    grain anyway); ``goal=0`` runs the optimiser to its own convergence test.

    Optimisers (``method``):

    * ``"least-squares"`` (default): ``scipy.optimize.least_squares``, trust-region reflective,
      bounded to the unit cube, on the residual vector √w_k (m_k − t_k)/tol_k. The objective
      *is* a weighted sum of squares, and KPIs respond nearly linearly to behaviour parameters
      over a bounded range, so a Gauss–Newton-type method reaches the optimum in a few
      iterations of 1 + d evaluations (d = free parameters; the d slopes run as one batch).
      Its Jacobian is a forward difference with a step of ``fd_step`` (5%) of each
      parameter's range, stepping inwards at a bound. That step is large on purpose: under
      common random numbers KPIs still move in steps of one account (and a changed effect
      reshuffles whom a limited team reaches), and 5% of a range moves them by tens of steps,
      so the difference measures the slope, not the grain (with 2%, a recovery fit on 1,500
      accounts stopped 1.5× further from the truth, at a 15× larger objective). Without
      common random numbers no finite difference would be meaningful at any affordable ``n``.
    * ``"nelder-mead"``: the derivative-free simplex, for objectives too rough for slopes (very
      small portfolios, KPIs driven by a handful of accounts). It runs on u = sin²(z), which
      keeps every point inside the cube without clipping: scipy's bounded Nelder–Mead clips
      points onto a bound, where the simplex collapses (measured: from the midpoint it stalled
      on ``lambda_inf = low``). It needs several times the evaluations of least squares.

    Measured on the recovery test (2 free parameters, 2 targets, 1,000 accounts × 31 days, 2
    replications): least squares was within tolerance at the 7th evaluation and met the goal
    at the 13th; Nelder–Mead at the 22nd and the 26th. Differential evolution was not chosen:
    a population of even 5 per parameter spends more evaluations on its first generation
    than least squares needs in all.

    Both are local: with several free parameters that trade off (two that both raise early
    cures), the targets must pin each one down, or the fit lands anywhere along the ridge;
    ``TargetFit.at_bound()`` lists parameters pushed to a bound.
    """
    if isinstance(targets, str | os.PathLike):
        spec = load_targets(targets, scenario)
    else:
        spec = check_targets(targets, scenario)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise CollectsimError(f"n (replications): {n!r} is not allowed; use an integer ≥ 1")
    if isinstance(max_evals, bool) or not isinstance(max_evals, int) or max_evals < 1:
        raise CollectsimError(f"max_evals: {max_evals!r} is not allowed; use an integer ≥ 1")
    if method not in METHODS:
        raise CollectsimError(f"method: '{method}' is not allowed; allowed: {', '.join(METHODS)}")
    if not goal >= 0:
        raise CollectsimError(f"goal: {goal!r} is not allowed; allowed: goal ≥ 0 (0 = run the optimiser to its end)")
    if not 0 < fd_step <= 0.5:
        raise CollectsimError(f"fd_step: {fd_step!r} is not allowed; allowed: 0 < fd_step ≤ 0.5")
    seeds = replication_seeds(seed, n)
    goal_value = goal * sum(t.weight for t in spec.targets.values())
    ev = _Evaluator(scenario, spec, seeds, executor, max_evals, progress, goal_value)
    u0 = np.array([p.start_unit for p in ev.free])
    try:
        ev.residuals(u0)
        if method == "least-squares":
            converged, message = _least_squares(ev, u0, fd_step)
        else:
            converged, message = _nelder_mead(ev, u0)
    except _BudgetSpent:
        converged, message = False, f"stopped after {ev.evals} evaluations (the --max-evals budget)"
    except _GoalMet:
        converged = True
        message = f"goal met: objective ≤ {goal_value:g} (weighted RMS error ≤ {math.sqrt(goal):.2g} tolerances)"
    return _result(scenario, spec, ev, u0, method, converged, message, n, seed, seeds)


def _least_squares(ev: _Evaluator, u0: np.ndarray, step: float) -> tuple[bool, str]:
    def jac(u: np.ndarray) -> np.ndarray:
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        hs = np.where(u + step <= 1.0, step, -step)
        points = [u + h * e for h, e in zip(hs, np.eye(u.size), strict=True)]
        r0, *rs = ev.many([u, *points])
        return np.column_stack([(r - r0) / h for r, h in zip(rs, hs, strict=True)])

    out = least_squares(
        lambda u: ev.residuals(np.asarray(u)),
        u0,
        jac=jac,
        bounds=(0.0, 1.0),
        method="trf",
        xtol=XTOL,
        ftol=1e-3,
        max_nfev=10 * ev.max_evals,
    )
    return bool(out.status > 0), str(out.message)


def _nelder_mead(ev: _Evaluator, u0: np.ndarray) -> tuple[bool, str]:
    d = u0.size
    z0 = np.arcsin(np.sqrt(np.clip(u0, 0.0, 1.0)))
    # A quarter of the range per vertex (du/dz = sin 2z ≤ 1), away from the nearer bound.
    simplex = np.array([z0, *(z0 + np.where(z0 < math.pi / 4, 0.3, -0.3) * e for e in np.eye(d))])
    out = minimize(
        lambda z: ev.objective(np.sin(z) ** 2),
        z0,
        method="Nelder-Mead",
        options={
            "initial_simplex": simplex,
            "xatol": 2e-3,
            "fatol": 1e-2,
            "maxfev": 10 * ev.max_evals,
            "adaptive": d > 2,
        },
    )
    return bool(out.success), str(out.message)


def _result(
    scenario: Scenario,
    spec: TargetsSpec,
    ev: _Evaluator,
    u0: np.ndarray,
    method: str,
    converged: bool,
    message: str,
    n: int,
    seed: int,
    seeds: list[int],
) -> TargetFit:
    assert ev.best_u is not None
    params = ev.params(ev.best_u)
    runs = pd.DataFrame(ev.best_rows).drop(columns=["eval"])
    rows = []
    for k, t in spec.targets.items():
        mean, half = mean_ci(runs[k].to_numpy(dtype=float))
        error = mean - t.value
        rows.append(
            {
                "kpi": k,
                "target": t.value,
                "tolerance": t.tolerance,
                "weight": t.weight,
                "model": mean,
                "ci_low": mean - half,
                "ci_high": mean + half,
                "half_width": half,
                "error": error,
                "error_in_tolerances": error / t.tolerance,
                "within_tolerance": bool(abs(error) <= t.tolerance),
            }
        )
    trace = pd.DataFrame(ev.trace)
    return TargetFit(
        name=spec.name or "fit",
        method=method,
        params=params,
        start=ev.params(u0),
        free=dict(spec.free),
        targets=dict(spec.targets),
        table=pd.DataFrame(rows),
        runs=runs,
        trace=trace,
        scenario=with_overrides(scenario, params),
        objective=ev.best_objective,
        start_objective=float(trace["objective"].iloc[0]),
        evaluations=ev.evals,
        max_evals=ev.max_evals,
        converged=converged,
        message=message,
        n=n,
        seed=seed,
        seeds=tuple(seeds),
    )
