"""The command line's arguments: one parser, argument types that name the flag and the allowed values."""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path
from typing import NoReturn

import collectsim as cs
from collectsim.calibration import METHODS
from collectsim.errors import one_line
from collectsim.scenario.schema_base import DAYS_MAX, HEADCOUNT_MAX

EXIT_USAGE = 2
MAX_COUNT = 10_000  # replications, evaluations, bootstrap resamples: beyond it, a typo rather than a plan
MAX_RUNS = 100_000  # simulations in one command (the sweep file's limit too)
MAX_HEADCOUNTS = 1_000  # headcounts tried for one team
MAX_SEED = 2**63 - 1
MAX_WORKERS = min(256, 4 * (os.cpu_count() or 1))
RULEBOOKS = ("us_reg_f", "us_ma", "cn_national_standard_2025", "cn_cba_2026", "eu_ccd2")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {one_line(message)} (see --help)\n")


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
    run.add_argument(
        "--json",
        action="store_true",
        help="print the results as JSON on stdout (the usual text goes to stderr)",
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    cmp_ = sub.add_parser("compare", help="paired comparison of policies over replications (first = champion)")
    cmp_.add_argument("scenarios", type=Path, nargs="+")
    cmp_.add_argument(
        "--policy",
        dest="policies",
        action="append",
        default=[],
        metavar="NAME=MODULE:CLASS[@SCENARIO]",
        help="also compare a Python research policy, named NAME, on SCENARIO's portfolio and teams "
        "(default: the first scenario) instead of its ladder (repeatable)",
    )
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
    cmp_.add_argument(
        "--parameter-uncertainty",
        type=Path,
        metavar="FIT_JSON",
        help="fit.json of calibrate histories: each replication draws the fitted parameters (one draw for "
        "every policy); the report shows the intervals with and without that uncertainty",
    )
    _executor_args(cmp_)
    cmp_.add_argument("--results", type=Path, default=Path("results"))
    cmp_.add_argument("--no-report", action="store_true", help="skip the figures and report.html")
    cmp_.add_argument(
        "--json",
        action="store_true",
        help="print the results as JSON on stdout (the usual text goes to stderr)",
    )
    cmp_.add_argument("--quiet", action="store_true")

    swp = sub.add_parser("sweep", help="run a sweep file (grid, Latin hypercube or Sobol); resumable")
    swp.add_argument("sweep", type=Path)
    _executor_args(swp)
    swp.add_argument("--results", type=Path, default=Path("results"))
    swp.add_argument("--no-report", action="store_true", help="skip the figures and report.html")
    swp.add_argument("--quiet", action="store_true")

    opt = sub.add_parser(
        "optimise", help="search a space file for the best policy (optuna), confirm it on fresh seeds; resumable"
    )
    opt.add_argument("space", type=Path, help="search-space file (see optimise/baseline_space.toml)")
    opt.add_argument("--trials", type=_positive("--trials"), default=None, help="candidates (default: the file's)")
    opt.add_argument(
        "-n",
        "--replications",
        type=_number("-n", int, 2, allowed="2 or more"),
        default=None,
        help="confirmation replications on fresh seeds (default: the file's confirm.replications)",
    )
    _executor_args(opt)
    opt.add_argument("--results", type=Path, default=Path("results"))
    opt.add_argument("--no-report", action="store_true", help="skip the figures and report.html")
    opt.add_argument("--quiet", action="store_true", help="no progress bar")

    stf = sub.add_parser("staff", help="size teams by simulation: recovery, cost and service level by headcount")
    stf.add_argument(
        "--policy",
        metavar="MODULE:CLASS",
        help="size teams for a Python research policy instead of the scenario's ladder",
    )
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
        type=_positive("--max-runs", MAX_RUNS),
        default=2000,
        help="cap on simulations for a several-team search (default 2000)",
    )
    stf.add_argument("--plan", action="store_true", help="also the headcount needed week by week (one team)")
    stf.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE")
    _executor_args(stf)
    stf.add_argument("--results", type=Path, default=Path("results"))
    stf.add_argument("--no-report", action="store_true", help="skip the figures and report.html")
    stf.add_argument(
        "--json",
        action="store_true",
        help="print the results as JSON on stdout (the usual text goes to stderr)",
    )
    stf.add_argument("--quiet", action="store_true")

    erl = sub.add_parser("erlang", help="Erlang C staffing for an inbound queue (first estimate)")
    erl.add_argument(
        "--arrivals-per-hour", type=_positive_float("--arrivals-per-hour", 1e6, "calls per hour"), required=True
    )
    erl.add_argument("--aht-min", type=_positive_float("--aht-min", 24 * 60, "minutes"), required=True)
    erl.add_argument("--target", type=_fraction("--target"), default=0.8, help="service level (default 0.8)")
    erl.add_argument(
        "--within-s",
        type=_number("--within-s", float, 0.0, 86_400, hi_open=False, allowed="0 to 86400 seconds"),
        default=20.0,
        help="seconds (default 20; 0: the share answered without waiting)",
    )
    erl.add_argument("--shrinkage", type=_shrinkage, default=0.0, help="share of rostered time off the floor")
    erl.add_argument(
        "--simulate-hours",
        type=_positive_float("--simulate-hours", 24 * 365, "hours"),
        default=None,
        help="also simulate the queue on the team machinery for this many hours (5 replications)",
    )
    erl.add_argument(
        "--json",
        action="store_true",
        help="print the answer and the table as JSON on stdout (the usual text goes to stderr)",
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
    imp.add_argument(
        "--segment-column",
        default=None,
        help="column of segment labels; it must exist (default: 'segment' if the file has it, else DPD buckets)",
    )
    imp.add_argument("--overwrite", action="store_true")

    cal = sub.add_parser("calibrate", help="fit scenario parameters to what a portfolio shows")
    csub = cal.add_subparsers(dest="calibrate_command", required=True, parser_class=_Parser)
    tgt = csub.add_parser(
        "targets", help="fit free scenario fields to aggregate KPI targets (a targets file) by simulation"
    )
    tgt.add_argument("--scenario", type=Path, required=True, help="base scenario file")
    tgt.add_argument("--targets", type=Path, required=True, help='targets file: [targets.<kpi>] and [free."<path>"]')
    tgt.add_argument("--out", type=Path, required=True, help="results folder to create (must not exist)")
    tgt.add_argument(
        "-n", "--replications", type=_positive("-n"), default=4, help="replications per evaluation (default 4)"
    )
    tgt.add_argument("--seed", type=_seed, default=1, help="seed of the replications, the same at every point")
    tgt.add_argument(
        "--max-evals", type=_positive("--max-evals"), default=50, help="cap on evaluated points (default 50)"
    )
    tgt.add_argument(
        "--method",
        choices=METHODS,
        default="least-squares",
        help="optimiser: least-squares (default) or nelder-mead (derivative-free, for rough objectives)",
    )
    tgt.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a scenario field for the fit (repeatable); kept in the written scenario.toml",
    )
    _executor_args(tgt)
    tgt.add_argument("--no-report", action="store_true", help="skip the figure fit.png and report.html")
    tgt.add_argument("--quiet", action="store_true", help="no progress bar")

    his = csub.add_parser("histories", help="fit the repayment intensity to account histories by maximum likelihood")
    his.add_argument("--accounts", type=Path, required=True, help="accounts file (CSV or Parquet)")
    his.add_argument("--events", type=Path, required=True, help="events file: payments and treatments (CSV or Parquet)")
    his.add_argument(
        "--scenario",
        type=Path,
        default=Path("scenarios/baseline.toml"),
        help="base scenario the fitted values go into (default scenarios/baseline.toml)",
    )
    his.add_argument("--out", type=Path, required=True, help="results folder to create (must not exist)")
    his.add_argument(
        "--holdout-days",
        type=_positive_float("--holdout-days", DAYS_MAX, "days"),
        default=None,
        help="fit without each account's last D days and predict what they collected (back-test)",
    )
    his.add_argument(
        "--classes",
        type=_classes,
        default=None,
        help="also fit each segment as a mixture of K latent classes by EM (K = 1–6), or 'bic' to choose K "
        "in 1–4 by BIC; the scenario gets one reason per class",
    )
    his.add_argument(
        "--bootstrap",
        type=_positive("--bootstrap"),
        default=100,
        help="account resamples for the errors of a segment with a parameter at its bound 0 (default 100)",
    )
    his.add_argument("--seed", type=_seed, default=1, help="seed of the bootstrap and back-test draws")
    his.add_argument("--no-report", action="store_true", help="skip figures and report.html")

    rpt = sub.add_parser("report", help="rebuild figures and report.html of a results folder from its files alone")
    rpt.add_argument("folder", type=Path)

    val = sub.add_parser("validate", help="check a scenario file and list every problem")
    val.add_argument("scenario", type=Path)
    val.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE")
    return p


