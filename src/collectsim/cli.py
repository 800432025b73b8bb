"""The command line: parse, call the public API, present or store. Never reaches into the engine.

Every user error (bad file, bad flag) ends with one line naming the field and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import tomli_w

import collectsim as cs
from collectsim.errors import CollectsimError, ScenarioError
from collectsim.present import kpi_table
from collectsim.scenario.overrides import parse_assignment

EXIT_USAGE = 2
RULEBOOKS = ("us_reg_f", "us_ma", "cn_national_standard_2025", "cn_cba_2026", "eu_ccd2")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="collectsim", description="Simulate debt-collection strategies.")
    p.add_argument("--version", action="version", version=f"collectsim {cs.__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="simulate a scenario, print KPIs and write a results folder")
    run.add_argument("scenario", type=Path)
    run.add_argument("--seed", type=_seed, default=1, help="run seed (non-negative integer, default 1)")
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a field, e.g. teams.early_callers.headcount=12 (repeatable)",
    )
    run.add_argument(
        "--policy", metavar="MODULE:CLASS", help="use a Python policy class instead of the scenario's ladder"
    )
    run.add_argument("--results", type=Path, default=Path("results"), help="results root (default results/)")
    run.add_argument("--events", action="store_true", help="also record and save the event log")
    run.add_argument(
        "--rules",
        action="append",
        default=[],
        choices=RULEBOOKS,
        metavar="RULEBOOK",
        help=f"apply a conduct rulebook (repeatable): {', '.join(RULEBOOKS)}",
    )
    run.add_argument(
        "--mode",
        choices=("enforce", "audit"),
        default=None,
        help="conduct rules: enforce (block or defer) or audit (count violations)",
    )
    run.add_argument("--no-report", action="store_true", help="skip the figures and report.html")
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    cmp_ = sub.add_parser("compare", help="paired comparison of policies over replications (first = champion)")
    cmp_.add_argument("scenarios", type=Path, nargs="+")
    cmp_.add_argument("-n", "--replications", type=_positive("-n"), default=10, help="replications (default 10)")
    cmp_.add_argument("--seed", type=_seed, default=1)
    cmp_.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a field in every scenario (repeatable)",
    )
    cmp_.add_argument(
        "--target-half-width",
        type=_fraction("--target-half-width"),
        metavar="REL",
        help="add replications until the 95%% half-width of --target-kpi is below REL × mean",
    )
    cmp_.add_argument("--target-kpi", default="recovery_rate")
    cmp_.add_argument("--max-n", type=_positive("--max-n"), default=200, help="cap on replications (default 200)")
    cmp_.add_argument(
        "--in-run",
        type=_fraction("--in-run"),
        metavar="SHARE",
        help="also test each challenger inside the champion's run on SHARE of accounts",
    )
    cmp_.add_argument(
        "--independent",
        action="store_true",
        help="independent random streams per policy instead of common random numbers",
    )
    _executor_args(cmp_)
    cmp_.add_argument("--results", type=Path, default=Path("results"))
    cmp_.add_argument("--no-report", action="store_true", help="skip the figures and report.html")
    cmp_.add_argument("--quiet", action="store_true")

    swp = sub.add_parser("sweep", help="run a sweep file (grid, Latin hypercube or Sobol); resumable")
    swp.add_argument("sweep", type=Path)
    _executor_args(swp)
    swp.add_argument("--results", type=Path, default=Path("results"))
    swp.add_argument("--no-report", action="store_true", help="skip the figures and report.html")
    swp.add_argument("--quiet", action="store_true")

    stf = sub.add_parser("staff", help="size teams by simulation: recovery, cost and service level by headcount")
    stf.add_argument("scenario", type=Path)
    stf.add_argument("--team", action="append", required=True, help="team to size (repeatable)")
    stf.add_argument(
        "--headcount",
        action="append",
        required=True,
        type=_range,
        metavar="LO:HI:STEP",
        help="headcounts to try for the matching --team, e.g. 10:60:5 (repeatable)",
    )
    stf.add_argument("-n", "--replications", type=_positive("-n"), default=5)
    stf.add_argument("--seed", type=_seed, default=1)
    stf.add_argument(
        "--target-service",
        type=_fraction("--target-service"),
        default=None,
        metavar="SL",
        help="service level to meet: share of each day's due work done that day, e.g. 0.9",
    )
    stf.add_argument(
        "--max-runs",
        type=_positive("--max-runs"),
        default=2000,
        help="cap on simulations for a several-team search (default 2000)",
    )
    stf.add_argument("--plan", action="store_true", help="also the headcount needed week by week (one team)")
    stf.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE")
    _executor_args(stf)
    stf.add_argument("--results", type=Path, default=Path("results"))
    stf.add_argument("--no-report", action="store_true", help="skip the figures and report.html")
    stf.add_argument("--quiet", action="store_true")

    erl = sub.add_parser("erlang", help="Erlang C staffing for an inbound queue (first estimate)")
    erl.add_argument("--arrivals-per-hour", type=_positive_float("--arrivals-per-hour"), required=True)
    erl.add_argument("--aht-min", type=_positive_float("--aht-min"), required=True)
    erl.add_argument("--target", type=_fraction("--target"), default=0.8, help="service level (default 0.8)")
    erl.add_argument("--within-s", type=_positive_float("--within-s"), default=20.0, help="seconds (default 20)")
    erl.add_argument("--shrinkage", type=_shrinkage, default=0.0, help="share of rostered time off the floor")
    erl.add_argument(
        "--simulate-hours",
        type=_positive_float("--simulate-hours"),
        default=None,
        help="also simulate the queue on the team machinery for this many hours (5 replications)",
    )

    prt = sub.add_parser("portfolio", help="portfolio extracts: fit a synthetic population without copying rows")
    psub = prt.add_subparsers(dest="portfolio_command", required=True, parser_class=_Parser)
    imp = psub.add_parser("import", help="fit segment shares, balances and DPD from a CSV into a scenario file")
    imp.add_argument("csv", type=Path)
    imp.add_argument("--out", type=Path, required=True, help="scenario file to write")
    imp.add_argument(
        "--template",
        type=Path,
        default=Path("scenarios/baseline.toml"),
        help="scenario whose policy, teams and behaviour the new file keeps (default baseline)",
    )
    imp.add_argument("--drop", action="append", default=[], metavar="COLUMN", help="column to ignore (repeatable)")
    imp.add_argument("--balance-column", default="balance")
    imp.add_argument("--dpd-column", default="dpd")
    imp.add_argument("--segment-column", default="segment")
    imp.add_argument("--overwrite", action="store_true")

    rpt = sub.add_parser("report", help="rebuild figures and report.html of a results folder from its files alone")
    rpt.add_argument("folder", type=Path)

    val = sub.add_parser("validate", help="check a scenario file and list every problem")
    val.add_argument("scenario", type=Path)
    val.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE")
    return p


def _executor_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--workers", type=_positive("--workers"), default=None, help="local worker processes (default: all cores)"
    )
    p.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster: tcp://host:8786, or 'local'")


def _number(
    flag: str,
    cast: type,
    lo: float,
    hi: float = float("inf"),
    *,
    lo_open: bool = False,
    hi_open: bool = True,
    allowed: str = "",
):
    """An argparse type: ``cast`` the text and check it lies in the range, naming the flag and the range."""

    def parse(text: str):
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"'{text}' is not {'an integer' if cast is int else 'a number'}; allowed: {allowed}"
            ) from None
        if value < lo or (lo_open and value == lo) or value > hi or (hi_open and value == hi):
            raise argparse.ArgumentTypeError(f"{value} is not allowed; allowed: {allowed}")
        return value

    parse.__name__ = flag
    return parse


def _positive(flag: str):
    return _number(flag, int, 1, allowed="1 or more")


def _fraction(flag: str):
    return _number(flag, float, 0.0, 1.0, lo_open=True, allowed="strictly between 0 and 1")


def _positive_float(flag: str):
    return _number(flag, float, 0.0, lo_open=True, allowed="greater than 0")


_seed = _number("--seed", int, 0, allowed="0 or more")
_shrinkage = _number("--shrinkage", float, 0.0, 1.0, allowed="0 ≤ shrinkage < 1")


def _range(text: str) -> list[int]:
    parts = text.split(":")
    try:
        nums = [int(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' must be LO:HI:STEP or a comma list of integers") from None
    if "," in text or len(nums) == 1:
        return [int(p) for p in text.split(",")]
    lo, hi, step = (*nums, 1)[:3] if len(nums) == 2 else nums
    if lo < 0 or hi < lo or step < 1:
        raise argparse.ArgumentTypeError(f"'{text}': need 0 ≤ LO ≤ HI and STEP ≥ 1")
    return list(range(lo, hi + 1, step))


def _overrides(items: Sequence[str]) -> dict[str, Any]:
    return dict(parse_assignment(item) for item in items)


def _load_policy(spec: str) -> cs.Policy:
    module_name, _, class_name = spec.partition(":")
    if not module_name or not class_name:
        raise CollectsimError(f"--policy: '{spec}' must be MODULE:CLASS, e.g. mypolicies:ScoreFirst")
    sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise CollectsimError(f"--policy: cannot import module '{module_name}': {exc}") from None
    finally:
        sys.path.pop(0)
    cls = getattr(module, class_name, None)
    if cls is None:
        raise CollectsimError(f"--policy: module '{module_name}' has no class '{class_name}'")
    policy = cls()
    if not isinstance(policy, cs.Policy):
        raise CollectsimError(f"--policy: {spec} must define reset(ctx) and decide(day, view)")
    return policy


def _cmd_validate(args: argparse.Namespace) -> int:
    try:
        sc = cs.load_scenario(args.scenario, _overrides(args.overrides))
    except ScenarioError as exc:
        print(f"{args.scenario}: {len(exc.problems)} problem(s)")
        for line in exc.lines():
            print(f"  {line}")
        return EXIT_USAGE
    print(
        f"{args.scenario}: OK ({sc.population.accounts:,} accounts, {len(sc.teams)} teams, "
        f"{len(sc.channels)} channels, {sc.horizon.days} days)"
    )
    return 0


def _conduct_overrides(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if args.rules:
        out["conduct.presets"] = list(dict.fromkeys(args.rules))
    if args.mode:
        out["conduct.mode"] = args.mode
    return out


def _cmd_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from collectsim.present import conduct_table
    from collectsim.store import write_run

    sc = cs.load_scenario(args.scenario, {**_overrides(args.overrides), **_conduct_overrides(args)})
    policy = _load_policy(args.policy) if args.policy else None
    bar = tqdm(
        total=sc.horizon.days,
        unit="day",
        desc=f"{sc.name} ({sc.population.accounts:,} accounts)",
        disable=args.quiet,
        file=sys.stderr,
    )

    def progress(done: int, total: int) -> None:
        bar.update(done - bar.n)

    started = time.perf_counter()
    try:
        result = cs.simulate(sc, args.seed, policy=policy, record_events=args.events, progress=progress)
    finally:
        bar.close()
    wall = time.perf_counter() - started
    manifest = {
        "version": cs.__version__,
        "seed": args.seed,
        "wall_time_s": round(wall, 3),
        "scenario_file": str(args.scenario),
        "overrides": args.overrides,
        "policy": args.policy or "ladder",
    }
    folder = write_run(result, sc, args.results, manifest=manifest)
    print(kpi_table(result, sc.currency))
    conduct = conduct_table(result, sc)
    if conduct:
        print("\n" + conduct)
    print(f"\n{sc.population.accounts:,} accounts × {sc.horizon.days} days in {wall:.1f} s; results: {folder}")
    _report(folder, args)
    return 0


def _bar(total: int, desc: str, quiet: bool, initial: int = 0):
    from tqdm import tqdm

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


def _policy_names(paths: Sequence[Path], scenarios: list[cs.Scenario]) -> list[str]:
    names = [sc.name for sc in scenarios]
    if len(set(names)) < len(names):
        names = [p.stem for p in paths]
    if len(set(names)) < len(names):
        names = [f"{n}#{i}" for i, n in enumerate(names)]
    return names


def _cmd_compare(args: argparse.Namespace) -> int:
    from collectsim.experiments import compare
    from collectsim.present import comparison_table
    from collectsim.store import write_comparison

    if len(args.scenarios) < 2:
        raise CollectsimError("compare: give at least two scenario files (the first is the champion)")
    overrides = _overrides(args.overrides)
    loaded = [cs.load_scenario(p, overrides) for p in args.scenarios]
    scenarios = dict(zip(_policy_names(args.scenarios, loaded), loaded, strict=True))
    started = time.perf_counter()
    bar = _bar(len(scenarios) * args.replications, "compare", args.quiet)
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
    folder = write_comparison(result, scenarios, args.results, manifest=manifest)
    currency = loaded[0].currency
    print(comparison_table(result.summary(), result.policies, currency))
    in_run = result.in_run_summary()
    if in_run is not None:
        print(f"\nin-run champion/challenger ({args.in_run:.0%} of accounts to the challenger, shared teams):")
        for r in in_run.itertuples():
            if r.kpi in ("recovery_rate", "net_recovery_per_account", "cost_per_account", "cure_rate_dpd30"):
                print(
                    f"  {r.test:<14}{r.kpi:<26}{r.champion:>14,.4f}{r.challenger:>14,.4f}"
                    f"{r.diff:>+14,.4f} ±{r.diff_half_width:,.4f}  P(better) {r.p_better:.2f}"
                )
    print(f"\n{len(result.table)} runs in {wall:.1f} s; results: {folder}")
    _report(folder, args)
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from collectsim.experiments import sweep
    from collectsim.experiments.sweepfile import load_sweep
    from collectsim.store import SweepStore, fingerprint

    spec, base, design = load_sweep(args.sweep)
    key = fingerprint(spec.model_dump(mode="json"), base.model_dump(mode="json"), cs.__version__)
    store = SweepStore(args.results, spec.name or args.sweep.stem, key)
    points = design.points if hasattr(design, "points") else design
    total = len(points) * spec.replications
    if store.complete:
        print(f"sweep already complete ({total} runs): {store.folder}")
        return 0
    done = store.load_done()
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
            )
    except KeyboardInterrupt:
        bar.close()
        kept = len(store.load_done())
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
            "wall_time_s": round(wall, 3),
            "seed": spec.seed,
        },
    )
    means = result.table.groupby("point")[[*result.parameters, *spec.kpis]].mean()
    print(means.to_string(float_format=lambda v: f"{v:,.4g}"))
    if result.sobol is not None:
        print("\nSobol indices (first order S1, total ST):")
        print(result.sobol.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"\n{total} runs ({len(done)} resumed) in {wall:.1f} s; results: {store.folder}")
    _report(store.folder, args)
    return 0


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
    sc = cs.load_scenario(args.scenario, _overrides(args.overrides))
    for team in args.team:
        if team not in sc.teams:
            raise CollectsimError(f"--team: '{team}' is not a team; defined: {', '.join(sc.teams)}")
    ranges = dict(zip(args.team, args.headcount, strict=True))
    total = sum(len(v) for v in ranges.values()) * args.replications
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
        },
    )
    print(text)
    print(f"\n{sum(len(c.table) for c in curves.values())} runs in {wall:.1f} s; results: {folder}")
    _report(folder, args)
    return 0


def _report(folder: Path, args: argparse.Namespace) -> None:
    """Figures and report.html for a fresh results folder, unless --no-report or matplotlib is missing."""
    if getattr(args, "no_report", False):
        return
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("report skipped: figures need matplotlib (pip install 'collectsim[plot]')")
        return
    from collectsim.report import build_report

    print(f"report: {build_report(folder)}")


def _cmd_portfolio(args: argparse.Namespace) -> int:
    from collectsim.portfolio import fit_portfolio, write_scenario

    fit = fit_portfolio(
        args.csv,
        balance_column=args.balance_column,
        dpd_column=args.dpd_column,
        segment_column=args.segment_column,
        drop=args.drop,
    )
    out = write_scenario(fit, args.out, template=args.template, overwrite=args.overwrite)
    print(f"{fit.accounts:,} delinquent accounts in {len(fit.segments)} segments; wrote {out} (aggregates only)")
    for name, seg in fit.segments.items():
        print(
            f"  {name:<16}{seg['share']:>8.1%}  mean balance {seg['balance_mean']:>12,.2f}  "
            f"entry DPD {seg['entry_dpd']}"
        )
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from collectsim.report import build_report

    print(f"report: {build_report(args.folder)}")
    return 0


def _cmd_erlang(args: argparse.Namespace) -> int:
    from collectsim.present import erlang_text

    print(
        erlang_text(
            args.arrivals_per_hour, args.aht_min, args.target, args.within_s, args.shrinkage, args.simulate_hours
        )
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    commands = {
        "validate": _cmd_validate,
        "run": _cmd_run,
        "compare": _cmd_compare,
        "sweep": _cmd_sweep,
        "staff": _cmd_staff,
        "erlang": _cmd_erlang,
        "report": _cmd_report,
        "portfolio": _cmd_portfolio,
    }
    try:
        return commands[args.command](args)
    except CollectsimError as exc:
        print(f"collectsim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("collectsim: interrupted; nothing written", file=sys.stderr)
        return 130
