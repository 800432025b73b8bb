"""Figures of a calibration: targets beside the fitted model; account histories beside the fitted intensity."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from collectsim.plots._style import (
    BLUE,
    GREEN,
    GREY,
    RED,
    _figure,
    _formatter,
    _kpi_axis_label,
    _percent,
    _pretty,
    _require,
)

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


def history_curves(curves: pd.DataFrame, holdout: pd.DataFrame | None = None) -> Figure:
    """Per segment, observed vs fitted first-payment curve (left) and liquidation curve (right).

    ``curves`` is ``HistoryFit.curves`` (segment, day, first_payment_observed/_fitted,
    liquidation_observed/_fitted). The fitted lines are the model's compensator along the
    observed histories. With ``holdout`` (the back-test table) its title says predicted vs observed.
    """
    need = [
        "segment",
        "day",
        "first_payment_observed",
        "first_payment_fitted",
        "liquidation_observed",
        "liquidation_fitted",
    ]
    _require(curves, need, "history_curves")
    segments = list(dict.fromkeys(curves["segment"]))
    if not segments:
        raise ValueError("history_curves needs at least one segment")
    fig = _figure((11.0, 3.2 * len(segments) + 0.9))
    axes = fig.subplots(len(segments), 2, squeeze=False)
    for row, seg in zip(axes, segments, strict=True):
        sub = curves[curves["segment"] == seg]
        for ax, what, title, ylabel in (
            (row[0], "first_payment", "first payment", "accounts that have paid"),
            (row[1], "liquidation", "liquidation", "opening balance collected"),
        ):
            ax.plot(sub["day"], sub[f"{what}_observed"], color=BLUE, lw=2, label="observed", gid=f"{what}:{seg}:obs")
            ax.plot(
                sub["day"],
                sub[f"{what}_fitted"],
                color=RED,
                lw=1.6,
                ls="--",
                label="fitted model",
                gid=f"{what}:{seg}:fit",
            )
            ax.set_title(f"{seg}: {title}", fontsize=9)
            ax.yaxis.set_major_formatter(_percent())
            ax.set_ylim(bottom=0)
            ax.set_xlabel("days since entry", fontsize=8)
            ax.set_ylabel(ylabel, fontsize=8)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8, loc="lower right")
    title = "Account histories: observed vs fitted (compensator along each account's own history)"
    if holdout is not None and len(holdout):
        errs = ", ".join(f"{r.segment} {r.error:+.1%}" for r in holdout.itertuples())
        title += f"\nhold-out error (predicted − observed liquidation): {errs}"
    fig.suptitle(title, fontsize=10)
    return fig


def holdout_backtest(holdout: pd.DataFrame) -> Figure:
    """Hold-out back-test: per segment, the observed share collected beside the prediction and its 95% interval."""
    _require(holdout, ["segment", "observed", "predicted", "predicted_low", "predicted_high"], "holdout_backtest")
    fig = _figure((max(5.0, 1.8 * len(holdout) + 2), 4.0))
    ax = fig.add_subplot()
    x = np.arange(len(holdout))
    ax.errorbar(
        x + 0.1,
        holdout["predicted"],
        yerr=[holdout["predicted"] - holdout["predicted_low"], holdout["predicted_high"] - holdout["predicted"]],
        fmt="o",
        color=RED,
        capsize=4,
        label="predicted, 95% interval",
        gid="holdout:predicted",
    )
    ax.plot(x - 0.1, holdout["observed"], "D", color=BLUE, label="observed", gid="holdout:observed")
    ax.set_xticks(x, list(holdout["segment"]))
    ax.set_xlabel("segment", fontsize=8)
    ax.set_xlim(-0.6, len(holdout) - 0.4)
    ax.yaxis.set_major_formatter(_percent())
    ax.set_ylabel("share of the balance at the cut collected in the hold-out", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Hold-out back-test", fontsize=10)
    return fig
