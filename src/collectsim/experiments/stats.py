"""Confidence intervals over replications and paired differences between policies.

Replications are independent, so a KPI's mean has a Student-t interval. Under common
random numbers the same replication index gives both policies the same borrowers and
luck, so the *paired* differences have a t interval of their own, usually far
narrower than the difference of two independent intervals.
"""

from __future__ import annotations

import math
from fnmatch import fnmatch

import numpy as np
from scipy.special import stdtr, stdtrit  # Student t cdf and ppf, without scipy.stats' 0.6 s import

# +1: higher is better; -1: lower is better. KPIs not listed are neutral, among them on purpose the counts
# of activity (contacts_per_account, promises_made/kept/broken, legal_filed, agency_placements): a policy
# raises them by working harder, not by collecting better; their outcomes (promise_kept_rate,
# legal_collected, ...) have a direction.
DIRECTIONS: tuple[tuple[str, int], ...] = (
    ("recovery_rate", 1),
    ("recovery_rate_with_sale", 1),
    ("recovery_rate_with_terminal", 1),
    ("sale_proceeds", 1),
    ("sale_price_realised", 1),
    ("collected", 1),
    ("net_recovery", 1),
    ("net_recovery_per_account", 1),
    ("net_value", 1),
    ("npv*", 1),
    ("terminal_costs", -1),
    ("ecl_*", -1),
    ("allowance*", -1),
    ("coverage_at_horizon", -1),
    ("coverage_cecl_at_horizon", -1),
    ("redefault_monthly_observed", -1),
    ("pd_12m_observed", -1),
    ("lgd_observed", -1),
    ("terminal_*", 1),
    ("cure_rate_*", 1),
    ("promise_kept_rate", 1),
    ("agency_collected", 1),
    ("legal_collected", 1),
    ("recovered_*", 1),
    ("total_cost", -1),
    ("cost_*", -1),
    ("write_off*", -1),
    ("written_off", -1),
    ("roll_rate_*", -1),
    ("statement_roll_rate_*", -1),
    ("sustained_cure_share", 1),
    ("redefault_rate", -1),
    ("mean_days_to_resolution", -1),
    ("outstanding", -1),
    ("legal_fees", -1),
    ("agency_commission", -1),
    ("complaints*", -1),
    ("violations*", -1),
    ("team.*.dropped", -1),
    ("team.*.backlog*", -1),
)


def direction(kpi: str) -> int:
    return next((d for pattern, d in DIRECTIONS if fnmatch(kpi, pattern)), 0)


def mean_ci(x: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Mean and half-width of its Student-t interval (half-width NaN with fewer than 2 values)."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return float("nan"), float("nan")
    if x.size < 2:
        return float(x.mean()), float("nan")
    se = x.std(ddof=1) / math.sqrt(x.size)
    return float(x.mean()), float(stdtrit(x.size - 1, 0.5 + level / 2) * se)


def paired_difference(challenger: np.ndarray, champion: np.ndarray, kpi: str, level: float = 0.95) -> dict:
    """Mean of (challenger − champion), its interval, and P(challenger better) under the t model.

    For a neutral KPI "better" means larger. With zero spread the probability is 1, 0 or ½.
    """
    d = np.asarray(challenger, dtype=float) - np.asarray(champion, dtype=float)
    d = d[~np.isnan(d)]
    mean, half = mean_ci(d, level)
    sign = direction(kpi) or 1
    if d.size < 2:
        p = float("nan")
    else:
        se = d.std(ddof=1) / math.sqrt(d.size)
        p = (
            float(stdtr(d.size - 1, sign * mean / se))
            if se > 0
            else (1.0 if sign * mean > 0 else 0.0 if sign * mean < 0 else 0.5)
        )
    return {"diff": mean, "diff_half_width": half, "p_better": p, "n_pairs": int(d.size)}


def variance_reduction(challenger: np.ndarray, champion: np.ndarray) -> float:
    """(Var A + Var B) / Var(A − B): how much pairing shrinks the variance of the difference.

    The numerator is what the difference's variance would be under independent streams.
    """
    a, b = np.asarray(challenger, dtype=float), np.asarray(champion, dtype=float)
    if a.size < 2:
        return float("nan")
    var_d = float(np.var(a - b, ddof=1))
    indep = float(np.var(a, ddof=1) + np.var(b, ddof=1))
    if var_d == 0:
        return float("inf") if indep > 0 else float("nan")
    return indep / var_d
