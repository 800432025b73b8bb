"""Figures of experiments: cost against recovery, paired differences, staffing, sweeps."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from collectsim.experiments.stats import direction
from collectsim.plots._style import (
    BLUE,
    GREEN,
    GREY,
    HEADLINE_KPIS,
    ORANGE,
    PALETTE,
    RED,
    _bar_labels,
    _figure,
    _formatter,
    _kind,
    _kpi_axis_label,
    _percent,
    _pretty,
    _require,
    _short_param,
    _thousands,
)

MAX_LABELLED = 12


def _frontier(cost: np.ndarray, collected: np.ndarray) -> np.ndarray:
    """True where no other point has cost <= and collected >= with at least one strict."""
    keep = np.ones(cost.size, dtype=bool)
    for i in range(cost.size):
        le, ge = cost <= cost[i], collected >= collected[i]
        strict = (cost < cost[i]) | (collected > collected[i])
        keep[i] = not np.any(le & ge & strict)
    return keep


def cost_vs_recovery(points: pd.DataFrame, label: str, currency: str) -> Figure:
    """Total cost against collected, one point per policy or sweep point, efficient frontier connected.

    ``label`` names the column that labels the points (e.g. ``"policy"`` or ``"point"``); with more than
    ``MAX_LABELLED`` points only the frontier and the best net recovery are labelled. The frontier line (and
    its legend entry) appears only when at least two points are undominated.
    """
    _require(points, [label, "total_cost", "collected"], "cost_vs_recovery")
    pts = points.dropna(subset=["total_cost", "collected"]).reset_index(drop=True)
    if len(pts) == 0:
        raise ValueError("cost_vs_recovery needs at least one point with cost and collected")
    cost = pts["total_cost"].to_numpy(dtype=float)
    coll = pts["collected"].to_numpy(dtype=float)
    front = _frontier(cost, coll)
    fig = _figure()
    ax = fig.add_subplot()
    has_err = {"total_cost_half_width", "collected_half_width"} <= set(pts.columns)
    if has_err:
        ax.errorbar(
            cost,
            coll,
            xerr=pts["total_cost_half_width"],
            yerr=pts["collected_half_width"],
            fmt="none",
            ecolor="0.6",
            lw=1,
            label="95% interval",
        )
    if (~front).any():
        ax.scatter(cost[~front], coll[~front], s=45, color=GREY, zorder=3, label="dominated", gid="scatter:dominated")
    ax.scatter(cost[front], coll[front], s=60, color=BLUE, zorder=4, label="not dominated", gid="scatter:frontier")
    order = np.argsort(cost[front], kind="stable")
    if front.sum() > 1:  # one undominated point is no frontier: a legend entry for a line not drawn misleads
        ax.plot(cost[front][order], coll[front][order], color=BLUE, lw=1.8, label="efficient frontier", gid="frontier")
    ax.margins(0.12)
    ax.autoscale_view()
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    best = int(np.argmax(coll - cost))
    best_net = coll[best] - cost[best]
    xs = np.linspace(*xlim, 2)
    ax.plot(xs, xs + best_net, ls="--", color=GREEN, lw=1, label=f"same net recovery as the best ({best_net:,.0f})")
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    # Every point is named when there are few; among many (a sweep's 96) only the frontier and the best net
    # recovery, since a cloud of overlapping numbers names nothing.
    named = np.ones(len(pts), dtype=bool) if len(pts) <= MAX_LABELLED else front.copy()
    named[best] = True
    for name, x, y, show in zip(pts[label], cost, coll, named, strict=True):
        if show:
            ax.annotate(str(name), (x, y), xytext=(6, 5), textcoords="offset points", fontsize=8)
    ax.xaxis.set_major_formatter(_thousands())
    ax.yaxis.set_major_formatter(_thousands())
    ax.set_title(f"Cost against collections by {label}: up and left is better")
    ax.set_xlabel(f"Total cost ({currency})")
    ax.set_ylabel(f"Collected ({currency})")
    ax.legend(loc="best", fontsize=8)
    ax.grid(alpha=0.3)
    return fig


PANELS = (("money", "Money"), ("pct", "Rates and shares"), ("count", "Activity and time"))


def paired_differences(summary: pd.DataFrame, champion: str, kpis: Sequence[str] | None = None) -> Figure:
    """Each challenger's paired difference from the champion with its 95% interval, as % of the champion's mean.

    One row per KPI, in one panel per kind of KPI (money, rates, activity), each panel on its own scale: a
    KPI that moves +105% (contacts per account) no longer squeezes a 2% change in recovery to a dot.
    Annotated with P(challenger better), or "no better side" for KPIs without a direction.
    ``summary`` is ``Comparison.summary()``; a KPI whose champion mean is 0 is marked n/a. A summary
    with parameter uncertainty (``plain_*`` columns) adds, just below each interval, the one from
    simulation noise only (hollow marker), so the widening is seen at a glance.
    """
    _require(summary, ["kpi", "policy", "mean", "diff", "diff_half_width", "p_better"], "paired_differences")
    policies = list(dict.fromkeys(summary["policy"]))
    if champion not in policies:
        raise ValueError(f"champion {champion!r} is not in the summary; policies: {policies}")
    present = list(dict.fromkeys(summary["kpi"]))
    if kpis is None:
        kpis = [k for k in HEADLINE_KPIS if k in present] or present[:8]
    else:
        missing = [k for k in kpis if k not in present]
        if missing:
            raise ValueError(f"KPIs not in the summary: {missing}")
    challengers = [p for p in policies if p != champion]
    groups = [(title, [k for k in kpis if _kind(k) == kind]) for kind, title in PANELS]
    groups = [(title, ks) for title, ks in groups if ks]
    per_row = 0.3 * max(1, len(challengers))
    rows_total = sum(len(ks) for _, ks in groups)
    fig = _figure((9.0, min(11.0, max(5.0, per_row * rows_total + 1.2 * len(groups) + 1.0))))
    axes = fig.subplots(len(groups), 1, squeeze=False, height_ratios=[len(ks) + 0.8 for _, ks in groups])[:, 0]
    for ax, (title, group) in zip(axes, groups, strict=True):
        _difference_panel(ax, summary, champion, challengers, group)
        ax.set_title(title, fontsize=10, loc="left")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, title="challenger", loc="outside lower center", ncols=min(4, len(handles)), fontsize=8)
    fig.suptitle(f"Challengers against champion '{champion}': paired difference, 95% interval")
    return fig


def _difference_panel(ax, summary: pd.DataFrame, champion: str, challengers: list[str], kpis: list[str]) -> None:
    """One panel of ``paired_differences``: its KPIs' rows on a scale of their own."""
    uncertain = "plain_diff" in summary
    rows = summary.set_index(["kpi", "policy"])
    offsets = np.linspace(-0.25, 0.25, len(challengers)) if len(challengers) > 1 else np.zeros(1)
    lo, hi = 0.0, 0.0
    for j, (name, dy) in enumerate(zip(challengers, offsets, strict=False)):
        color = PALETTE[j % len(PALETTE)]
        for i, kpi in enumerate(kpis):
            base = float(rows.loc[(kpi, champion), "mean"])
            r = rows.loc[(kpi, name)]
            if not base or not math.isfinite(base) or not math.isfinite(float(r["diff"])):
                ax.text(0, i + dy, "n/a (champion mean 0)", ha="center", va="center", fontsize=8, color="0.4")
                continue
            x, h = float(r["diff"]) / abs(base), float(r["diff_half_width"]) / abs(base)
            ax.errorbar(
                x,
                i + dy,
                xerr=h if math.isfinite(h) else None,
                fmt="o",
                color=color,
                capsize=3,
                ms=6,
                label=(f"{name} (with parameter uncertainty)" if uncertain else name) if i == 0 else None,
                gid=f"diff:{kpi}:{name}",
            )
            if uncertain and math.isfinite(float(r["plain_diff"])):
                xp, hp = float(r["plain_diff"]) / abs(base), float(r["plain_diff_half_width"]) / abs(base)
                hp = hp if math.isfinite(hp) else 0.0
                ax.errorbar(
                    xp,
                    i + dy + 0.22 / len(challengers),
                    xerr=hp,
                    fmt="o",
                    mfc="white",
                    color=color,
                    alpha=0.8,
                    capsize=2,
                    ms=5,
                    lw=1,
                    label=f"{name} (simulation noise only)" if i == 0 else None,
                    gid=f"plain:{kpi}:{name}",
                )
                lo, hi = min(lo, xp - hp), max(hi, xp + hp)
            h = h if math.isfinite(h) else 0.0
            lo, hi = min(lo, x - h), max(hi, x + h)
            p = float(r["p_better"])
            if not direction(kpi):
                text = "no better side"
            else:
                text = f"P(better) {p:.0%}" if math.isfinite(p) else "P(better) n/a"
            ax.annotate(text, (x + h, i + dy), xytext=(5, 0), textcoords="offset points", va="center", fontsize=8)
    ax.axvline(0, color="0.2", lw=1)
    word = {1: "higher is better", -1: "lower is better"}
    ax.set_yticks(range(len(kpis)), [f"{_pretty(k)}\n({word.get(direction(k), 'no better side')})" for k in kpis])
    ax.tick_params(axis="y", labelsize=8)
    ax.set_ylim(len(kpis) - 0.5, -0.5)
    span = max(hi - lo, 1e-3)
    ax.set_xlim(lo - 0.08 * span, hi + 0.35 * span)  # room on the right for the P(better) labels
    ax.xaxis.set_major_formatter(_percent())
    ax.set_xlabel("Challenger − champion (% of champion's mean)")
    ax.set_ylabel("KPI")
    ax.grid(axis="x", alpha=0.3)


