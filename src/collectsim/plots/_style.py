"""Shared look of every figure: size, palette, number formats, KPI names (private to plots)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from collectsim.experiments.stats import mean_ci
from collectsim.metrics import BUCKET_DAYS

FIGSIZE = (9.0, 5.0)
PALETTE: tuple[tuple[float, float, float], ...] = tuple(matplotlib.colormaps["tab10"].colors)
BLUE, ORANGE, GREEN, RED, PURPLE, BROWN, PINK, GREY, OLIVE, CYAN = PALETTE[:10]
LIGHT_GREEN: tuple[float, float, float] = tuple(matplotlib.colormaps["tab20"].colors[5])  # beside GREEN: also paid
ROLL_BUCKETS = 6
ROLL_OUTCOMES = (
    "cured or\nsettled",
    "written\noff",
    "rolled to\nnext bucket",
    f"still open\nafter DPD {ROLL_BUCKETS * BUCKET_DAYS}",
)
HEADLINE_KPIS = (
    "recovery_rate",
    "recovery_rate_with_terminal",
    "collected",
    "net_recovery",
    "npv",
    "total_cost",
    "cost_per_unit_collected",
    "write_off_rate",
    "cure_rate_dpd30",
    "cure_rate_dpd90",
    "roll_rate_30_60",
    "mean_days_to_resolution",
    "contacts_per_account",
    "promise_kept_rate",
    "complaints_per_1000",  # conduct weighs in the choice as much as cash
)
_MONEY_KPIS = {
    "opening_balance",
    "collected",
    "discount",
    "written_off",
    "recovered_after_write_off",
    "debt_sold",
    "sale_proceeds",
    "outstanding",
    "total_cost",
    "net_recovery",
    "legal_fees",
    "legal_collected",
    "agency_collected",
    "agency_commission",
    "recovery_stage_balance",
    "recovery_stage_collected",
    "recovery_stage_cost",
    "collected_per_account",
    "cost_per_account",
    "net_recovery_per_account",
    "terminal_collections",
    "terminal_costs",
    "terminal_value",
    "net_value",
    "npv",
    "npv_per_account",
}
_RATE_MARKERS = ("rate", "share_", "liquidation_d", "service_level", "utilisation", "per_unit_collected", "p_wait")
_LIQUIDATION = re.compile(r"^liquidation_d(\d+)$")


# ---------------------------------------------------------------------------------------------
# helpers


def _figure(figsize: tuple[float, float] = FIGSIZE) -> Figure:
    """A fresh figure with its own Agg canvas (no pyplot), laid out by the constrained engine."""
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _thousands() -> FuncFormatter:
    """Tick labels with thousands separators (a new instance per axis: formatters bind to one axis)."""
    return FuncFormatter(lambda x, _pos: f"{x:,.0f}")


def _percent() -> PercentFormatter:
    """Fractions shown as percentages, decimals chosen from the axis range."""
    return PercentFormatter(xmax=1.0)


def _kind(kpi: str) -> str:
    """'pct' for rates and shares, 'money' for amounts, 'count' for everything else."""
    if kpi in _MONEY_KPIS or (kpi.startswith("cost_") and not kpi.endswith("per_unit_collected")):
        return "money"
    if any(m in kpi for m in _RATE_MARKERS):
        return "pct"
    return "count"


def _pretty(kpi: str) -> str:
    return kpi.removeprefix("team.").replace(".", " · ").replace("_", " ")


def _kpi_axis_label(kpi: str, currency: str | None = None) -> str:
    unit = {"pct": "%", "money": currency or "currency units"}.get(_kind(kpi))
    return f"{_pretty(kpi)} ({unit})" if unit else _pretty(kpi)


def _formatter(kpi: str) -> FuncFormatter | PercentFormatter:
    if _kind(kpi) == "pct":
        return _percent()
    if _kind(kpi) == "money":
        return _thousands()
    return FuncFormatter(lambda x, _pos: f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}")


def _short_param(path: str) -> str:
    """'teams.late_callers.headcount' -> 'late_callers.headcount'."""
    return ".".join(str(path).split(".")[-2:])


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} needs columns {missing}; got {list(df.columns)}")


def _mean_half(values: np.ndarray) -> tuple[float, float]:
    """Mean and 95% Student-t half-width (NaN with fewer than two values)."""
    return mean_ci(np.asarray(values, dtype=float), 0.95)


def _bar_labels(ax: Axes, bars, texts: Sequence[str], **kw) -> None:
    ax.bar_label(bars, labels=list(texts), padding=2, fontsize=8, **kw)


# ---------------------------------------------------------------------------------------------
# single runs and replications
