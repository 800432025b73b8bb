"""Experiments: functions over ``simulate`` — replications, paired comparisons, sweeps.

Each builds a list of jobs (scenario variant, seed, labels), hands it to an
executor and returns one result type with ``to_frame()``.

pandas is imported inside the functions that make a table: a sweep worker imports this package (it
holds ``runner``) and returns only KPIs, and importing pandas would cost each worker ~0.35 s of its start.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from collectsim.errors import CollectsimError
from collectsim.experiments.design import SaltelliDesign
from collectsim.experiments.executors import Executor
from collectsim.experiments.policies import PolicyRef
from collectsim.experiments.runner import Job, Progress, Row, replication_seeds, run_jobs
from collectsim.experiments.stats import mean_ci
from collectsim.results import Comparison, ExperimentResult
from collectsim.scenario import Scenario, with_overrides

if TYPE_CHECKING:
    import pandas as pd

    from collectsim.calibration.uncertainty import ParameterDraws

Design = Sequence[Mapping[str, Any]] | SaltelliDesign
ESTIMATE, DRAWN = "estimate", "drawn"


def replicate(
    scenario: Scenario,
    n: int,
    *,
    seed: int,
    executor: Executor | None = None,
    progress: Progress | None = None,
    policy: PolicyRef | None = None,
) -> ExperimentResult:
    """``n`` independent replications of one scenario (``policy``: a research policy instead of its ladder)."""
    import pandas as pd  # on first use: see the module docstring

    _check_n(n)
    jobs = [Job(scenario, s, {"replication": r}, policy=policy) for r, s in enumerate(replication_seeds(seed, n))]
    table = pd.DataFrame(run_jobs(jobs, executor, progress=progress))
    return ExperimentResult(table)


def compare(
    scenarios: Mapping[str, Scenario],
    n: int,
    *,
    seed: int,
    executor: Executor | None = None,
    progress: Progress | None = None,
    common_random_numbers: bool = True,
    target_half_width: float | None = None,
    target_kpi: str = "recovery_rate",
    max_n: int = 200,
    in_run_share: float | None = None,
    parameter_draws: ParameterDraws | None = None,
    policies: Mapping[str, PolicyRef] | None = None,
) -> Comparison:
    """Run each policy on the same ``n`` replications; the first mapping entry is the champion.

    ``policies`` gives an entry a research policy (an object, or a ``MODULE:CLASS`` name) that
    replaces its scenario's ladder; the scenario still sets the portfolio, teams and channels.

    With ``target_half_width`` (relative, e.g. 0.01 for 1% of the mean) batches of ``n``
    replications are added until every policy's interval on ``target_kpi`` is that
    narrow, or ``max_n`` is reached. With ``in_run_share`` each challenger is also run
    inside the champion's scenario on that share of accounts, sharing its teams.

    With ``parameter_draws`` (a history fit) every scenario is run twice on each replication's
    seed: once with the fit's estimates (``Comparison.plain``: simulation noise only) and once
    with that replication's parameter draw — one draw shared by every policy, so differences
    stay paired and carry the uncertainty of the fit (``Comparison.table``; the draws in
    ``Comparison.draws``). ``target_half_width`` then applies to the runs with draws.
    """
    import pandas as pd  # on first use: see the module docstring

    _check_n(n)
    if len(scenarios) < 2:
        raise CollectsimError(f"compare needs at least two scenarios, got {len(scenarios)}")
    names = list(scenarios)
    policies = dict(policies or {})
    if unknown := sorted(set(policies) - set(names)):
        raise CollectsimError(f"policies: {', '.join(unknown)} not among the compared entries ({', '.join(names)})")
    if policies and in_run_share is not None:
        raise CollectsimError("--in-run tests ladders inside the champion's run; it cannot take a research policy")
    if parameter_draws is not None:
        if in_run_share is not None:
            raise CollectsimError(
                "--in-run with --parameter-uncertainty: not supported; run the in-run test without parameter draws"
            )
        parameter_draws.check(scenarios)
        point = parameter_draws.point()
        at_estimate = {name: parameter_draws.apply(point, sc) for name, sc in scenarios.items()}
    rows: list[Row] = []
    drawn: dict[int, dict[str, dict[str, float]]] = {}
    done = 0
    goal = n
    while True:
        jobs = []
        for r in range(done, goal):
            if parameter_draws is not None:
                drawn[r] = parameter_draws.draw(seed, r)
        for pi, name in enumerate(names):
            stream = 0 if common_random_numbers else pi + 1
            seeds = replication_seeds(seed, goal - done, start=done, stream=stream)
            for r, s in enumerate(seeds, start=done):
                label = {"policy": name, "replication": r}
                policy = policies.get(name)
                if parameter_draws is None:
                    jobs.append(Job(scenarios[name], s, label, policy=policy))
                    continue
                jobs.append(Job(at_estimate[name], s, {**label, "parameters": ESTIMATE}, policy=policy))
                drawn_sc = parameter_draws.apply(drawn[r], scenarios[name])
                jobs.append(Job(drawn_sc, s, {**label, "parameters": DRAWN}, policy=policy))
        rows += run_jobs(jobs, executor, progress=progress)
        done = goal
        table = pd.DataFrame(rows)
        if parameter_draws is not None:
            table = table[table["parameters"] == DRAWN]
        if target_half_width is None or done >= max_n or _narrow_enough(table, target_kpi, target_half_width):
            break
        goal = min(max_n, done + n)
    order = _policy_order(names)
    plain = draws = None
    if parameter_draws is not None:
        every = pd.DataFrame(rows)
        plain, table = (every[every["parameters"] == kind].drop(columns="parameters") for kind in (ESTIMATE, DRAWN))
        plain = plain.sort_values(["policy", "replication"], key=order).reset_index(drop=True)
        draws = parameter_draws.frame(drawn)
    table = table.sort_values(["policy", "replication"], key=order).reset_index(drop=True)
    in_run = None
    if in_run_share is not None:
        in_run = champion_challenger(
            scenarios, done, seed=seed, share=in_run_share, executor=executor, progress=progress
        )
    return Comparison(table, tuple(names), common_random_numbers, in_run, plain, draws)


def champion_challenger(
    scenarios: Mapping[str, Scenario],
    n: int,
    *,
    seed: int,
    share: float,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Live-test style: each challenger's ladder runs on ``share`` of the champion's accounts.

    Both arms share the champion scenario's teams; one row per (test, arm, replication).
    """
    import pandas as pd  # on first use: see the module docstring

    names = list(scenarios)
    champion = scenarios[names[0]]
    if not 0 < share < 1:
        raise CollectsimError(f"--in-run: share {share} must be strictly between 0 and 1")
    jobs = []
    for name in names[1:]:
        spec = scenarios[name].policy
        missing = sorted(
            {a.channel for lad in spec.ladders.values() for st in lad.stages for a in st.actions}
            - set(champion.channels)
        )
        if missing:
            raise CollectsimError(
                f"in-run test of '{name}': channels {', '.join(missing)} are not defined in the champion '{names[0]}'"
            )
        jobs += [
            Job(champion, s, {"test": name, "replication": r}, challenger=spec, share=share)
            for r, s in enumerate(replication_seeds(seed, n))
        ]
    return pd.DataFrame(run_jobs(jobs, executor, progress=progress))


