"""Jobs (scenario, seed, labels) run on an executor and gathered into one long table.

A job's rows depend only on the job, and rows are assembled in job order, so the
table is bit-identical whichever executor ran the jobs and in whatever order they
finished. Replication seeds come from one root ``SeedSequence``: replication *r*
gets the same seed for every policy or design point (common random numbers)
unless a separate stream is asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from collectsim import metrics
from collectsim.engine import simulate
from collectsim.experiments.executors import Executor, SequentialExecutor
from collectsim.experiments.policies import PolicyRef, fresh_policy
from collectsim.policy.ladder import LadderPolicy
from collectsim.policy.split import SplitPolicy
from collectsim.scenario.schema import Policy as PolicySpec
from collectsim.scenario.schema import Scenario

Row = dict[str, Any]
Progress = Callable[[int, int], None]


def replication_seeds(seed: int, n: int, *, start: int = 0, stream: int = 0) -> list[int]:
    """Seeds of replications ``start … start+n−1``; the same index always gets the same seed."""
    root = np.random.SeedSequence(seed, spawn_key=(stream,))
    children = root.spawn(start + n)[start:]
    return [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]


@dataclass(frozen=True)
class Job:
    """One simulation: ``labels`` identify it in the table (policy, point, replication …)."""

    scenario: Scenario
    seed: int
    labels: Mapping[str, Any]
    challenger: PolicySpec | None = None
    share: float = 0.0
    extra: Mapping[str, Any] = field(default_factory=dict)
    policy: PolicyRef | None = None  # a research policy instead of the scenario's ladder


def run_job(job: Job) -> list[Row]:
    """Simulate one job; a champion/challenger job yields one row per arm."""
    if job.challenger is None:
        policy = fresh_policy(job.policy) if job.policy is not None else None
        r = simulate(job.scenario, job.seed, policy=policy)
        row = {**job.labels, "seed": job.seed, **r.kpis}
        if "weekly_team" in job.extra:
            row |= metrics.weekly_service(r.daily, job.extra["weekly_team"])
        return [row]
    split = SplitPolicy(LadderPolicy(), LadderPolicy(job.challenger), job.share)
    r = simulate(job.scenario, job.seed, policy=split)
    return arm_rows(r.accounts, split.arms(), r.teams["cost"].sum(), job)


def arm_rows(accounts, arms: np.ndarray, team_cost: float, job: Job) -> list[Row]:
    """KPIs per arm; team cost is shared in proportion to the team minutes each arm used."""
    rows = []
    minutes = float(accounts["team_minutes"].sum())
    for arm in ("champion", "challenger"):
        mask = arms == arm
        sub = accounts[mask]
        share = float(sub["team_minutes"].sum()) / minutes if minutes else float(mask.mean())
        cost = float(sub["direct_cost"].sum()) + team_cost * share
        kpis = metrics.portfolio_kpis(sub, job.scenario.horizon.days, cost)
        rows.append({**job.labels, "arm": arm, "seed": job.seed, **kpis})
    return rows


def run_jobs(
    jobs: Sequence[Job],
    executor: Executor | None = None,
    *,
    progress: Progress | None = None,
    on_rows: Callable[[int, list[Row]], None] | None = None,
) -> list[Row]:
    """Run every job; ``on_rows(job index, rows)`` is called as each finishes (for journaling)."""
    executor = executor or SequentialExecutor()
    out: list[list[Row] | None] = [None] * len(jobs)
    for done, (idx, rows) in enumerate(executor.map_unordered(run_job, jobs), start=1):
        out[idx] = rows
        if on_rows is not None:
            on_rows(idx, rows)
        if progress is not None:
            progress(done, len(jobs))
    return [row for rows in out for row in rows or []]