def _executor_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=_workers, default=None, help="local worker processes (default: all cores)")
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
    """An argparse type: ``cast`` the text and check it is finite and lies in the range, naming the flag.

    NaN fails every comparison, so it is refused explicitly (``--in-run nan`` once ran a whole comparison
    before failing); so is infinity, and every flag has an upper bound so a typo cannot ask for years of work.
    """

    def parse(text: str):
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"'{text}' is not {'an integer' if cast is int else 'a number'}; allowed: {allowed}"
            ) from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"'{text}' is not a finite number; allowed: {allowed}")
        if value < lo or (lo_open and value == lo) or value > hi or (hi_open and value == hi):
            raise argparse.ArgumentTypeError(f"{value} is not allowed; allowed: {allowed}")
        return value

    parse.__name__ = flag
    return parse


def _positive(flag: str, hi: int = MAX_COUNT):
    """A count from 1 to ``hi``."""
    return _number(flag, int, 1, hi, hi_open=False, allowed=f"1 to {hi:,}")


def _classes(text: str) -> int | str:
    """``--classes``: a number of latent classes, or 'bic'."""
    if text == "bic":
        return text
    return _number("--classes", int, 1, 6, hi_open=False, allowed="1 to 6, or bic")(text)


def _fraction(flag: str):
    return _number(flag, float, 0.0, 1.0, lo_open=True, allowed="strictly between 0 and 1")


