"""Policy optimisation: optuna proposes candidates, collectsim runs them, fresh seeds confirm the winner.

Why each piece is there:

* **Common random numbers.** Every candidate (and the champion) runs on the same search seeds, so
  two candidates differ by their policy, not by luck; the sampler compares like with like.
* **Racing (a two-stage rule).** Every candidate gets ``replications`` runs (stage 1, seeds
  0…r1−1). A candidate whose stage-1 result ranks in the top ``promote`` share of all stage-1
  results so far (feasible before infeasible; by the first objective, or by Pareto rank with
  several) gets the remaining ``full_replications`` (stage 2, seeds r1…r2−1). The value told to
  optuna is the mean over the runs a candidate got; only candidates with full replications can
  be named best. Cheap runs go to the many poor candidates, replications to the few good ones.
* **Batches through ask/tell.** ``batch`` trials are asked at once (each from its own seed, so they
  differ), their runs go to the executor together, and they are told in trial order. The sampler
  is reseeded from (seed, trial number) before each trial is asked and suggested and sees only
  finished trials (no constant liar: a liar makes a trial's draw depend on how many of its batch
  were already asked, which a kill changes), so the study depends on neither the number of
  workers nor on where a killed study was resumed (a batch the kill cut short gets the trials it
  was still to ask before any of it is told).
* **Resume.** Run results are stored on the trial (user attributes) as soon as they exist, in the
  study's storage; a study reopened from the same storage re-evaluates only what is missing (trials
  left running by a kill) and continues to the same number of trials.
* **Confirmation.** The best candidate(s) and the champion are re-run on fresh seeds (another
  seed stream, never used in the search). The in-search gain is biased upwards — the best of many
  noisy estimates is the luckiest (the winner's curse) — so both are reported side by side.
"""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from collectsim.errors import CollectsimError, ScenarioError
from collectsim.experiments.executors import Executor
from collectsim.experiments.runner import Job, replication_seeds, run_jobs
from collectsim.experiments.space import HEADCOUNT, Space, load_space, space_key
from collectsim.results import Comparison
from collectsim.scenario import Scenario

if TYPE_CHECKING:
    import optuna

SEARCH_STREAM, CONFIRM_STREAM, SAMPLER_STREAM = 101, 102, 103
STUDY = "optimise"
HEADLINE = ("npv", "net_recovery", "collected", "total_cost", "recovery_rate", "complaints_per_1000", "cost_team")
MIN_TRIALS_FOR_IMPORTANCE = 10
OPTUNA_MISSING = "optimise needs the optional 'optimise' extra: pip install 'collectsim[optimise]'"
TrialProgress = Callable[[int, int, float | None], None]  # (finished trials, trials, best value so far)


@dataclass(frozen=True)
class Candidate:
    """A trial named best (or on the Pareto front): its parameters, scenario and in-search figures."""

    name: str
    trial: int
    params: dict[str, Any]
    scenario: Scenario
    search_mean: dict[str, float]
    search_gain: dict[str, float]  # paired mean of (candidate − champion) on the search seeds


