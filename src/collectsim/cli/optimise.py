"""`collectsim optimise`: search a space file, confirm on fresh seeds, write the best policy; resumable."""

from __future__ import annotations

import argparse
import math
import sys
import time
from typing import TYPE_CHECKING, Any

import collectsim as cs
from collectsim.cli.experiments import _executor
from collectsim.cli.run import _report
from collectsim.present import fmt_diff, setting_value
from collectsim.scenario import same_settings

if TYPE_CHECKING:
    import pandas as pd

    from collectsim.experiments.optimise import Optimisation


def _cmd_optimise(args: argparse.Namespace) -> int:
    from collectsim.experiments.optimise import optimise
    from collectsim.experiments.space import load_space, space_key
    from collectsim.store import fingerprint
    from collectsim.store.study import StudyStore

    space = load_space(args.space)  # a bad file stops here: one line, nothing written
    trials = args.trials or space.spec.trials
    n_confirm = args.replications or space.spec.confirm.replications
    key = fingerprint(space_key(space), cs.__version__)
    with StudyStore(args.results, space.name, key) as store:
        if store.complete(trials, n_confirm):
            print(f"optimisation already complete ({trials} trials): {store.folder}")
            return 0
        store.unseal()
        bar = _trial_bar(trials, args.quiet)
        started = time.perf_counter()
        try:
            with _executor(args) as executor:
                result = optimise(
                    space,
                    trials=trials,
                    confirm_n=n_confirm,
                    executor=executor,
                    storage=store.journal,
                    progress=lambda done, total, best: _tick(bar, done, best),
                    on_confirm=lambda done, total: bar.set_postfix_str(f"confirming {done}/{total}"),
                )
        except KeyboardInterrupt:
            bar.close()
            print(
                f"collectsim: interrupted; finished trials are kept in {store.folder}; run the same command to resume",
                file=sys.stderr,
            )
            return 130
        bar.close()
        wall = time.perf_counter() - started
        text = optimisation_text(result)
        summary = result.to_dict() | {"wall_time_s": round(wall, 3), "text": text}
        manifest = {
            "version": cs.__version__,
            "space_file": str(args.space),
            "seed": space.spec.seed,
            "trials": trials,
            "confirm_replications": n_confirm,
            "runs": len(result.runs) + (0 if result.confirmation is None else len(result.confirmation.table)),
            "wall_time_s": round(wall, 3),
            "executor": f"dask {args.dask}" if args.dask else f"{executor.workers} worker(s)",
        }
        store.finish(_tables(result), _scenarios(result), summary, manifest)
    print(text)
    runs = manifest["runs"]
    print(f"\n{runs} runs in {wall:.1f} s ({wall / max(runs, 1):.2f} s per run); results: {store.folder}")
    if result.best:
        print(f"best policy: {store.folder / 'best.toml'} (check it with: collectsim validate)")
    _report(store.folder, args)
    return 0


def _tables(result: Optimisation) -> dict[str, pd.DataFrame]:
    tables = {"trials": result.trials, "search_runs": result.runs}
    if result.importances is not None:
        tables["importances"] = result.importances
    if result.confirmation is not None:
        tables |= {
            "confirm_runs": result.confirmation.table,
            "confirm_summary": result.confirmation.summary(),
            "gains": result.gains(),
        }
    return tables


def _scenarios(result: Optimisation) -> dict[str, cs.Scenario]:
    """best.toml for the winner, candidate_<trial>.toml for further candidates, champion.toml."""
    out = {"best" if c.name == "best" else f"candidate_{c.trial}": c.scenario for c in result.best}
    return out | {"champion": result.space.champion}


def _trial_bar(total: int, quiet: bool) -> Any:
    """A bar over trials with the best value so far; only on a terminal, never with --quiet."""
    from tqdm import tqdm

    return tqdm(total=total, desc="optimise", unit="trial", disable=quiet or not sys.stderr.isatty(), file=sys.stderr)


def _tick(bar: Any, done: int, best: float | None) -> None:
    bar.update(done - bar.n)
    if best is not None:
        bar.set_postfix_str(f"best {best:,.4g}")


