"""The command line: parse, call the public API, present or store. Never reaches into the engine.

Every user error (bad file, bad flag) ends with one line naming the field and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import collectsim as cs
from collectsim.errors import CollectsimError, ScenarioError
from collectsim.present import kpi_table
from collectsim.scenario.overrides import parse_assignment

EXIT_USAGE = 2


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
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    val = sub.add_parser("validate", help="check a scenario file and list every problem")
    val.add_argument("scenario", type=Path)
    val.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE")
    return p


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not an integer; allowed: 0 or more") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; allowed: 0 or more")
    return value


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


def _cmd_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from collectsim.store import write_run

    sc = cs.load_scenario(args.scenario, _overrides(args.overrides))
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
    print(f"\n{sc.population.accounts:,} accounts × {sc.horizon.days} days in {wall:.1f} s; results: {folder}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    try:
        if args.command == "validate":
            return _cmd_validate(args)
        return _cmd_run(args)
    except CollectsimError as exc:
        print(f"collectsim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("collectsim: interrupted; nothing written", file=sys.stderr)
        return 130