@dataclass(frozen=True)
class Optimisation:
    """What ``optimise`` found.

    ``trials``: one row per trial (parameters, objective values, replications, feasibility).
    ``runs``: one row per search run (trial −1 is the champion). ``best``: the candidates named
    best, best first. ``confirmation``: the champion and those candidates on fresh seeds.
    """

    space: Space
    trials: pd.DataFrame
    runs: pd.DataFrame
    best: tuple[Candidate, ...]
    confirmation: Comparison | None
    importances: pd.DataFrame | None
    importance_note: str
    search_seeds: tuple[int, ...]
    confirm_seeds: tuple[int, ...]

    @property
    def best_params(self) -> dict[str, Any] | None:
        return self.best[0].params if self.best else None

    @property
    def best_scenario(self) -> Scenario | None:
        return self.best[0].scenario if self.best else None

    @property
    def sampler(self) -> str:
        return "TPE" if len(self.space.objectives) == 1 else "NSGA-II"

    def pareto(self) -> pd.DataFrame:
        """Feasible trials with every search replication that no other such trial beats on every objective."""
        t = self.trials
        full = t[(t["state"] == "COMPLETE") & t["feasible"] & (t["replications"] >= self.space.spec.full_replications)]
        objs = self.space.objectives
        keys = {int(n): tuple(-o.sign * float(full.loc[i, o.kpi]) for o in objs) for i, n in full["trial"].items()}
        ranks = _pareto_ranks(keys)
        if len(objs) == 1 and keys:
            ranks = {n: 0 if k == min(keys.values()) else 1 for n, k in keys.items()}
        front = [n for n, r in ranks.items() if r == 0]
        return full[full["trial"].isin(front)].sort_values(self.space.objectives[0].kpi).reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary: settings, counts, the best candidates and their in-search figures."""
        spec = self.space.spec
        t = self.trials
        return {
            "space": spec.model_dump(mode="json"),
            "champion": self.space.champion.name,
            "sampler": self.sampler,
            "objectives": [{"kpi": o.kpi, "direction": o.direction} for o in self.space.objectives],
            "constraints": [str(c) for c in self.space.constraints],
            "trials": len(t),
            "completed": int((t["state"] == "COMPLETE").sum()),
            "failed": int((t["state"] == "FAIL").sum()),
            "full_replications": int((t["replications"] >= spec.full_replications).sum()),
            "runs": len(self.runs),
            "search_seeds": list(self.search_seeds),
            "confirm_seeds": list(self.confirm_seeds),
            "headcount_budget": self.space.budget_total or None,
            "best": [
                {
                    "name": c.name,
                    "trial": c.trial,
                    "params": c.params,
                    "headcount": {k: v.headcount for k, v in c.scenario.teams.items()},
                    "search_mean": c.search_mean,
                    "search_gain": c.search_gain,
                }
                for c in self.best
            ],
            "importance_note": self.importance_note,
        }

    def gains(self, level: float = 0.95) -> pd.DataFrame:
        """Per candidate and KPI: the in-search gain beside the confirmed paired gain (interval, P(better))."""
        if self.confirmation is None:
            return pd.DataFrame()
        kpis = list(dict.fromkeys([*(o.kpi for o in self.space.objectives), "collected", "npv", "net_recovery"]))
        summary = self.confirmation.summary(kpis, level)
        rows = []
        for cand in self.best:
            for kpi in kpis:
                champ = summary[(summary.kpi == kpi) & (summary.policy == "champion")].iloc[0]
                mine = summary[(summary.kpi == kpi) & (summary.policy == cand.name)].iloc[0]
                base = cand.search_mean[kpi] - cand.search_gain[kpi]
                rows.append(
                    {
                        "candidate": cand.name,
                        "trial": cand.trial,
                        "kpi": kpi,
                        "search_champion": base,
                        "search_gain": cand.search_gain[kpi],
                        "search_gain_pct": _pct(cand.search_gain[kpi], base),
                        "confirmed_champion": champ["mean"],
                        "confirmed_gain": mine["diff"],
                        "confirmed_half_width": mine["diff_half_width"],
                        "confirmed_gain_pct": _pct(mine["diff"], champ["mean"]),
                        "p_better": mine["p_better"],
                        "n_confirm": int(mine["n_pairs"]),
                    }
                )
        return pd.DataFrame(rows)


def _pct(diff: float, base: float) -> float:
    return float(diff / abs(base)) if base else float("nan")


def optimise(
    space: Space | str | Path,
    *,
    trials: int | None = None,
    confirm_n: int | None = None,
    executor: Executor | None = None,
    storage: str | Path | None = None,
    progress: TrialProgress | None = None,
    on_confirm: Callable[[int, int], None] | None = None,
) -> Optimisation:
    """Search the space for the policy that does best on its objective(s), then confirm on fresh seeds.

    Args:
        space: a search-space file or a loaded ``Space``.
        trials: candidates to evaluate (default: the file's ``trials``); a larger number extends a
            stored study.
        confirm_n: confirmation replications (default: the file's ``confirm.replications``).
        executor: where runs go (default in-process).
        storage: an optuna journal file; a study already there is resumed, not restarted.
        progress: called after each batch with (finished trials, trials, best value so far).
        on_confirm: progress of the confirmation runs (done, total).
    """
    try:
        import optuna
    except ImportError as exc:
        raise CollectsimError(OPTUNA_MISSING) from exc

    space = space if isinstance(space, Space) else load_space(space)
    spec = space.spec
    n_trials = spec.trials if trials is None else trials
    n_confirm = spec.confirm.replications if confirm_n is None else confirm_n
    if not isinstance(n_trials, int) or n_trials < 1:
        raise CollectsimError(f"trials: {n_trials!r} is not allowed; use an integer ≥ 1")
    if not isinstance(n_confirm, int) or n_confirm < 2:
        raise CollectsimError(f"confirmation replications: {n_confirm!r} is not allowed; use an integer ≥ 2")
    search_seeds = replication_seeds(spec.seed, spec.full_replications, stream=SEARCH_STREAM)
    confirm_seeds = replication_seeds(spec.seed, n_confirm, stream=CONFIRM_STREAM)
    if set(search_seeds) & set(confirm_seeds):  # independent streams: never, but the claim is checked
        raise CollectsimError("confirmation seeds overlap the search seeds; choose another seed")
    with _quiet_optuna():
        study = _open_study(space, storage, optuna)
        champion_runs = _champion_runs(study, space, search_seeds, executor)
        if spec.start_from_champion and not study.trials:
            point = space.champion_params()
            if point is not None:
                study.enqueue_trial(point)
        _search(study, space, n_trials, search_seeds, executor, progress, optuna)
        trials_table, runs = _tables(study, space, champion_runs, optuna)
        best = _best(study, space, champion_runs, optuna)
        confirmation = _confirm(space, best, confirm_seeds, executor, on_confirm) if best else None
        importances, note = _importances(study, space, optuna)
    result = Optimisation(
        space, trials_table, runs, best, confirmation, importances, note, tuple(search_seeds), tuple(confirm_seeds)
    )
    trials_table["pareto"] = trials_table["trial"].isin(set(result.pareto()["trial"]))
    return result


@contextlib.contextmanager
def _quiet_optuna() -> Iterator[None]:
    """Optuna logs every told trial and warns on experimental options; the caller shows its own progress."""
    logger = logging.getLogger("optuna")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module="optuna")
            warnings.filterwarnings("ignore", message=".*experimental.*")
            yield
    finally:
        logger.setLevel(level)


def _open_study(space: Space, storage: str | Path | None, optuna: Any) -> optuna.Study:
    if storage is None:
        store = optuna.storages.InMemoryStorage()
    else:
        from collectsim.store.study import journal_storage

        store = journal_storage(Path(storage))
    study = optuna.create_study(
        storage=store,
        study_name=STUDY,
        directions=[o.direction for o in space.objectives],
        sampler=_sampler(space, 0, optuna),
        load_if_exists=True,
    )
    key = space_key(space)
    stored = study.user_attrs.get("space_key")
    if stored is None:
        study.set_user_attr("space_key", key)
    elif stored != key:
        raise CollectsimError(f"storage '{storage}' holds a study of another search space; use a new storage path")
    return study


def _sampler(space: Space, trial_number: int, optuna: Any) -> optuna.samplers.BaseSampler:
    """TPE for one objective, NSGA-II for several, seeded from (seed, trial number).

    A sampler made afresh for each trial, just before the trial is asked and again just before its
    parameters are suggested, gives that trial the same draws whatever happened before in this
    process: a study resumed after a kill — even one that landed between two asks of a batch —
    repeats an uninterrupted one.
    """
    seq = np.random.SeedSequence(space.spec.seed, spawn_key=(SAMPLER_STREAM, trial_number))
    seed = int(seq.generate_state(1)[0] >> 1)
    constraints = _constraint_values if space.constraints else None
    if len(space.objectives) == 1:
        return optuna.samplers.TPESampler(
            seed=seed, multivariate=True, constant_liar=False, constraints_func=constraints
        )
    return optuna.samplers.NSGAIISampler(seed=seed, population_size=space.spec.population, constraints_func=constraints)


def _constraint_values(trial: optuna.trial.FrozenTrial) -> Sequence[float]:
    return trial.user_attrs["constraints"]


def _suggest(trial: optuna.trial.Trial, space: Space) -> dict[str, Any]:
    """Ask the trial for every parameter; a trial reopened after a kill returns the values it already has."""
    for path, p in space.spec.parameters.items():
        if p.switch:
            trial.suggest_categorical(path, [True, False])
        elif p.choices is not None:
            trial.suggest_categorical(path, list(p.choices))
        elif p.integer:
            trial.suggest_int(path, int(p.low), int(p.high), log=p.log)
        else:
            trial.suggest_float(path, float(p.low), float(p.high), log=p.log)
    if space.spec.headcount is not None:
        from collectsim.experiments.space import WEIGHT

        for team in space.spec.headcount.teams:
            trial.suggest_float(WEIGHT + team, 0.0, 1.0)
    return dict(trial.params)


def _kept(space: Space) -> list[str]:
    return list(dict.fromkeys([*(o.kpi for o in space.objectives), *(c.kpi for c in space.constraints), *HEADLINE]))


def _run(
    space: Space, items: list[tuple[int, Scenario, range]], seeds: Sequence[int], executor: Executor | None
) -> dict[int, dict[str, list[float]]]:
    """Run (label, scenario, replications) items; returns label → {kpi: values in replication order}."""
    jobs = [Job(sc, seeds[r], {"trial": label, "replication": r}) for label, sc, reps in items for r in reps]
    out: dict[int, dict[str, list[float]]] = {}
    for row in run_jobs(jobs, executor):
        runs = out.setdefault(row["trial"], {k: [] for k in _kept(space) if k != HEADCOUNT})
        for k in runs:
            runs[k].append(float(row[k]))
    return out


def _champion_runs(study: optuna.Study, space: Space, seeds: Sequence[int], executor: Executor | None) -> dict:
    """The champion on every search seed, computed once and kept in the study."""
    runs = study.user_attrs.get("champion_runs")
    if runs is None:
        runs = _run(space, [(-1, space.champion, range(len(seeds)))], seeds, executor)[-1]
        study.set_user_attr("champion_runs", runs)
    return runs


def _search(
    study: optuna.Study,
    space: Space,
    n_trials: int,
    seeds: Sequence[int],
    executor: Executor | None,
    progress: TrialProgress | None,
    optuna: Any,
) -> None:
    size = space.spec.batch
    running_state = optuna.trial.TrialState.RUNNING
    while True:
        every = study.get_trials(deepcopy=False)
        finished = sum(t.state.is_finished() for t in every)
        if progress is not None:
            progress(finished, n_trials, _best_value(study, space, optuna))
        orphans = sorted((t for t in every if t.state == running_state), key=lambda t: t.number)
        batch = []
        for t in orphans:  # left running by a killed study: take them up as they were asked
            study.sampler = _sampler(space, t.number, optuna)
            batch.append(optuna.trial.Trial(study, t._trial_id))
        if orphans:  # the kill may have landed between two asks: the batch gets the trials it was still to ask
            end = min(orphans[0].number // size * size + size, n_trials)
        elif finished >= n_trials:
            return
        else:
            end = min(len(every) + size, n_trials)
            if end <= len(every):  # only enqueued trials (the champion's) are left to ask: asking one takes it
                end = len(every) + 1
        for number in range(len(every), end):
            study.sampler = _sampler(space, number, optuna)
            batch.append(study.ask())
        _evaluate(study, space, batch, seeds, executor, optuna)


def _evaluate(
    study: optuna.Study,
    space: Space,
    batch: list[optuna.trial.Trial],
    seeds: Sequence[int],
    executor: Executor | None,
    optuna: Any,
) -> None:
    """Stage 1 for the whole batch, stage 2 for the promoted, then tell every trial in trial order."""
    r1, r2 = space.spec.replications, space.spec.full_replications
    batch = sorted(batch, key=lambda t: t.number)
    scenarios: dict[int, Scenario] = {}
    for trial in batch:
        study.sampler = _sampler(space, trial.number, optuna)
        params = _suggest(trial, space)
        try:
            scenarios[trial.number] = space.candidate(params)
        except ScenarioError as exc:
            trial.set_user_attr("invalid", exc.one_line())
    runs = {t.number: t.user_attrs.get("runs") for t in batch}

    def stage(numbers: list[int], reps: range) -> None:
        todo = [(n, scenarios[n], range(len((runs[n] or {}).get("npv", [])), reps.stop)) for n in numbers]
        new = _run(space, [item for item in todo if len(item[2])], seeds, executor)
        for trial in batch:
            if trial.number in new:
                old = runs[trial.number] or {k: [] for k in new[trial.number]}
                runs[trial.number] = {k: old[k] + new[trial.number][k] for k in old}
                trial.set_user_attr("runs", runs[trial.number])

    valid = [t.number for t in batch if t.number in scenarios]
    stage(valid, range(r1))
    headcounts = {n: float(sum(t.headcount for t in scenarios[n].teams.values())) for n in valid}
    promoted = _promote(study, space, {n: runs[n] for n in valid}, headcounts, optuna) if r2 > r1 else set(valid)
    stage(sorted(promoted), range(r2))
    for trial in batch:
        if trial.number not in scenarios:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            continue
        means = _means(runs[trial.number], scenarios[trial.number])
        trial.set_user_attr("headcount", means[HEADCOUNT])
        trial.set_user_attr("constraints", [c.violation(means[c.kpi]) for c in space.constraints])
        trial.set_user_attr("promoted", trial.number in promoted)
        study.tell(trial, [means[o.kpi] for o in space.objectives])


def _means(runs: dict[str, list[float]], scenario: Scenario, upto: int | None = None) -> dict[str, float]:
    out = {k: float(np.nanmean(v[:upto])) for k, v in runs.items()}
    out[HEADCOUNT] = float(sum(t.headcount for t in scenario.teams.values()))
    return out


def _stage1_key(space: Space, runs: dict[str, list[float]], headcount: float) -> tuple[bool, tuple[float, ...]]:
    """(infeasible, objective values to minimise) on the first ``replications`` runs only."""
    r1 = space.spec.replications
    means = {k: float(np.nanmean(v[:r1])) for k, v in runs.items()} | {HEADCOUNT: headcount}
    infeasible = any(c.violation(means[c.kpi]) > 0 for c in space.constraints)
    return infeasible, tuple(-o.sign * means[o.kpi] for o in space.objectives)


def _promote(
    study: optuna.Study, space: Space, batch_runs: dict[int, dict], headcounts: dict[int, float], optuna: Any
) -> set[int]:
    """The batch's trials whose stage-1 result is in the top ``promote`` share of every stage-1 result so far."""
    if not batch_runs:
        return set()
    last = max(batch_runs)
    pool: dict[int, tuple[bool, tuple[float, ...]]] = {}
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        if t.number < last and t.number not in batch_runs:
            pool[t.number] = _stage1_key(space, t.user_attrs["runs"], t.user_attrs["headcount"])
    for n, runs in batch_runs.items():
        pool[n] = _stage1_key(space, runs, headcounts[n])
    ranks = _pareto_ranks({n: k[1] for n, k in pool.items()})
    order = sorted(pool, key=lambda n: (pool[n][0], ranks[n], pool[n][1][0], n))
    top = set(order[: math.ceil(space.spec.promote * len(order))])
    return {n for n in batch_runs if n in top}


def _pareto_ranks(points: dict[int, tuple[float, ...]]) -> dict[int, int]:
    """Non-domination rank (0 = front) of each point, all objectives minimised; one objective: all 0."""
    left = dict(points)
    ranks: dict[int, int] = {}
    rank = 0
    if all(len(p) == 1 for p in points.values()):
        return dict.fromkeys(points, 0)
    while left:
        front = [a for a in left if not any(_dominates(left[b], left[a]) for b in left if b != a)]
        for a in front:
            ranks[a] = rank
            del left[a]
        rank += 1
    return ranks


def _dominates(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return all(x <= y for x, y in zip(a, b, strict=True)) and any(x < y for x, y in zip(a, b, strict=True))


def _full(study: optuna.Study, space: Space, optuna: Any) -> list[optuna.trial.FrozenTrial]:
    """Completed, feasible trials that got every search replication."""
    r2 = space.spec.full_replications
    return [
        t
        for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        if len(t.user_attrs["runs"]["npv"]) >= r2 and all(v <= 0 for v in t.user_attrs["constraints"])
    ]


def _best_value(study: optuna.Study, space: Space, optuna: Any) -> float | None:
    full = _full(study, space, optuna)
    if not full:
        return None
    sign = space.objectives[0].sign
    return max(sign * t.values[0] for t in full) * sign


def _best(study: optuna.Study, space: Space, champion_runs: dict, optuna: Any) -> tuple[Candidate, ...]:
    """The best feasible fully-replicated trial(s): top by objective, or spread along the Pareto front."""
    full = _full(study, space, optuna)
    if not full:
        return ()
    keys = {t.number: tuple(-o.sign * v for o, v in zip(space.objectives, t.values, strict=True)) for t in full}
    ranks = _pareto_ranks(keys)
    ordered = sorted(full, key=lambda t: (ranks[t.number], keys[t.number][0], t.number))
    if len(space.objectives) > 1:
        front = [t for t in ordered if ranks[t.number] == 0]
        k = min(space.spec.confirm.top, len(front))
        picks = sorted({round(i * (len(front) - 1) / max(k - 1, 1)) for i in range(k)})
        ordered = [front[i] for i in picks]
    out: list[Candidate] = []
    seen: list[dict] = []
    for t in ordered:
        sc = space.candidate(t.params)
        dump = sc.model_dump(mode="json")
        if dump in seen:
            continue
        seen.append(dump)
        runs = t.user_attrs["runs"]
        mean = {k: float(np.nanmean(v)) for k, v in runs.items()}
        gain = {k: float(np.nanmean(np.subtract(runs[k], champion_runs[k]))) for k in runs}
        name = "best" if not out else f"trial_{t.number}"
        out.append(
            Candidate(
                name, t.number, dict(t.params), sc.model_copy(update={"name": f"{space.name[:80]}-{name}"}), mean, gain
            )
        )
        if len(out) >= space.spec.confirm.top:
            break
    return tuple(out)


def _confirm(
    space: Space,
    best: Sequence[Candidate],
    seeds: Sequence[int],
    executor: Executor | None,
    on_confirm: Callable[[int, int], None] | None,
) -> Comparison:
    """Champion and candidates on fresh seeds, paired by replication."""
    arms = {"champion": space.champion, **{c.name: c.scenario for c in best}}
    jobs = [Job(sc, s, {"policy": name, "replication": r}) for name, sc in arms.items() for r, s in enumerate(seeds)]
    table = pd.DataFrame(run_jobs(jobs, executor, progress=on_confirm))
    return Comparison(table, tuple(arms))


def _importances(study: optuna.Study, space: Space, optuna: Any) -> tuple[pd.DataFrame | None, str]:
    """PED-ANOVA importances per objective (deterministic, needs no scikit-learn); skipped below 10 trials."""
    done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if len(done) < MIN_TRIALS_FOR_IMPORTANCE:
        return None, f"parameter importances skipped: {len(done)} completed trials (need {MIN_TRIALS_FOR_IMPORTANCE})"
    evaluator = optuna.importance.PedAnovaImportanceEvaluator()
    rows = []
    for i, o in enumerate(space.objectives):
        try:
            imp = optuna.importance.get_param_importances(
                study, evaluator=evaluator, target=lambda t, i=i, s=o.sign: -s * t.values[i]
            )
        except (ValueError, RuntimeError) as exc:
            return None, f"parameter importances skipped: {exc}"
        rows += [{"objective": o.kpi, "parameter": p, "importance": float(v)} for p, v in imp.items()]
    return pd.DataFrame(rows), "PED-ANOVA (optuna): how much each parameter matters to reach the top 10% of trials"


def _tables(study: optuna.Study, space: Space, champion_runs: dict, optuna: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The study table (one row per trial) and the search runs (one row per trial and replication)."""
    trials, runs = [], []
    for r in range(len(champion_runs["npv"])):
        runs.append({"trial": -1, "replication": r, **{k: v[r] for k, v in champion_runs.items()}})
    for t in study.get_trials(deepcopy=False):
        row: dict[str, Any] = {"trial": t.number, "state": t.state.name}
        row |= {f"param.{k}": v for k, v in t.params.items()}
        tr = t.user_attrs.get("runs") or {}
        reps = len(tr.get("npv", []))
        row["replications"] = reps
        for o, v in zip(space.objectives, t.values or [math.nan] * len(space.objectives), strict=True):
            row[o.kpi] = v
        for k in HEADLINE:
            if k not in row and k in tr:
                row[k] = float(np.nanmean(tr[k]))
        row["headcount"] = t.user_attrs.get("headcount", math.nan)
        cons = t.user_attrs.get("constraints")
        row["feasible"] = bool(cons is not None and all(v <= 0 for v in cons))
        row["promoted"] = bool(t.user_attrs.get("promoted", False))
        row["invalid"] = t.user_attrs.get("invalid", "")
        trials.append(row)
        for r in range(reps):
            runs.append({"trial": t.number, "replication": r, **{k: v[r] for k, v in tr.items()}})
    return pd.DataFrame(trials), pd.DataFrame(runs)