def staffing_curve(
    summary: pd.DataFrame,
    team: str,
    chosen: int,
    target: float | None,
    currency: str,
    *,
    meeting: int | None = None,
) -> Figure:
    """Net recovery (with 95% interval) and service level against one team's headcount.

    ``summary`` is ``StaffingResult.summary``; ``chosen`` (the best net recovery) is marked with a vertical
    line, ``meeting`` (the smallest headcount meeting the target) with a dotted one, and ``target`` (a
    service level) with a horizontal one: both answers in sight, as the verdict states them.
    """
    _require(summary, ["headcount", "net_recovery"], "staffing_curve")
    s = summary.sort_values("headcount")
    x = s["headcount"].to_numpy(dtype=float)
    net = s["net_recovery"].to_numpy(dtype=float)
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot(x, net, "o-", color=BLUE, lw=2, label="net recovery (mean)", gid="staff:net")
    if "net_recovery_half_width" in s:
        half = s["net_recovery_half_width"].to_numpy(dtype=float)
        if np.isfinite(half).any():
            ax.fill_between(x, net - half, net + half, color=BLUE, alpha=0.15, lw=0, label="net recovery 95% interval")
    ax.axvline(chosen, color="black", ls="--", lw=1.2, label=f"best net recovery: {chosen} agents", gid="staff:chosen")
    if meeting is not None and meeting != chosen:
        ax.axvline(meeting, color=RED, ls=":", lw=1.2, label=f"meets the target: {meeting} agents", gid="staff:meeting")
    fig.suptitle(f"Staffing '{team}': net recovery and service level by headcount")
    ax.set_xlabel(f"Headcount of {team} (agents)")
    ax.set_ylabel(f"Net recovery ({currency})", color=BLUE)
    ax.yaxis.set_major_formatter(_thousands())
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if "service_level" in s and s["service_level"].notna().any():
        twin = ax.twinx()
        sl = s["service_level"].to_numpy(dtype=float)
        twin.plot(x, sl, "s-", color=ORANGE, lw=2, label="service level (mean)", gid="staff:service")
        if "service_level_half_width" in s:
            h = s["service_level_half_width"].to_numpy(dtype=float)
            twin.fill_between(x, sl - h, sl + h, color=ORANGE, alpha=0.15, lw=0)
        if target is not None:
            twin.axhline(target, color=RED, ls=":", lw=1.5, label=f"target service level {target:.0%}", gid="target")
        twin.set_ylim(0, 1.08)
        twin.yaxis.set_major_formatter(_percent())
        twin.set_ylabel("Service level (% of due work done)", color=ORANGE)
        twin.set_xlabel(ax.get_xlabel())
        h2, l2 = twin.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    fig.legend(handles, labels, loc="outside lower center", ncols=min(3, len(handles)), fontsize=8)
    return fig


