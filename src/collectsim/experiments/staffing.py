"""Staffing by simulation: how many agents per team, judged on money and on service.

For each candidate headcount the whole strategy is simulated on the same
replications (common random numbers), so the curve of net recovery against
headcount is smooth enough to read a best headcount and the marginal value of one
more collector. Service level is the share of each day's due work done that day.
Several teams are sized by coordinate search: one team at a time, the others held
at their current best, until nothing changes or the run budget is spent.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from collectsim.engine.operations.teams import roster
from collectsim.errors import CollectsimError
from collectsim.experiments.executors import Executor
from collectsim.experiments.policies import PolicyRef
from collectsim.experiments.runner import Job, Progress, replication_seeds, run_jobs
from collectsim.experiments.stats import mean_ci
from collectsim.queueing import ErlangReport, erlang_report
from collectsim.scenario import Scenario, with_overrides
from collectsim.scenario.schema import WEEKDAYS

STAFF_KPIS = (
    "recovery_rate",
    "net_recovery",
    "npv",
    "total_cost",
    "service_level",
    "backlog_mean",
    "utilisation",
    "inbound_service_level",
)


@dataclass(frozen=True)
class StaffingResult:
    """One team's staffing curve: runs, per-headcount summary, and the headcounts worth knowing."""

    team: str
    table: pd.DataFrame
    summary: pd.DataFrame
    best_net: int
    smallest_meeting: int | None
    target_service: float | None

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


def team_kpi(team: str, kpi: str) -> str:
    return kpi if kpi in ("recovery_rate", "net_recovery", "npv", "total_cost") else f"team.{team}.{kpi}"


def size_staff(
    scenario: Scenario,
    team: str,
    headcounts: Sequence[int],
    n: int,
    *,
    seed: int,
    executor: Executor | None = None,
    progress: Progress | None = None,
    target_service: float | None = None,
    weekly: bool = False,
    policy: PolicyRef | None = None,
) -> StaffingResult:
    """Simulate every headcount of ``team`` on the same ``n`` replications (``policy``: instead of the ladder)."""
    if team not in scenario.teams:
        raise CollectsimError(f"--team: '{team}' is not a team; defined: {', '.join(scenario.teams)}")
    headcounts = sorted(set(int(h) for h in headcounts))
    if not headcounts or headcounts[0] < 0:
        raise CollectsimError(f"--headcount: {headcounts} must be non-negative integers")
    seeds = replication_seeds(seed, n)
    extra = {"weekly_team": team} if weekly else {}
    jobs = [
        Job(
            with_overrides(scenario, {f"teams.{team}.headcount": h}),
            s,
            {"headcount": h, "replication": r},
            extra=extra,
            policy=policy,
        )
        for h in headcounts
        for r, s in enumerate(seeds)
    ]
    table = pd.DataFrame(run_jobs(jobs, executor, progress=progress))
    return _result(team, table, target_service)


def _result(team: str, table: pd.DataFrame, target: float | None) -> StaffingResult:
    rows = []
    for h, sub in table.groupby("headcount", sort=True):
        row = {"headcount": int(h), "n": len(sub)}
        for kpi in STAFF_KPIS:
            col = team_kpi(team, kpi)
            if col in sub:
                row[kpi], row[f"{kpi}_half_width"] = mean_ci(sub[col].to_numpy())
        rows.append(row)
    summary = pd.DataFrame(rows)
    summary["marginal_net_per_agent"] = summary["net_recovery"].diff() / summary["headcount"].diff()
    if "npv" in summary:
        # The lifetime view: one more agent's effect on NPV (cash discounted, value after the horizon included),
        # with the interval of its paired differences: each headcount ran on the same replication seeds.
        summary["marginal_npv_per_agent"] = summary["npv"].diff() / summary["headcount"].diff()
        summary["marginal_npv_per_agent_half_width"] = _paired_marginal_half_width(table, "npv")
    best = int(summary.loc[summary["net_recovery"].idxmax(), "headcount"])
    meeting = None
    if target is not None:
        ok = summary[summary["service_level"] >= target]
        meeting = int(ok["headcount"].min()) if len(ok) else None
    return StaffingResult(team, table, summary, best, meeting, target)


