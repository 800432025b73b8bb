"""Figures of a calibration: each target beside the fitted model, with tolerance and interval."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from collectsim.plots._style import BLUE, GREEN, GREY, RED, _figure, _formatter, _kpi_axis_label, _pretty, _require

MAX_COLUMNS = 4


def calibration_fit(table: pd.DataFrame) -> Figure:
    """One panel per target KPI: the target with its tolerance band, the model mean with its 95% interval.

    ``table`` is ``TargetFit.table`` (columns kpi, target, tolerance, model, half_width,
    within_tolerance). The model point is green when within tolerance, red otherwise.
    """
    _require(table, ["kpi", "target", "tolerance", "model", "half_width", "within_tolerance"], "calibration_fit")
    if len(table) == 0:
        raise ValueError("calibration_fit needs at least one target")
    k = len(table)
    ncols = min(MAX_COLUMNS, k)
    nrows = math.ceil(k / ncols)
    fig = _figure((max(6.0, 2.6 * ncols), 3.4 * nrows + 0.8))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax, row in zip(axes, table.itertuples(index=False), strict=False):
        kpi, target, tol = str(row.kpi), float(row.target), float(row.tolerance)
        model, half, ok = float(row.model), float(row.half_width), bool(row.within_tolerance)
        ax.axhspan(target - tol, target + tol, color=GREY, alpha=0.18, lw=0, label="target ± tolerance")
        ax.plot([0], [target], "D", color=BLUE, ms=7, label="target", gid=f"target:{kpi}")
        ax.errorbar(
            [1],
            [model],
            yerr=[[half], [half]] if math.isfinite(half) else None,
            fmt="o",
            color=GREEN if ok else RED,
            capsize=4,
            ms=7,
            label="model mean, 95% interval",
            gid=f"model:{kpi}",
        )
        ax.set_xticks([0, 1], ["target", "model"])
        ax.set_xlim(-0.6, 1.6)
        lo = min(target - tol, model - (half if math.isfinite(half) else 0.0))
        hi = max(target + tol, model + (half if math.isfinite(half) else 0.0))
        pad = 0.15 * (hi - lo) or abs(target) * 0.05 or 1.0
        ax.set_ylim(lo - pad, hi + pad)
        ax.yaxis.set_major_formatter(_formatter(kpi))
        ax.set_ylabel(_kpi_axis_label(kpi), fontsize=8)
        ax.set_xlabel("portfolio target, fitted model", fontsize=8)
        verdict = "within tolerance" if ok else f"off by {abs(model - target) / tol:.1f} tolerances"
        ax.set_title(f"{_pretty(kpi)}\n{verdict}", fontsize=9, color="black" if ok else RED)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[k:]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(handles), fontsize=8)
    within = int(table["within_tolerance"].sum())
    fig.suptitle(f"Calibration: {within} of {k} target{'s' * (k > 1)} within tolerance")
    return fig