def sweep_responses(
    table: pd.DataFrame, parameters: Sequence[str], kpis: Sequence[str], currency: str | None = None
) -> Figure:
    """Grid of panels, KPIs in rows and swept parameters in columns: every run, plus the mean per level/point.

    On a full-factorial grid (as many ``point`` values as level combinations) the mean is taken per
    level, marginal over the other parameters, and joined by a line; on a sampled design (Latin
    hypercube, Saltelli) it is the mean per design ``point``, markers only. Without a ``point``
    column, parameters with at most 12 distinct values are averaged per level. Money axes are labelled in
    ``currency`` (the scenario's).
    """
    parameters, kpis = list(parameters), list(kpis)
    if not parameters or not kpis:
        raise ValueError("sweep_responses needs at least one parameter and one KPI")
    _require(table, [*parameters, *kpis], "sweep_responses")
    nr, nc = len(kpis), len(parameters)
    n_points = table["point"].nunique() if "point" in table else None
    factorial = n_points is not None and n_points == math.prod(table[p].nunique() for p in parameters)
    fig = _figure((max(9.0, 3.2 * nc), max(5.0, 2.5 * nr + 0.8)))
    axes = fig.subplots(nr, nc, squeeze=False, sharex="col", sharey="row")
    for c, param in enumerate(parameters):
        raw = table[param]
        numeric = pd.api.types.is_numeric_dtype(raw)
        cats = list(dict.fromkeys(raw)) if not numeric else []
        xs = raw.to_numpy(dtype=float) if numeric else raw.map({v: i for i, v in enumerate(cats)}).to_numpy(float)
        for r, kpi in enumerate(kpis):
            ax = axes[r, c]
            ys = table[kpi].to_numpy(dtype=float)
            ax.scatter(xs, ys, s=14, alpha=0.45, color=GREY, label="one run", gid=f"runs:{kpi}:{param}")
            frame = pd.DataFrame({"x": xs, "y": ys})
            if factorial or (n_points is None and raw.nunique() <= 12):
                means = frame.groupby("x", sort=True)["y"].mean()
                ax.plot(
                    means.index,
                    means.to_numpy(),
                    "o-",
                    color=BLUE,
                    lw=1.8,
                    label="mean per level",
                    gid=f"means:{kpi}:{param}",
                )
            elif "point" in table:
                means = frame.assign(point=table["point"].to_numpy()).groupby("point").mean()
                ax.plot(
                    means["x"], means["y"], "o", color=BLUE, ms=5, label="mean per point", gid=f"means:{kpi}:{param}"
                )
            if not numeric:
                ax.set_xticks(range(len(cats)), [str(v) for v in cats])
            ax.yaxis.set_major_formatter(_formatter(kpi))
            ax.set_xlabel(_short_param(param))
            ax.set_ylabel(_kpi_axis_label(kpi, currency), fontsize=9)
            ax.grid(alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(handles), fontsize=8)
    fig.suptitle(f"Sweep responses: {nr} KPI{'s' * (nr > 1)} × {nc} parameter{'s' * (nc > 1)}, {len(table)} runs")
    return fig