def _paired_marginal_half_width(table: pd.DataFrame, kpi: str) -> list[float]:
    """Per headcount (after the first), the interval half-width of (KPI(h) − KPI(previous h)) ÷ Δh over
    replications; NaN where fewer than two replications pair up."""
    wide = table.pivot_table(index="replication", columns="headcount", values=kpi, aggfunc="first").sort_index(axis=1)
    heads = list(wide.columns)
    out = [math.nan]
    for lo, hi in itertools.pairwise(heads):
        out.append(mean_ci(((wide[hi] - wide[lo]) / (hi - lo)).to_numpy())[1])
    return out


def size_teams(
    scenario: Scenario,
    ranges: Mapping[str, Sequence[int]],
    n: int,
    *,
    seed: int,
    executor: Executor | None = None,
    progress: Progress | None = None,
    target_service: float | None = None,
    max_runs: int = 2000,
    policy: PolicyRef | None = None,
) -> tuple[dict[str, int], dict[str, StaffingResult]]:
    """Coordinate search over several teams for the headcounts that maximise net recovery.

    Returns the chosen headcount per team and each team's last staffing curve. Stops
    when a full pass changes nothing or the next curve would exceed ``max_runs``.
    """
    current = {t: scenario.teams[t].headcount if t in scenario.teams else None for t in ranges}
    missing = [t for t, h in current.items() if h is None]
    if missing:
        raise CollectsimError(f"--team: '{missing[0]}' is not a team; defined: {', '.join(scenario.teams)}")
    curves: dict[str, StaffingResult] = {}
    runs = 0
    changed = True
    while changed:
        changed = False
        for team, levels in ranges.items():
            cost = len(set(levels)) * n
            if runs + cost > max_runs:
                return current, curves
            others = {f"teams.{t}.headcount": h for t, h in current.items() if t != team}
            curve = size_staff(
                with_overrides(scenario, others),
                team,
                levels,
                n,
                seed=seed,
                executor=executor,
                progress=progress,
                target_service=target_service,
                policy=policy,
            )
            runs += cost
            curves[team] = curve
            if curve.best_net != current[team]:
                current[team] = curve.best_net
                changed = len(ranges) > 1
    return current, curves


def weekly_plan(result: StaffingResult, target: float) -> pd.DataFrame:
    """Smallest headcount that holds ``target`` service level in each week (mean over replications)."""
    cols = sorted(c for c in result.table.columns if c.startswith("service_level_week_"))
    if not cols:
        raise CollectsimError("weekly plan needs runs made with weekly=True")
    means = result.table.groupby("headcount")[cols].mean().sort_index()
    rows = []
    for c in cols:
        ok = means.index[means[c].to_numpy() >= target]
        rows.append(
            {
                "week": int(c.rsplit("_", 1)[1]),
                "headcount_needed": int(ok.min()) if len(ok) else np.nan,
                **{f"service_level_at_{h}": float(v) for h, v in means[c].items()},
            }
        )
    return pd.DataFrame(rows)


def inbound_erlang(scenario: Scenario, team: str, table: pd.DataFrame, target: float = 0.8) -> ErlangReport | None:
    """Erlang C's answer for a team's inbound callbacks, from the simulated arrival rate and handle time.

    Calls per hour = mean simulated calls ÷ (the team's working days in the horizon × its mean shift
    length); handle time = talk + wrap-up. None when the team took no inbound calls. Outbound work is
    workload-driven, not a queue (docs/sources.md, Staffing and queues), so it has no Erlang counterpart here.
    """
    col = f"team.{team}.inbound_calls"
    if col not in table or not table[col].mean() > 0:
        return None
    spec = scenario.teams[team]
    posts, paid = roster(spec, scenario.calendar.working_days)
    weekdays = set().union(*(days for _, days in paid))
    start = WEEKDAYS.index(scenario.horizon.start_weekday)
    days = sum(1 for d in range(scenario.horizon.days) if (start + d) % 7 in weekdays)
    shift_h = float(np.mean([(p.end - p.start) * 24 for p in posts])) if posts else spec.shift[1] - spec.shift[0]
    per_hour = table[col].mean() / max(1, days) / shift_h
    aht = spec.handle_minutes.right_party.build().mean + spec.handle_minutes.wrap_up.build().mean
    return erlang_report(per_hour, aht, target, spec.answer_within_s, spec.shrinkage)
