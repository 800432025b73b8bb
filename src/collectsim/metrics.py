"""KPI definitions, computed from the per-account table so any saved run can be re-measured.

Buckets are 30 DPD wide (1–30, 31–60, …). An account counts towards a DPD-k
figure only if the horizon lets it be observed at DPD k (no censoring bias).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BUCKET_DAYS = 30
CURE_DPDS = (30, 60, 90)
ROLL_BUCKETS = 5
RESOLVED_AS_CURE = ("cured", "settled")


def _safe(num: float, den: float) -> float:
    return float(num / den) if den else float("nan")


def observed_to_dpd(acc: pd.DataFrame, horizon: int) -> np.ndarray:
    """The highest DPD at which each account is still inside the simulated horizon."""
    return acc["entry_dpd"].to_numpy() + (horizon - 1 - acc["entry_day"].to_numpy())


def _open_at(acc: pd.DataFrame, dpd: int) -> np.ndarray:
    res = acc["resolution_dpd"].to_numpy(dtype=float)
    return (acc["entry_dpd"].to_numpy() <= dpd) & (np.isnan(res) | (res >= dpd))


def cure_rate(acc: pd.DataFrame, dpd: int, horizon: int) -> float:
    """Share of accounts delinquent at or before ``dpd`` that were paid or settled by ``dpd``."""
    seen = (acc["entry_dpd"].to_numpy() <= dpd) & (observed_to_dpd(acc, horizon) >= dpd)
    res = acc["resolution_dpd"].to_numpy(dtype=float)
    cured = acc["status"].isin(RESOLVED_AS_CURE).to_numpy() & (res <= dpd)
    return _safe(float((cured & seen).sum()), float(seen.sum()))


def roll_rates(acc: pd.DataFrame, horizon: int) -> dict[str, float]:
    """P(still open at the start of bucket b+1 | open at the start of bucket b)."""
    out = {}
    seen_to = observed_to_dpd(acc, horizon)
    for b in range(1, ROLL_BUCKETS + 1):
        start, nxt = BUCKET_DAYS * (b - 1) + 1, BUCKET_DAYS * b + 1
        base = _open_at(acc, start) & (seen_to >= nxt)
        rolled = base & _open_at(acc, nxt)
        out[f"roll_rate_b{b}_b{b + 1}"] = _safe(float(rolled.sum()), float(base.sum()))
    return out


def portfolio_kpis(acc: pd.DataFrame, horizon: int, total_cost: float) -> dict[str, float]:
    n = len(acc)
    opening = float(acc["opening_balance"].sum())
    collected = float(acc["paid"].sum())
    status = acc["status"]
    resolved = acc["resolution_day"] >= 0
    kpis = {
        "accounts": float(n),
        "opening_balance": opening,
        "collected": collected,
        "recovery_rate": _safe(collected, opening),
        "discount": float(acc["discount"].sum()),
        "written_off": float(acc["written_off"].sum()),
        "outstanding": float(acc["outstanding"].sum()),
        "write_off_rate": _safe(float(acc["written_off"].sum()), opening),
        "write_off_account_rate": _safe(float((status == "written_off").sum()), n),
        "total_cost": total_cost,
        "net_recovery": collected - total_cost,
        "cost_per_unit_collected": _safe(total_cost, collected),
        "collected_per_account": _safe(collected, n),
        "cost_per_account": _safe(total_cost, n),
        "net_recovery_per_account": _safe(collected - total_cost, n),
    }
    for d in CURE_DPDS:
        kpis[f"cure_rate_dpd{d}"] = cure_rate(acc, d, horizon)
    kpis.update(roll_rates(acc, horizon))
    days = (acc["resolution_day"] - acc["entry_day"])[resolved]
    kpis["mean_days_to_resolution"] = float(days.mean()) if len(days) else float("nan")
    kpis["attempts_per_account"] = _safe(float(acc["attempts"].sum()), n)
    kpis["contacts_per_account"] = _safe(float(acc["contacts"].sum()), n)
    kpis["rpc_per_account"] = _safe(float(acc["rpcs"].sum()), n)
    kpis["promises_made"] = float(acc["promises"].sum())
    kpis["promises_kept"] = float(acc["promises_kept"].sum())
    kpis["promise_kept_rate"] = _safe(kpis["promises_kept"], kpis["promises_made"])
    return kpis


LIQUIDATION_STEP = 10


def liquidation_points(collected_cum: np.ndarray, opening: float) -> dict[str, float]:
    """Cumulative share of the opening balance collected by the end of day 10, 20, …

    For a cohort entering at DPD 1 this is the liquidation curve by days past due;
    carried as KPIs so every replication and sweep point keeps its curve.
    """
    days = np.arange(LIQUIDATION_STEP, collected_cum.size + 1, LIQUIDATION_STEP)
    return {f"liquidation_d{d:03d}": _safe(float(collected_cum[d - 1]), opening) for d in days}