def sobol_bars(sobol: pd.DataFrame) -> Figure:
    """First-order (S1) and total (ST) Sobol' indices per parameter, one panel per KPI; with ``S1_conf`` and
    ``ST_conf`` columns (SALib's bootstrap half-widths) each bar carries its 95% interval."""
    _require(sobol, ["parameter", "S1", "ST"], "sobol_bars")
    frame = sobol if "kpi" in sobol else sobol.assign(kpi="output")
    kpis = list(dict.fromkeys(frame["kpi"]))
    params = list(dict.fromkeys(frame["parameter"]))
    fig = _figure((max(9.0, 3.5 * len(kpis)), max(5.0, 0.6 * len(params) + 2.0)))
    axes = fig.subplots(1, len(kpis), squeeze=False, sharey=True)[0]
    y = np.arange(len(params))
    h = 0.38
    for ax, kpi in zip(axes, kpis, strict=True):
        sub = frame[frame["kpi"] == kpi].set_index("parameter").reindex(params)
        err = {k: sub[f"{k}_conf"].to_numpy(float) if f"{k}_conf" in sub else None for k in ("S1", "ST")}
        whisker = {"ecolor": "0.25", "capsize": 3, "lw": 1}
        b1 = ax.barh(
            y - h / 2, sub["S1"], height=h, xerr=err["S1"], color=BLUE, label="S1 first-order", gid=f"S1:{kpi}",
            error_kw=whisker,
        )  # fmt: skip
        b2 = ax.barh(
            y + h / 2, sub["ST"], height=h, xerr=err["ST"], color=ORANGE, label="ST total (with interactions)",
            gid=f"ST:{kpi}", error_kw=whisker,
        )  # fmt: skip
        _bar_labels(ax, b1, [f"{v:.2f}" for v in sub["S1"]])
        _bar_labels(ax, b2, [f"{v:.2f}" for v in sub["ST"]])
        ax.axvline(0, color="0.3", lw=0.8)
        ax.set_yticks(y, [_short_param(p) for p in params])
        ax.set_ylim(len(params) - 0.5, -0.5)
        reach = {k: sub[k].to_numpy(float) + (0 if err[k] is None else err[k]) for k in ("S1", "ST")}
        low = {k: sub[k].to_numpy(float) - (0 if err[k] is None else err[k]) for k in ("S1", "ST")}
        hi = float(np.nanmax(np.r_[reach["S1"], reach["ST"], 1.0]))
        lo = float(np.nanmin(np.r_[low["S1"], low["ST"], 0.0]))
        ax.set_xlim(lo * 1.2 - 0.02, hi * 1.15)
        values = sub[["S1", "ST"]].to_numpy(dtype=float)
        odd = bool(np.any((values < -0.1) | (values > 1.1)))
        ax.set_title(_pretty(kpi) + ("\n(estimates outside [0, 1]: sample too small)" if odd else ""))
        ax.set_xlabel("Sobol' index (share of output variance)")
        ax.set_ylabel("Parameter")
        ax.grid(axis="x", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=8)
    fig.suptitle("Sensitivity: which parameters drive each KPI (S1 alone, ST including interactions)")
    return fig


