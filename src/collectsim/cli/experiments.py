"""Commands that run many simulations: compare, sweep, staff."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import tomli_w

import collectsim as cs
from collectsim.cli.parser import MAX_RUNS
from collectsim.cli.preflight import check_memory, check_results_root
from collectsim.cli.run import _overrides, _report, _set_blame
from collectsim.errors import CollectsimError

if TYPE_CHECKING:
    from collectsim.experiments import Design
    from collectsim.experiments.sweepfile import SweepSpec
    from collectsim.results import ExperimentResult
    from collectsim.store import SweepStore

MAX_POINTS_SHOWN = 20


def _bar(total: int, desc: str, quiet: bool, initial: int = 0):
    from tqdm import tqdm

    # A bar is for a person at a terminal: piped or logged stderr gets none.
    quiet = quiet or not sys.stderr.isatty()
    return tqdm(total=total, initial=initial, desc=desc, unit="run", disable=quiet, file=sys.stderr)


def _batch_progress(bar):
    """A progress callback for work run in batches (adaptive replications, in-run tests, coordinate
    search): each batch reports 1…n, and the bar grows when a batch goes past its total."""
    batch = {"offset": 0}

    def progress(done: int, n: int) -> None:
        if done == 1:
            batch["offset"] = bar.n
            bar.total = max(bar.total, bar.n + n)
        bar.update(batch["offset"] + done - bar.n)

    return progress


def _executor(args: argparse.Namespace):
    from collectsim.experiments.executors import make_executor

    return make_executor(args.workers, args.dask)


def _preflight(args: argparse.Namespace, scenario: cs.Scenario, runs: int, *, accounts: int | None = None) -> None:
    """Before the first simulation: a bounded number of runs, a writable results root, and enough memory."""
    if runs > MAX_RUNS:
        raise CollectsimError(f"{runs:,} runs exceed the limit of {MAX_RUNS:,}; ask for fewer replications or points")
    check_results_root(args.results)
    if args.dask is None:
        at_once = min(runs, args.workers or os.cpu_count() or 1)
        sized = (
            scenario
            if accounts is None
            else scenario.model_copy(
                update={"population": scenario.population.model_copy(update={"accounts": accounts})}
            )
        )
        check_memory(sized, at_once=at_once, what=scenario.name)


def _check_target_kpi(kpi: str, scenario: cs.Scenario) -> None:
    """--target-kpi names a KPI the runs report: checked before any replication runs, not after the first batch."""
    from collectsim.experiments.kpinames import known_kpis, not_a_kpi

    known = known_kpis(scenario)
    if kpi not in known:
        raise CollectsimError(f"--target-kpi: {not_a_kpi(kpi, known)}")


def _policy_names(paths: Sequence[Path], scenarios: list[cs.Scenario]) -> list[str]:
    names = [sc.name for sc in scenarios]
    if len(set(names)) < len(names):
        names = [p.stem for p in paths]
    if len(set(names)) < len(names):  # one file twice: baseline-1, baseline-2 (file-safe, for folder names)
        seen: dict[str, int] = {}
        numbered = []
        for n in names:
            seen[n] = seen.get(n, 0) + 1
            numbered.append(f"{n}-{seen[n]}" if names.count(n) > 1 else n)
        names = numbered
    return names


def _research_policies(
    specs: Sequence[str], default: Path, sets: Sequence[str], scenarios: dict[str, cs.Scenario]
) -> dict[str, str]:
    """``--policy NAME=MODULE:CLASS[@SCENARIO]`` entries: each adds an arm to ``scenarios`` and names its policy.

    The class is imported and made once here, so a bad name fails before any run; the runs get the name
    and make their own instances.
    """
    from collectsim.experiments.policies import load_policy
    from collectsim.scenario.schema_base import file_safe_name

    overrides = _overrides(sets)
    policies: dict[str, str] = {}
    for spec in specs:
        name, eq, rest = spec.partition("=")
        target, at, path = rest.partition("@")
        if not eq or not name or not target:
            raise CollectsimError(f"--policy: '{spec}' must be NAME=MODULE:CLASS or NAME=MODULE:CLASS@SCENARIO")
        if file_safe_name(name) != name:
            raise CollectsimError(f"--policy: name '{name}' must be letters, digits, '.', '_' or '-'")
        if name in scenarios:
            raise CollectsimError(f"--policy: name '{name}' is already taken by a scenario or another --policy")
        load_policy(target)
        scenarios[name] = cs.load_scenario(Path(path) if at else default, overrides, blame=_set_blame(sets))
        policies[name] = target
    return policies


def _cmd_compare(args: argparse.Namespace) -> int:
    from collectsim.experiments import compare
    from collectsim.present import comparison_table
    from collectsim.store import write_comparison

    if len(args.scenarios) + len(args.policies) < 2:
        raise CollectsimError(
            "compare: give at least two scenario files, or a scenario and a --policy (the first is the champion)"
        )
    overrides, blame = _overrides(args.overrides), _set_blame(args.overrides)
    loaded = [cs.load_scenario(p, overrides, blame=blame) for p in args.scenarios]
    scenarios = dict(zip(_policy_names(args.scenarios, loaded), loaded, strict=True))
    policies = _research_policies(args.policies, args.scenarios[0], args.overrides, scenarios)
    loaded = list(scenarios.values())
    most = max(loaded, key=lambda sc: sc.population.accounts)
    _preflight(args, most, len(loaded) * max(args.replications, args.max_n if args.target_half_width else 0))
    if args.target_half_width:
        _check_target_kpi(args.target_kpi, loaded[0])
    draws = None
    if args.parameter_uncertainty is not None:
        from collectsim.calibration.uncertainty import load_parameter_draws

        if args.in_run is not None:
            raise CollectsimError("--in-run with --parameter-uncertainty: not supported; run them separately")
        draws = load_parameter_draws(
            args.parameter_uncertainty, source=f"--parameter-uncertainty {args.parameter_uncertainty}"
        )
        draws.check(scenarios)
    started = time.perf_counter()
    runs_per_replication = len(scenarios) * (1 if draws is None else 2)
    bar = _bar(runs_per_replication * args.replications, "compare", args.quiet)
    progress = _batch_progress(bar)

    try:
        with _executor(args) as executor:
            result = compare(
                scenarios,
                args.replications,
                seed=args.seed,
                executor=executor,
                progress=progress,
                common_random_numbers=not args.independent,
                target_half_width=args.target_half_width,
                target_kpi=args.target_kpi,
                max_n=args.max_n,
                in_run_share=args.in_run,
                parameter_draws=draws,
                policies=policies,
            )
    finally:
        bar.close()
    wall = time.perf_counter() - started
    replications = int(result.table["replication"].max()) + 1
    manifest = {
        "version": cs.__version__,
        "seed": args.seed,
        "replications": replications,
        "common_random_numbers": not args.independent,
        "wall_time_s": round(wall, 3),
        "scenario_files": [str(p) for p in args.scenarios],
        "overrides": args.overrides,
        "executor": f"dask {args.dask}" if args.dask else f"{executor.workers} worker(s)",
    }
    if policies:
        manifest["research_policies"] = policies
    if draws is not None:
        manifest["parameter_uncertainty"] = str(args.parameter_uncertainty)
    folder = write_comparison(result, scenarios, args.results, manifest=manifest, parameter_draws=draws)
    currency = loaded[0].currency
    print(comparison_table(result.summary(), result.policies, currency, paired=not args.independent))
    in_run = result.in_run_summary()
    if in_run is not None:
        print(f"\nin-run champion/challenger ({args.in_run:.0%} of accounts to the challenger, shared teams):")
        for r in in_run.itertuples():
            if r.kpi in ("recovery_rate", "net_recovery_per_account", "cost_per_account", "cure_rate_dpd30"):
                print(
                    f"  {r.test:<14}{r.kpi:<26}{r.champion:>14,.4f}{r.challenger:>14,.4f}"
                    f"{r.diff:>+14,.4f} ±{r.diff_half_width:,.4f}  P(better) {r.p_better:.2f}"
                )
    runs = len(result.table) + (0 if result.plain is None else len(result.plain))
    print(f"\n{runs} runs in {wall:.1f} s; results: {folder}")
    _report(folder, args)
    args.json_payload = {
        "command": "compare",
        "champion": result.policies[0],
        "policies": list(result.policies),
        "results": str(folder),
        "summary": result.summary().to_dict(orient="records"),
    }
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from collectsim.experiments import sweep_identities
    from collectsim.experiments.sweepfile import load_sweep
    from collectsim.store import SweepStore, fingerprint

    spec, base, design = load_sweep(args.sweep)
    if spec.policy is not None:
        from collectsim.experiments.policies import load_policy

        load_policy(spec.policy)  # a bad name fails before any run
    points = design.points if hasattr(design, "points") else design
    accounts = max([base.population.accounts, *(int(p.get("population.accounts", 0)) for p in points)])
    _preflight(args, base, len(points) * spec.replications, accounts=accounts)
    key = fingerprint(spec.model_dump(mode="json"), base.model_dump(mode="json"), cs.__version__)
    identities = sweep_identities(design, spec.replications, seed=spec.seed)
    with SweepStore(args.results, spec.name or args.sweep.stem, key, identities) as store:
        return _sweep_in(store, spec, base, design, args)


def _sweep_in(store: SweepStore, spec: SweepSpec, base: cs.Scenario, design: Design, args: argparse.Namespace) -> int:
    """The sweep, inside its locked folder: resume what the journal holds, run the rest, write the tables."""
    from collectsim.experiments import sweep

    total = len(store.identities)
    complete, warning = store.status()
    if warning:
        print(warning, file=sys.stderr)
    if complete:
        print(f"sweep already complete ({total} runs): {store.folder}")
        return 0
    found = store.resume()
    if found.damaged:
        print(found.warning(store.journal), file=sys.stderr)
    done = found.done
    store.write_text("sweep.json", json.dumps(spec.model_dump(mode="json"), indent=2))
    store.write_text("scenario.toml", tomli_w.dumps(base.model_dump(mode="json", exclude_none=True)))
    bar = _bar(total, spec.name or "sweep", args.quiet, initial=len(done))
    started = time.perf_counter()
    try:
        with _executor(args) as executor:
            result = sweep(
                base,
                design,
                spec.replications,
                seed=spec.seed,
                executor=executor,
                done=done,
                on_rows=store.append,
                progress=lambda k, n: bar.update(k - bar.n),
                sobol_kpis=spec.kpis,
                policy=spec.policy,
            )
    except KeyboardInterrupt:
        bar.close()
        kept = len(store.resume().done)
        print(
            f"collectsim: interrupted; {kept} of {total} runs kept in {store.folder}; run the same command to resume",
            file=sys.stderr,
        )
        return 130
    bar.close()
    wall = time.perf_counter() - started
    store.finish(
        result,
        {
            "version": cs.__version__,
            "sweep_file": str(args.sweep),
            "runs": total,
            "resumed_with": len(done),
            "damaged_journal_lines": len(found.damaged),
            "wall_time_s": round(wall, 3),
            "seed": spec.seed,
        },
    )
    _print_sweep(result, spec)
    print(f"\n{total} runs ({len(done)} resumed) in {wall:.1f} s; results: {store.folder}")
    _report(store.folder, args)
    return 0


def _print_sweep(result: ExperimentResult, spec: SweepSpec) -> None:
    means = result.table.groupby("point")[[*result.parameters, *spec.kpis]].mean()
    shown = means if len(means) <= MAX_POINTS_SHOWN else means.head(MAX_POINTS_SHOWN)
    print(shown.to_string(float_format=lambda v: f"{v:,.4g}"))
    if len(means) > len(shown):
        print(f"… {len(means) - len(shown)} more points in sweep.csv and report.html")
    if result.sobol is not None:
        from collectsim.experiments.design import sobol_trust_warning

        print("\nSobol indices (first order S1, total ST; conf = 95% bootstrap half-width):")
        print(result.sobol.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        warning = sobol_trust_warning(result.sobol, spec.points)
        if warning:
            print(warning)


def _cmd_staff(args: argparse.Namespace) -> int:
    from collectsim.experiments.staffing import size_staff, size_teams, weekly_plan
    from collectsim.present import staffing_table
    from collectsim.store import write_staffing

    if len(args.team) != len(args.headcount):
        raise CollectsimError(
            f"staff: give one --headcount per --team ({len(args.team)} teams, {len(args.headcount)} ranges)"
        )
    if args.plan and len(args.team) > 1:
        raise CollectsimError("--plan: plan one team at a time")
    sc = cs.load_scenario(args.scenario, _overrides(args.overrides), blame=_set_blame(args.overrides))
    if args.policy is not None:
        from collectsim.experiments.policies import load_policy

        load_policy(args.policy)  # a bad name fails before any run
    for team in args.team:
        if team not in sc.teams:
            raise CollectsimError(f"--team: '{team}' is not a team; defined: {', '.join(sc.teams)}")
    ranges = dict(zip(args.team, args.headcount, strict=True))
    total = sum(len(v) for v in ranges.values()) * args.replications
    _preflight(args, sc, total)
    if not args.quiet:  # a range without a step can be many runs: say how many before they start
        counts = ", ".join(f"{team}: {len(levels)} headcounts" for team, levels in ranges.items())
        print(f"staff: {counts} × {args.replications} replications = {total:,} runs", file=sys.stderr)
    bar = _bar(total, f"staff {', '.join(ranges)}", args.quiet)
    progress = _batch_progress(bar)

    started = time.perf_counter()
    try:
        with _executor(args) as executor:
            if len(ranges) == 1:
                team, levels = next(iter(ranges.items()))
                curve = size_staff(
                    sc,
                    team,
                    levels,
                    args.replications,
                    seed=args.seed,
                    executor=executor,
                    progress=progress,
                    target_service=args.target_service,
                    weekly=args.plan,
                    policy=args.policy,
                )
                chosen, curves = {team: curve.best_net}, {team: curve}
            else:
                chosen, curves = size_teams(
                    sc,
                    ranges,
                    args.replications,
                    seed=args.seed,
                    executor=executor,
                    progress=progress,
                    target_service=args.target_service,
                    max_runs=args.max_runs,
                    policy=args.policy,
                )
    finally:
        bar.close()
    wall = time.perf_counter() - started
    plan = weekly_plan(curves[args.team[0]], args.target_service or 0.9) if args.plan else None
    text = staffing_table(sc, curves, chosen, plan)
    folder = write_staffing(
        curves,
        plan,
        sc,
        args.results,
        text=text,
        manifest={
            "version": cs.__version__,
            "seed": args.seed,
            "replications": args.replications,
            "wall_time_s": round(wall, 3),
            "scenario_file": str(args.scenario),
            "overrides": args.overrides,
            "chosen": chosen,
            "target_service": args.target_service,
            "research_policy": args.policy,
        },
    )
    print(text)
    print(f"\n{sum(len(c.table) for c in curves.values())} runs in {wall:.1f} s; results: {folder}")
    _report(folder, args)
    args.json_payload = {
        "command": "staff",
        "chosen": chosen,
        "results": str(folder),
        "curves": {team: c.summary.to_dict(orient="records") for team, c in curves.items()},
    }
    return 0
