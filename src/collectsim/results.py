"""Result types returned by the engine: tidy tables, one row per thing.

``RunResult`` columns (``accounts``): account, segment, reason, entry_day,
entry_dpd, opening_balance, score, paid, discount, written_off,
recovered_after_write_off, sold, sale_proceeds, sale_day, outstanding, status, resolution_day, resolution_dpd,
first_payment_day, payments, attempts, contacts, rpcs, ever_called, intense_calls_week,
intense_any_week, promises, promises_kept, promises_broken, promises_cancelled,
legal_stage, ever_placed, direct_cost,
and the latent traits (self_cure_label, lambda_inf, willingness, ability,
contactability) that a policy never sees but an analyst may.

A day that has not happened (no payment yet, never resolved, never sold, no broken plan) is NA in
a nullable ``Int64`` column, never a sentinel number: ``mean()`` skips it, a CSV leaves it empty
and JSON writes ``null``. The engine keeps its sentinels inside; ``day_or_na`` converts them here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

# Columns of the accounts table whose missing value is NA ("has not happened"); the engine's own
# arrays hold a negative sentinel there, as do accounts tables saved by earlier versions (-1, -1_000_000).
# With a contractual schedule ([product]) there are also first_cure_day and reached_dpd_<d>_day.
MISSING_DAY_COLUMNS = ("sale_day", "resolution_day", "resolution_dpd", "first_payment_day", "broken_plan_day")
SCHEDULE_DAY_COLUMNS = re.compile(r"^(first_cure_day|reached_dpd_\d+_day)$")


def missing_day_columns(columns) -> list[str]:
    """The columns among ``columns`` that hold a day (or DPD) which may not have happened."""
    return [c for c in columns if c in MISSING_DAY_COLUMNS or SCHEDULE_DAY_COLUMNS.match(str(c))]


def day_or_na(days: np.ndarray, missing: np.ndarray | None = None) -> pd.arrays.IntegerArray:
    """A day (or DPD) column as nullable ``Int64``: NA where ``missing`` is true, else where the day is negative.

    Every day of a run is ≥ 0, so a negative value can only be an engine sentinel (-1, ``NEVER``).
    """
    days = np.asarray(days)
    mask = days < 0 if missing is None else np.asarray(missing, dtype=bool)
    return pd.arrays.IntegerArray(np.where(mask, 0, days).astype(np.int64), mask)


@dataclass(frozen=True)
class RunResult:
    """One simulated run: KPIs, daily series, per-account outcomes, per-team figures, events."""

    kpis: dict[str, float]
    daily: pd.DataFrame
    accounts: pd.DataFrame
    teams: pd.DataFrame
    costs: pd.DataFrame
    events: pd.DataFrame | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def kpi_frame(self) -> pd.DataFrame:
        """KPIs as a two-column table (kpi, value), in definition order."""
        return pd.DataFrame({"kpi": list(self.kpis), "value": list(self.kpis.values())})


LABEL_COLUMNS = ("policy", "test", "arm", "point", "replication", "seed")
PLAIN_COLUMNS = ("mean", "half_width", "diff", "diff_half_width", "p_better")


def kpi_columns(table: pd.DataFrame, exclude: tuple[str, ...] = ()) -> list[str]:
    """Numeric KPI columns of a long table: everything but labels and design parameters."""
    return [
        c
        for c in table.columns
        if c not in LABEL_COLUMNS and c not in exclude and pd.api.types.is_numeric_dtype(table[c])
    ]


@dataclass(frozen=True)
class ExperimentResult:
    """Many runs as one long table: one row per run (labels, design parameters, seed, every KPI).

    ``parameters`` names the design columns of a sweep; ``sobol`` holds Sobol indices
    when the design was a Saltelli sample.
    """

    table: pd.DataFrame
    group: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()
    sobol: pd.DataFrame | None = None

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Mean and Student-t half-width of every KPI, per group."""
        from collectsim.experiments.stats import mean_ci

        rows = []
        groups = self.table.groupby(list(self.group), sort=False) if self.group else [((), self.table)]
        for key, sub in groups:
            key = key if isinstance(key, tuple) else (key,)
            for kpi in kpi_columns(self.table, self.parameters):
                mean, half = mean_ci(sub[kpi].to_numpy(), level)
                rows.append(
                    {
                        **dict(zip(self.group, key, strict=True)),
                        "kpi": kpi,
                        "mean": mean,
                        "half_width": half,
                        "n": len(sub),
                    }
                )
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class Comparison:
    """Policies run on the same replications; the first is the champion.

    ``table``: one row per (policy, replication). ``in_run``: one row per (test,
    arm, replication) when champion/challenger arms shared one run. With parameter
    uncertainty ``table`` holds the runs with each replication's parameter draw,
    ``plain`` the same seeds with the fit's estimates (simulation noise only) and
    ``draws`` one row per replication with the drawn ``<segment>.<parameter>`` values.
    """

    table: pd.DataFrame
    policies: tuple[str, ...]
    common_random_numbers: bool = True
    in_run: pd.DataFrame | None = None
    plain: pd.DataFrame | None = None
    draws: pd.DataFrame | None = None

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self, kpis: list[str] | None = None, level: float = 0.95) -> pd.DataFrame:
        """Per KPI and policy: mean ± half-width; for challengers the paired difference with the
        champion, its half-width, P(challenger better) and the variance-reduction factor.

        With parameter uncertainty these include it, and ``plain_mean``, ``plain_half_width``,
        ``plain_diff``, ``plain_diff_half_width``, ``plain_p_better`` are the same figures from
        the runs at the estimates (simulation noise only), side by side.
        """
        from collectsim.experiments.stats import mean_ci, paired_difference, variance_reduction

        kpis = kpis or kpi_columns(self.table)
        if self.plain is not None:
            out = Comparison(self.table, self.policies, self.common_random_numbers).summary(kpis, level)
            plain = Comparison(self.plain, self.policies, self.common_random_numbers).summary(kpis, level)
            for col in PLAIN_COLUMNS:
                out[f"plain_{col}"] = plain[col] if col in plain else float("nan")
            return out
        wide = {p: self.table[self.table["policy"] == p].sort_values("replication") for p in self.policies}
        champ = wide[self.policies[0]]
        rows = []
        for kpi in kpis:
            for p in self.policies:
                mean, half = mean_ci(wide[p][kpi].to_numpy(), level)
                row = {"kpi": kpi, "policy": p, "mean": mean, "half_width": half, "n": len(wide[p])}
                if p != self.policies[0]:
                    a, b = wide[p][kpi].to_numpy(), champ[kpi].to_numpy()
                    row |= paired_difference(a, b, kpi, level)
                    row["variance_reduction"] = variance_reduction(a, b)
                rows.append(row)
        return pd.DataFrame(rows)

    def in_run_summary(self, level: float = 0.95) -> pd.DataFrame | None:
        """Per in-run test and size-free KPI (rates, per-account figures): each arm's mean and the
        paired challenger − champion difference over replications."""
        from collectsim.experiments.stats import mean_ci, paired_difference

        if self.in_run is None:
            return None
        kpis = [k for k in kpi_columns(self.in_run) if "rate" in k or "per_account" in k or "per_unit" in k]
        rows = []
        for test, sub in self.in_run.groupby("test", sort=False):
            champ = sub[sub["arm"] == "champion"].sort_values("replication")
            chall = sub[sub["arm"] == "challenger"].sort_values("replication")
            for kpi in kpis:
                m0, h0 = mean_ci(champ[kpi].to_numpy(), level)
                m1, h1 = mean_ci(chall[kpi].to_numpy(), level)
                rows.append(
                    {
                        "test": test,
                        "kpi": kpi,
                        "champion": m0,
                        "champion_half_width": h0,
                        "challenger": m1,
                        "challenger_half_width": h1,
                        **paired_difference(chall[kpi].to_numpy(), champ[kpi].to_numpy(), kpi, level),
                    }
                )
        return pd.DataFrame(rows)
