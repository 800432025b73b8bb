"""Figures of an optimisation: history with best so far, parameter importances, Pareto front, confirmed gains.

Each takes the tables ``collectsim optimise`` writes (``trials.csv``, ``importances.csv``,
``gains.csv``) and returns a new ``Figure``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from collectsim.plots._style import (
    BLUE,
    GREY,
    ORANGE,
    RED,
    _figure,
    _formatter,
    _kpi_axis_label,
    _pretty,
    _require,
)


def optimisation_history(
    trials: pd.DataFrame, kpi: str, sign: int, champion: float, full: int, currency: str
) -> Figure:
    """Every trial's value in trial order (racing stage shown), the best so far, and the champion's level.

    ``sign`` is +1 when ``kpi`` is maximised; "best so far" counts only feasible trials with ``full``
    replications, the ones that may be named best.
    """
    _require(trials, ["trial", "state", "replications", "feasible", kpi], "optimisation_history")
    done = trials[trials["state"] == "COMPLETE"].sort_values("trial")
    fig = _figure()
    ax = fig.add_subplot()
    short = done[done["replications"] < full]
    long = done[done["replications"] >= full]
    ax.scatter(short["trial"], short[kpi], s=16, color=GREY, label="stage 1 only (few replications)")
    ok = long[long["feasible"]]
    ax.scatter(ok["trial"], ok[kpi], s=22, color=BLUE, label="full replications", gid="history:full")
    bad = long[~long["feasible"]]
    if len(bad):
        ax.scatter(bad["trial"], bad[kpi], s=22, marker="x", color=RED, label="breaks a constraint")
    if len(ok):
        best = (sign * ok[kpi]).cummax() * sign
        x = np.r_[ok["trial"].to_numpy(), done["trial"].max()]
        ax.step(x, np.r_[best.to_numpy(), best.iloc[-1]], where="post", color=ORANGE, lw=2, label="best so far")
    ax.axhline(champion, color="0.2", ls="--", lw=1, label="champion (same seeds)")
    ax.yaxis.set_major_formatter(_formatter(kpi))
    ax.set_xlabel("Trial")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # trials are counted: no tick at 2.5
    ax.set_ylabel(_kpi_axis_label(kpi, currency))
    ax.set_title(f"Optimisation history: {_pretty(kpi)} ({'higher' if sign > 0 else 'lower'} is better)")
    ax.legend(fontsize=8, loc="best")
    ax.grid(alpha=0.3)
    return fig


def _param_labels(paths: list[str]) -> list[str]:
    """Searched fields named so each is unambiguous: 'stages[1].actions[4].score_max' (the ladder's name only
    when the space spans several), 'late_callers.headcount'; two last parts alone ('4.score_max') said nothing."""
    ladders = {p.split(".")[2] for p in paths if p.startswith("policy.ladders.")}  # a searched field is below one
    out = []
    for path in paths:
        parts = path.split(".")
        if path.startswith("policy.ladders."):
            parts = parts[2:] if len(ladders) > 1 else parts[3:]
        elif parts[0] in ("teams", "channels"):
            parts = parts[1:]
        text = ".".join(parts)
        out.append(re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", text))
    return out


def parameter_importances(importances: pd.DataFrame) -> Figure:
    """Importance of each free parameter for each objective (bars sum to 1 per objective)."""
    _require(importances, ["objective", "parameter", "importance"], "parameter_importances")
    objectives = list(dict.fromkeys(importances["objective"]))
    params = list(dict.fromkeys(importances.sort_values("importance", ascending=False)["parameter"]))
    fig = _figure((max(8.0, 4.0 * len(objectives)), max(4.0, 0.45 * len(params) + 1.8)))
    axes = fig.subplots(1, len(objectives), squeeze=False, sharey=True)[0]
    y = np.arange(len(params))
    for ax, obj in zip(axes, objectives, strict=True):
        sub = importances[importances["objective"] == obj].set_index("parameter").reindex(params)["importance"]
        ax.barh(y, sub.fillna(0.0), color=BLUE, gid=f"importance:{obj}", label="importance")
        ax.set_yticks(y, _param_labels(params))
        ax.set_ylabel("Parameter")
        ax.set_ylim(len(params) - 0.5, -0.5)
        ax.set_xlabel("importance (share)")
        ax.set_title(_pretty(obj))
        ax.grid(axis="x", alpha=0.3)
    axes[0].legend(fontsize=8, loc="lower right")
    fig.suptitle("Which parameters matter for reaching the best trials")
    return fig


def pareto_front(
    trials: pd.DataFrame,
    kpis: Sequence[str],
    signs: Sequence[int],
    front: Sequence[int],
    champion: Sequence[float],
    currency: str,
) -> Figure:
    """Two objectives against each other: every trial, the Pareto front joined up, the champion starred."""
    x, y = kpis[:2]
    _require(trials, ["trial", "state", x, y], "pareto_front")
    done = trials[trials["state"] == "COMPLETE"]
    on = done[done["trial"].isin(list(front))].sort_values(x)
    fig = _figure()
    ax = fig.add_subplot()
    ax.scatter(done[x], done[y], s=14, color=GREY, label="trials")
    ax.plot(on[x], on[y], "o-", color=BLUE, label="Pareto front (full replications)", gid="pareto:front")
    ax.scatter(
        [champion[0]], [champion[1]], marker="*", s=220, color=ORANGE, edgecolor="0.2", zorder=5, label="champion"
    )
    ax.xaxis.set_major_formatter(_formatter(x))
    ax.yaxis.set_major_formatter(_formatter(y))
    ax.set_xlabel(_kpi_axis_label(x, currency) + (" →" if signs[0] > 0 else " ←"))
    ax.set_ylabel(_kpi_axis_label(y, currency) + (" ↑" if signs[1] > 0 else " ↓"))
    ax.set_title("Pareto front: no trial on it can gain on one objective without losing on the other")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def confirmed_gains(gains: pd.DataFrame) -> Figure:
    """Relative gain over the champion per KPI: found in search beside confirmed on fresh seeds (95% interval)."""
    _require(
        gains,
        ["candidate", "kpi", "search_gain_pct", "confirmed_gain_pct", "confirmed_half_width", "confirmed_champion"],
        "confirmed_gains",
    )
    rows = gains.reset_index(drop=True)
    labels = [f"{r.candidate} · {_pretty(r.kpi)}" for r in rows.itertuples(index=False)]
    y = np.arange(len(rows))
    half = (rows["confirmed_half_width"] / rows["confirmed_champion"].abs()).to_numpy(dtype=float)
    fig = _figure((8.0, max(3.0, 0.55 * len(rows) + 1.6)))
    ax = fig.add_subplot()
    ax.scatter(
        rows["search_gain_pct"],
        y - 0.12,
        marker="o",
        facecolor="none",
        edgecolor=GREY,
        s=60,
        label="in search (the same seeds that chose it)",
    )
    ax.errorbar(
        rows["confirmed_gain_pct"],
        y + 0.12,
        xerr=np.where(np.isfinite(half), half, 0.0),
        fmt="o",
        color=BLUE,
        capsize=4,
        label="confirmed on fresh seeds, 95% interval",
        gid="gains:confirmed",
    )
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_yticks(y, labels)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.xaxis.set_major_formatter(_formatter("rate"))
    ax.set_xlabel("gain over the champion (% of the champion's value)")
    ax.set_ylabel("candidate · KPI")
    ax.set_title("Winner's curse check: the gain found in search against the confirmed gain")
    fig.legend(loc="outside lower center", ncols=2, fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return fig