def sweep_identities(design: Design, n: int, *, seed: int) -> list[Row]:
    """Each sweep job's identity in job order (point × n + replication): its labels and its seed.

    A journal line is checked against this, so a resumed sweep never takes one job's rows for another's.
    """
    points = _points(design)
    seeds = replication_seeds(seed, n)
    return [{"point": i, "replication": r, **p, "seed": s} for i, p in enumerate(points) for r, s in enumerate(seeds)]


def _points(design: Design) -> list[Mapping[str, Any]]:
    return list(design.points if isinstance(design, SaltelliDesign) else design)


def sweep(
    scenario: Scenario,
    design: Design,
    n: int,
    *,
    seed: int,
    executor: Executor | None = None,
    progress: Progress | None = None,
    done: Mapping[int, list[Row]] | None = None,
    on_rows: Callable[[int, list[Row]], None] | None = None,
    sobol_kpis: Sequence[str] = ("recovery_rate", "net_recovery"),
    policy: PolicyRef | None = None,
) -> ExperimentResult:
    """Every design point × ``n`` replications (replication r has the same seed at every point).

    ``policy`` (an object or a ``MODULE:CLASS`` name) replaces the scenario's ladder at every point.

    ``done`` maps job index (point × n + replication) to rows already computed (a resumed
    sweep); they are not run again, but an entry without rows or outside the sweep is, so a
    damaged resume can never drop a point. ``on_rows`` is called as each new job finishes.
    """
    import pandas as pd  # on first use: see the module docstring

    _check_n(n)
    points = _points(design)
    variants = [variant(scenario, p, where=f"point {i}") for i, p in enumerate(points)]
    jobs = [
        Job(variants[ident["point"]], ident["seed"], {k: v for k, v in ident.items() if k != "seed"}, policy=policy)
        for ident in sweep_identities(points, n, seed=seed)
    ]
    done = {j: list(rows) for j, rows in (done or {}).items() if rows and 0 <= j < len(jobs)}
    todo = [j for j in range(len(jobs)) if j not in done]

    def relay(k: int, rows: list[Row]) -> None:
        if on_rows is not None:
            on_rows(todo[k], rows)

    def tick(k: int, total: int) -> None:
        if progress is not None:
            progress(len(done) + k, len(jobs))

    new = run_jobs([jobs[j] for j in todo], executor, progress=tick, on_rows=relay)
    by_job: dict[int, list[Row]] = dict(done)
    it = iter(new)
    for j in todo:
        by_job[j] = [next(it)]
    table = pd.DataFrame([row for j in range(len(jobs)) for row in by_job[j]])
    params = tuple(points[0]) if points else ()
    sobol = None
    if isinstance(design, SaltelliDesign):
        means = table.groupby("point", sort=True)
        sobol = pd.concat(
            [design.indices(means[k].mean().to_numpy()).assign(kpi=k) for k in sobol_kpis], ignore_index=True
        )
    return ExperimentResult(table, ("point",), params, sobol)


