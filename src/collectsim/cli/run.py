"""Commands about one scenario: validate, run, report, portfolio import, erlang."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import collectsim as cs
from collectsim.cli.parser import EXIT_USAGE
from collectsim.cli.preflight import check_default_file, check_memory, check_results_root
from collectsim.errors import CollectsimError, ScenarioError, one_line
from collectsim.experiments.policies import load_policy
from collectsim.present import kpi_table
from collectsim.scenario.load import Blame
from collectsim.scenario.overrides import parse_assignment


def _overrides(items: Sequence[str]) -> dict[str, Any]:
    return dict(parse_assignment(item) for item in items)


def _set_blame(items: Sequence[str]) -> Blame:
    """Name the ``--set`` flag behind a problem an override caused (the last one wins, as in ``_overrides``)."""
    texts = {parse_assignment(item)[0]: item for item in items}
    return lambda path: ("", f"--set {texts[path]}") if path in texts else None


def _cmd_validate(args: argparse.Namespace) -> int:
    try:
        sc = cs.load_scenario(args.scenario, _overrides(args.overrides), blame=_set_blame(args.overrides))
    except ScenarioError as exc:
        if len(exc.problems) == 1:
            raise  # one problem is the failure line itself (main prints it): listing it too said it twice
        print(f"{args.scenario}: {len(exc.problems)} problem(s)")
        for line in exc.lines():
            print(f"  {one_line(line)}")
        # the listing is the output; the failure line counts the problems rather than repeating the first
        where = one_line(str(args.scenario))
        print(
            f"collectsim validate: error: {where}: {len(exc.problems)} problems (listed on standard output)",
            file=sys.stderr,
        )
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


def _rules_note(args: argparse.Namespace, sc: cs.Scenario) -> str | None:
    """``--mode`` on a scenario with no rules to apply changes nothing: say so rather than run silently."""
    from collectsim.scenario.conduct import Rules

    if args.mode and not sc.conduct.presets and sc.conduct.rules == Rules():
        return f"note: --mode {args.mode} but no conduct rules (--rules or [conduct.rules]): nothing to {args.mode}"
    return None


def _cmd_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from collectsim.present import conduct_table
    from collectsim.store import write_run

    overrides = {**_overrides(args.overrides), **_conduct_overrides(args)}
    sc = cs.load_scenario(args.scenario, overrides, blame=_set_blame(args.overrides))
    check_results_root(args.results)
    check_memory(sc, events=args.events)
    policy = load_policy(args.policy) if args.policy else None
    if note := _rules_note(args, sc):
        print(note, file=sys.stderr)
    bar = tqdm(
        total=sc.horizon.days,
        unit="day",
        desc=f"{sc.name} ({sc.population.accounts:,} accounts)",
        disable=args.quiet or not sys.stderr.isatty(),  # a bar is for a person at a terminal, not a log
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
    args.json_payload = {
        "command": "run",
        "scenario": sc.name,
        "seed": args.seed,
        "results": str(folder),
        "kpis": result.kpis,
    }
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
    from collectsim.portfolio import assumptions, fit_portfolio, write_scenario

    check_default_file(args.template, "--template")
    fit = fit_portfolio(
        args.csv,
        balance_column=args.balance_column,
        dpd_column=args.dpd_column,
        segment_column=args.segment_column or "segment",
        segment_required=args.segment_column is not None,
        drop=args.drop,
    )
    out = write_scenario(fit, args.out, template=args.template, overwrite=args.overwrite)
    print(f"{fit.accounts:,} delinquent accounts in {len(fit.segments)} segments; wrote {out} (aggregates only)")
    if fit.renamed:
        print(f"  {fit.renamed} segment label(s) looked like identifiers and were written as segment_<n>")
    for name, seg in fit.segments.items():
        print(
            f"  {name:<16}{seg['share']:>8.1%}  mean balance {seg['balance_mean']:>12,.2f}  "
            f"entry DPD {_dpd_spread_words(seg)}"
        )
    for line in assumptions(fit, args.template):
        print(f"assumed: {line}")
    return 0


def _dpd_spread_words(seg: dict) -> str:
    """ "31" for one day; "1–59 (median 31, in 6 ranges)" for a spread."""
    spec = seg["entry_dpd"]
    if isinstance(spec, int):
        return str(spec)
    n, low, high = len(spec["ranges"]), spec["ranges"][0][0], spec["ranges"][-1][1]
    return f"{low}–{high} (median {seg['entry_dpd_median']}, in {n} range{'s' * (n > 1)})"


def _cmd_report(args: argparse.Namespace) -> int:
    from collectsim.report import build_report

    print(f"report: {build_report(args.folder, warn=lambda line: print(line, file=sys.stderr))}")
    return 0


MAX_SIMULATED_CALLS = 100_000  # per replication of `erlang --simulate-hours`; 25 replications run
MIN_SIMULATED_CALLS = 100  # fewer measure nothing (an empty mean, NaN waits)


def _cmd_erlang(args: argparse.Namespace) -> int:
    from collectsim.present import erlang_rows, erlang_text

    if args.simulate_hours and args.arrivals_per_hour * args.simulate_hours < MIN_SIMULATED_CALLS:
        raise CollectsimError(
            f"--simulate-hours: {args.arrivals_per_hour:g} calls/h for {args.simulate_hours:g} h is fewer than "
            f"{MIN_SIMULATED_CALLS} calls; simulate at least {MIN_SIMULATED_CALLS / args.arrivals_per_hour:.3g} hours"
        )
    if args.simulate_hours and args.arrivals_per_hour * (args.simulate_hours + 24) > MAX_SIMULATED_CALLS:
        raise CollectsimError(
            f"--simulate-hours: {args.arrivals_per_hour:g} calls/h for {args.simulate_hours:g} h (plus warm-up) is "
            f"more than {MAX_SIMULATED_CALLS:,} calls per replication; simulate fewer hours"
        )
    rep, rows = erlang_rows(
        args.arrivals_per_hour, args.aht_min, args.target, args.within_s, args.shrinkage, args.simulate_hours
    )
    print(erlang_text(rep, rows, args.shrinkage))
    args.json_payload = {
        "command": "erlang",
        "arrivals_per_hour": args.arrivals_per_hour,
        "aht_min": args.aht_min,
        "target": args.target,
        "within_s": args.within_s,
        "shrinkage": args.shrinkage,
        "simulate_hours": args.simulate_hours,
        "load": rep.load,
        "agents": rep.agents,
        "rostered": rep.rostered,
        "levels": rows,
    }
    return 0