def _positive_float(flag: str, hi: float, unit: str):
    """A positive amount of at most ``hi`` ``unit``."""
    return _number(flag, float, 0.0, hi, lo_open=True, hi_open=False, allowed=f"greater than 0, at most {hi:g} {unit}")


def _workers(text: str) -> int:
    """Local worker processes: more than four per core only adds memory and switching."""
    return _positive("--workers", MAX_WORKERS)(text)


_workers.__name__ = "--workers"
_seed = _number("--seed", int, 0, MAX_SEED, hi_open=False, allowed="0 to 2**63 - 1")
_shrinkage = _number("--shrinkage", float, 0.0, 1.0, allowed="0 ≤ shrinkage < 1")


def _range(text: str) -> list[int]:
    """Headcounts to try: ``LO:HI[:STEP]`` or a comma list, at most ``MAX_HEADCOUNTS`` of them.

    The count is worked out before the list is built, so ``0:100000000`` is refused, not materialised.
    """
    allowed = f"LO:HI:STEP or a comma list of integers from 0 to {HEADCOUNT_MAX:,}, at most {MAX_HEADCOUNTS} values"
    sep = "," if "," in text else ":"
    try:
        nums = [int(p) for p in text.split(sep)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not allowed; allowed: {allowed}") from None
    if sep == "," or len(nums) == 1:
        values = nums
    elif len(nums) > 3:
        raise argparse.ArgumentTypeError(f"'{text}' is not allowed; allowed: {allowed}")
    else:
        lo, hi, step = (*nums, 1)[:3]
        if lo < 0 or hi < lo or step < 1:
            raise argparse.ArgumentTypeError(f"'{text}': need 0 ≤ LO ≤ HI and STEP ≥ 1")
        count = (hi - lo) // step + 1
        if count > MAX_HEADCOUNTS:
            raise argparse.ArgumentTypeError(f"'{text}' gives {count:,} headcounts; allowed: {allowed}")
        values = list(range(lo, hi + 1, step))
    if len(values) > MAX_HEADCOUNTS or any(not 0 <= v <= HEADCOUNT_MAX for v in values):
        raise argparse.ArgumentTypeError(f"'{text}' is not allowed; allowed: {allowed}")
    return values