def npv_by_policy(summary: pd.DataFrame, currency: str) -> Figure:
    """NPV per policy with its 95% interval, split into the horizon's net cash and the value still to come.

    ``summary`` is ``Comparison.summary()`` with the KPIs ``npv`` and ``npv_after_horizon`` (both discounted
    to day 0), so a policy whose value sits in court or at the agency at the horizon is seen as such.
    """
    _require(summary, ["kpi", "policy", "mean", "half_width"], "npv_by_policy")
    rows = summary.set_index(["kpi", "policy"])
    policies = list(dict.fromkeys(summary["policy"]))
    total = np.array([float(rows.loc[("npv", p), "mean"]) for p in policies])
    half = np.array([float(rows.loc[("npv", p), "half_width"]) for p in policies])
    later = np.array([float(rows.loc[("npv_after_horizon", p), "mean"]) for p in policies])
    fig = _figure((max(5.0, 1.4 * len(policies) + 2.5), 4.8))
    ax = fig.add_subplot()
    x = np.arange(len(policies))
    ax.bar(x, total - later, color=BLUE, width=0.6, label="net cash within the horizon", gid="npv:within")
    ax.bar(x, later, bottom=total - later, color=GREEN, width=0.6, hatch="//", label="expected after the horizon")
    err = np.where(np.isfinite(half), half, 0.0)
    ax.errorbar(x, total, yerr=err, fmt="none", ecolor="0.2", capsize=5, lw=1.2, label="95% interval of the NPV")
    for i, (v, h) in enumerate(zip(total, half, strict=True)):
        note = f"{v:,.0f}" + (f"\n± {h:,.0f}" if math.isfinite(h) else "")
        ax.annotate(note, (i, v + err[i]), xytext=(0, 4), textcoords="offset points", ha="center", fontsize=8)
    ax.set_xticks(x, policies)
    top = float(np.max(total + err)) if total.size else 1.0
    ax.set_ylim(min(0.0, float(np.min(total - later))) * 1.1, max(top, 1.0) * 1.18)
    ax.yaxis.set_major_formatter(_thousands())
    # Two title lines: on one line the title is wider than a two-policy figure and is clipped.
    ax.set_title("Net present value per policy\n(cash discounted to day 0)")
    ax.set_xlabel("Policy")
    ax.set_ylabel(f"NPV ({currency})")
    # Below the axes, where no bar, whisker or value label can be: inside them it covered the bars.
    fig.legend(loc="outside lower center", ncols=3 if len(policies) >= 3 else 1, fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return fig