def variant(scenario: Scenario, overrides: Mapping[str, Any], *, where: str = "") -> Scenario:
    """The scenario with one design point's overrides; an invalid point names itself."""
    from collectsim.errors import ScenarioError

    try:
        return with_overrides(scenario, overrides)
    except ScenarioError as exc:
        raise ScenarioError(exc.problems, f"{where} {dict(overrides)}".strip()) from None


def _narrow_enough(table: pd.DataFrame, kpi: str, rel: float) -> bool:
    if kpi not in table:
        from collectsim.experiments.kpinames import not_a_kpi

        raise CollectsimError(f"target KPI: {not_a_kpi(kpi, list(table.columns))}")
    for _, sub in table.groupby("policy"):
        mean, half = mean_ci(sub[kpi].to_numpy())
        if not half <= rel * abs(mean):
            return False
    return True


def _policy_order(names: list[str]):
    order = {n: i for i, n in enumerate(names)}

    def key(col: pd.Series) -> pd.Series:
        return col.map(order) if col.name == "policy" else col

    return key


def _check_n(n: int) -> None:
    if not isinstance(n, int) or n < 1:
        raise CollectsimError(f"n (replications): {n!r} is not allowed; use an integer ≥ 1")


__all__ = [
    "Comparison",
    "ExperimentResult",
    "champion_challenger",
    "compare",
    "replicate",
    "sweep",
    "sweep_identities",
    "variant",
]