def optimisation_text(result: Optimisation) -> str:
    """What the command prints: the search, the best candidate(s), in-search beside confirmed gains."""
    space, spec = result.space, result.space.spec
    d = result.to_dict()
    objs = ", ".join(f"{'max' if o.sign > 0 else 'min'} {o.kpi}" for o in space.objectives)
    lines = [
        f"optimise {space.name}: {d['trials']} trials ({d['full_replications']} with full replications, "
        f"{d['failed']} invalid), {result.sampler}; objective {objs}"
        + (f"; subject to {', '.join(d['constraints'])}" if d["constraints"] else ""),
        f"search: {spec.replications} replication(s) per candidate, {spec.full_replications} for the top "
        f"{spec.promote:.0%} (racing); the same seeds for every candidate (common random numbers)",
    ]
    if space.spec.headcount is not None:
        lines.append(
            f"headcount: {', '.join(space.spec.headcount.teams)} share a fixed total of {space.budget_total} "
            "(equal resources)"
        )
    if len(space.objectives) > 1:
        front = result.pareto()
        lines.append(f"\nPareto front ({len(front)} trials, search means):")
        cols = [o.kpi for o in space.objectives]
        for r in front.itertuples(index=False):
            vals = "  ".join(f"{k} {r._asdict()[k]:,.4g}" for k in cols)
            lines.append(f"  trial {r.trial:>4}  {vals}")
    if not result.best:
        lines.append("\nno feasible candidate with full replications: nothing to confirm")
        return "\n".join(lines)
    cur = space.champion.currency
    for cand in result.best:
        note = ": the champion itself, no candidate beat it" if same_settings(cand.scenario, space.champion) else ""
        lines.append(f"\n{cand.name} (trial {cand.trial}){note}:")
        for k, v in cand.params.items():
            if not k.startswith("headcount_weight."):
                lines.append(f"  {k} = {setting_value(v)}")
        if space.spec.headcount is not None:
            hc = ", ".join(f"{t} {cand.scenario.teams[t].headcount}" for t in space.spec.headcount.teams)
            was = ", ".join(f"{t} {space.champion.teams[t].headcount}" for t in space.spec.headcount.teams)
            lines.append(f"  headcount: {hc} (champion: {was})")
    gains = result.gains()
    n = int(gains["n_confirm"].iloc[0])
    lines.append(
        f"\ngain over the champion: in search ({spec.full_replications} seeds) and confirmed on {n} fresh seeds "
        "(95% interval)"
    )
    lines.append(f"{'candidate':<12}{'KPI':<22}{'in search':>16}{'':>9}{'confirmed':>28}{'':>9}{'P(better)':>11}")
    for r in gains.itertuples(index=False):
        found = fmt_diff(r.kpi, r.search_gain, math.nan, cur).strip()
        lines.append(
            f"{r.candidate:<12}{r.kpi:<22}{found:>16}{_pct(r.search_gain_pct):>9}"
            f"{fmt_diff(r.kpi, r.confirmed_gain, r.confirmed_half_width, cur):>28}{_pct(r.confirmed_gain_pct):>9}"
            f"{r.p_better:>11.2f}"
        )
    first = gains[(gains.candidate == "best") & (gains.kpi == space.objectives[0].kpi)].iloc[0]
    if first.search_gain * space.objectives[0].sign > first.confirmed_gain * space.objectives[0].sign:
        lines.append(
            "the confirmed gain is below the in-search gain: the best of many noisy estimates is flattered "
            "(winner's curse); trust the confirmed figure"
        )
    lines.append(result.importance_note)
    if result.importances is not None:
        for obj, sub in result.importances.groupby("objective", sort=False):
            top = ", ".join(f"{r.parameter} {r.importance:.2f}" for r in sub.head(3).itertuples(index=False))
            lines.append(f"  most important for {obj}: {top}")
    return "\n".join(lines)


def _pct(x: float) -> str:
    return "" if x != x else f"{x:+.1%}"
