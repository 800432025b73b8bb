"""Figures of one run: liquidation, money, roll rates, daily series, team load, journeys."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from collectsim.metrics import BUCKET_DAYS, CHARGED_OFF, RESOLVED_AS_CURE, contractual_reach
from collectsim.plots._style import (
    _LIQUIDATION,
    BLUE,
    BROWN,
    CYAN,
    GREEN,
    GREY,
    LIGHT_GREEN,
    OLIVE,
    ORANGE,
    PALETTE,
    PINK,
    PURPLE,
    RED,
    ROLL_BUCKETS,
    ROLL_OUTCOMES,
    _bar_labels,
    _figure,
    _mean_half,
    _percent,
    _require,
    _thousands,
)
from collectsim.results import as_columns


def liquidation_curves(runs: pd.DataFrame, group: str | None = "policy") -> Figure:
    """Liquidation curve per group: mean of the ``liquidation_dNNN`` columns over rows, with a 95% t band.

    With ``group`` None (or a table of one row) a single line is drawn; a group of one row has no band.
    """
    found = sorted((int(m.group(1)), c) for c in runs.columns if (m := _LIQUIDATION.match(str(c))))
    if not found:
        raise ValueError("runs has no liquidation_dNNN columns")
    if len(runs) == 0:
        raise ValueError("runs is empty")
    if group is not None:
        _require(runs, [group], "liquidation_curves")
    days = np.array([d for d, _ in found], dtype=float)
    cols = [c for _, c in found]
    groups = [("all runs", runs)] if group is None else list(runs.groupby(group, sort=False))

    fig = _figure()
    ax = fig.add_subplot()
    banded = False
    for i, (name, sub) in enumerate(groups):
        values = sub[cols].to_numpy(dtype=float)
        stats = np.array([_mean_half(values[:, j]) for j in range(len(cols))])
        mean, half = stats[:, 0], stats[:, 1]
        color = PALETTE[i % len(PALETTE)]
        label = f"{name}: {mean[-1]:.1%} by day {days[-1]:.0f} (n={len(sub)})"
        ax.plot(days, mean, marker="o", ms=3.5, lw=2, color=color, label=label, gid=f"liquidation:{name}")
        if np.isfinite(half).any():
            banded = True
            ax.fill_between(days, mean - half, mean + half, color=color, alpha=0.18, lw=0)
    handles, labels = ax.get_legend_handles_labels()
    if banded:
        handles.append(Patch(facecolor="0.5", alpha=0.3, label="95% t-interval over replications"))
        labels.append(handles[-1].get_label())
    ax.legend(handles, labels, loc="lower right", title=group or None)
    sizes = {len(sub) for _, sub in groups}
    if sizes == {1}:
        basis = "one run"
    else:
        basis = f"mean over {max(sizes)} replications" if len(sizes) == 1 else "mean per group, n in the legend"
    ax.set_title(f"Liquidation curve: cumulative share of the opening balance collected\n({basis})")
    ax.set_xlabel("Days since simulation start (≈ days past due for a cohort entering at DPD 1)")
    ax.set_ylabel("Collected (% of opening balance)")
    ax.yaxis.set_major_formatter(_percent())
    ax.set_xlim(0, days[-1] + 2)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    return fig


COST_COLOURS = {"channel": BLUE, "team": PURPLE, "legal": BROWN, "agency": PINK, "recovery": CYAN, "complaints": GREY}


def money_waterfall(kpis: Mapping[str, float], costs: pd.DataFrame, currency: str) -> Figure:
    """Left: the opening balance split into collected (in house, in-house recovery after charge-off,
    agency, courts, when any of them collected), settlement discount, written off, sold to a debt
    buyer (when any was) and outstanding; with a contractual schedule the outstanding part of cured
    accounts, current again, is drawn apart as performing.

    Right: collected (plus debt-sale proceeds, if any), total cost stacked by category (channel, team,
    legal, agency) and net recovery.
    """
    _require(costs, ["category", "cost"], "money_waterfall")
    # What was owed: the opening balance plus interest and late fees charged while in collection.
    opening = float(kpis.get("owed", kpis["opening_balance"]))
    charged = opening - float(kpis["opening_balance"])
    # Collected, split by who collected it where the run says (in house, in the in-house recovery stage
    # after charge-off, at the agency, through the courts).
    agency = float(kpis.get("agency_collected", 0.0))
    legal = float(kpis.get("legal_collected", 0.0))
    recovery = float(kpis.get("recovery_stage_collected", 0.0))
    collected_parts = [("collected", "Collected", GREEN)]
    if agency > 0 or legal > 0 or recovery > 0:
        collected_parts = [("collected_in_house", "Paid\nin house", GREEN)]
        collected_parts += [("recovery_stage_collected", "In-house\nrecovery", LIGHT_GREEN)] if recovery > 0 else []
        collected_parts += [("agency_collected", "Paid to\nagency", CYAN)] if agency > 0 else []
        collected_parts += [("legal_collected", "Paid via\ncourts", OLIVE)] if legal > 0 else []
    performing = float(kpis.get("performing_balance", 0.0))
    kpis = {
        **kpis,
        "collected_in_house": float(kpis["collected"]) - agency - legal - recovery,
        "outstanding": float(kpis["outstanding"]) - performing,
    }
    parts = [
        *collected_parts,
        ("discount", "Settlement\ndiscount", ORANGE),
        ("written_off", "Written\noff", RED),
        ("outstanding", "Still\noutstanding", GREY),
    ]
    if performing > 0:
        parts.append(("performing_balance", "Cured,\nperforming", PINK))
    if float(kpis.get("debt_sold", 0.0)) > 0:
        parts.insert(3, ("debt_sold", "Sold to a\ndebt buyer", BROWN))
    values = [float(kpis.get(key, 0.0)) for key, _, _ in parts]
    parts = [("sold" if key == "debt_sold" else key, label, color) for key, label, color in parts]
    gap = opening - sum(values)
    if abs(gap) > 1e-6 * max(abs(opening), 1.0):
        parts.append(("unreconciled", "Unreconciled", PURPLE))
        values.append(gap)

    many = len(parts) > 5  # in-house recovery, agency, courts, sale, performing: a wider figure, a 2-column legend
    fig = _figure((11.5 if len(parts) > 6 else 9.5, 6.0 if many else 5.0))
    left, right = fig.subplots(1, 2, width_ratios=[3, 2])
    share = (lambda v: v / opening) if opening else (lambda v: float("nan"))
    owed_label = f"opening balance + {charged:,.0f} interest and fees" if charged > 0 else "opening balance"
    bar = left.bar(0, opening, color=BLUE, width=0.6, label=owed_label, gid="waterfall:opening")
    _bar_labels(left, bar, [f"{opening:,.0f}"])
    top = opening
    for i, ((key, _, color), v) in enumerate(zip(parts, values, strict=True), start=1):
        bar = left.bar(i, v, bottom=top - v, color=color, width=0.6, label=f"{key.replace('_', ' ')} ({share(v):.1%})")
        bar.patches[0].set_gid(f"waterfall:{key}")
        _bar_labels(left, bar, [f"{v:,.0f}\n{share(v):.1%}"])
        left.plot([i - 1.3, i + 0.3], [top, top], color="0.5", lw=0.8, ls=":")
        top -= v
    first = "Owed" if charged > 0 else "Opening\nbalance"
    small = 7 if len(parts) > 7 else 8 if many else None
    left.set_xticks(range(len(parts) + 1), [first, *(lbl for _, lbl, _ in parts)], fontsize=small)
    # Room above the bars for their labels, and for the legend too unless it goes below the axes.
    left.set_ylim(0, max(opening, 1.0) * (1.2 if many else 1.6))
    left.yaxis.set_major_formatter(_thousands())
    left.set_title("Where what was owed went" if charged > 0 else "Where the opening balance went")
    left.set_xlabel("Outcome of the balance")
    left.set_ylabel(f"Amount ({currency})")
    if many:  # a 2-column legend of 6+ slices is as wide as the axes: below them, clear of bars and ticks
        left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncol=2, frameon=False)
    else:
        left.legend(loc="upper right", fontsize=8)
    left.grid(axis="y", alpha=0.3)

    by_cat = costs.groupby("category", sort=False)["cost"].sum()
    order = [c for c in ("channel", "team", "legal", "agency") if c in by_cat.index]
    order += [c for c in by_cat.index if c not in order]
    total = float(by_cat.sum())
    paid = float(kpis["collected"])
    proceeds = float(kpis.get("sale_proceeds", 0.0))
    collected = paid + proceeds  # the lender's cash: borrower payments and debt-sale proceeds
    net = float(kpis["net_recovery"]) if "net_recovery" in kpis else collected - total
    bar = right.bar(0, paid, color=GREEN, width=0.6, gid="costs:collected")
    if proceeds > 0:
        right.bar(
            0, proceeds, bottom=paid, color=BROWN, width=0.6, label=f"debt sale: {proceeds:,.0f}", gid="costs:sale"
        )
        right.text(0, collected, f"{collected:,.0f}", ha="center", va="bottom", fontsize=8)
    else:
        _bar_labels(right, bar, [f"{collected:,.0f}"])
    bottom = 0.0
    for cat in sorted(order, key=lambda c: -by_cat[c]):
        v = float(by_cat[cat])
        color = COST_COLOURS.get(cat, GREY)
        pct = v / total if total else float("nan")
        right.bar(
            1, v, bottom=bottom, color=color, width=0.6, label=f"{cat} cost: {v:,.0f} ({pct:.0%})", gid=f"cost:{cat}"
        )
        bottom += v
    right.text(1, total, f"{total:,.0f}", ha="center", va="bottom", fontsize=8)
    bar = right.bar(2, net, color=GREEN if net >= 0 else RED, width=0.6, hatch="//", alpha=0.8, gid="costs:net")
    bar.patches[0].set_edgecolor("white")
    _bar_labels(right, bar, [f"net {net:,.0f}\n{net / collected:.0%} of collected" if collected else f"{net:,.0f}"])
    right.axhline(0, color="0.3", lw=0.8)
    first = "Collected\n+ sale" if proceeds > 0 else "Collected"
    right.set_xticks([0, 1, 2], [first, "Total\ncost", "Net\nrecovery"])
    right.set_xlim(-0.55, 2.65)
    right.set_ylim(min(0.0, net) * 1.15, max(collected, total, 1.0) * 1.45)
    right.yaxis.set_major_formatter(_thousands())
    right.set_title("What it cost")
    right.set_xlabel(
        "Collected + sale proceeds − cost = net recovery" if proceeds > 0 else "Collected − cost = net recovery"
    )
    right.set_ylabel(f"Amount ({currency})")
    right.legend(loc="upper right", fontsize=8)
    right.grid(axis="y", alpha=0.3)
    owed_name = "owed" if charged > 0 else "opening balance"
    fig.suptitle(f"Money: {owed_name} {currency} {opening:,.0f}, net recovery {currency} {net:,.0f}")
    return fig


def _roll_matrix(accounts: pd.DataFrame, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Outcome shares per 30-day bucket (rows B1…B6; columns as ``ROLL_OUTCOMES``) and row counts.

    Row b holds accounts open at the bucket's first DPD and observable to its last DPD. Structurally
    impossible cells are NaN: only B6 can stay open (it has no next bucket), and B6 cannot roll.
    """
    entry_dpd = accounts["entry_dpd"].to_numpy()
    seen_to = entry_dpd + (horizon - 1 - accounts["entry_day"].to_numpy())
    res = accounts["resolution_dpd"].to_numpy(dtype=float)
    status = accounts["status"].to_numpy()
    cure = np.isin(status, RESOLVED_AS_CURE)
    wo = np.isin(status, CHARGED_OFF)  # written off at resolution, even if recovered later
    out = np.full((ROLL_BUCKETS, len(ROLL_OUTCOMES)), np.nan)
    counts = np.zeros(ROLL_BUCKETS, dtype=int)
    for b in range(1, ROLL_BUCKETS + 1):
        start, end = BUCKET_DAYS * (b - 1) + 1, BUCKET_DAYS * b
        base = (entry_dpd <= start) & (np.isnan(res) | (res >= start)) & (seen_to >= end)
        n = int(base.sum())
        counts[b - 1] = n
        if n == 0:
            continue
        within = base & (res <= end)
        still = base & ~within
        out[b - 1, 0] = (within & cure).sum() / n
        out[b - 1, 1] = (within & wo).sum() / n
        out[b - 1, 2 if b < ROLL_BUCKETS else 3] = still.sum() / n
    return out, counts


def _contractual_roll_matrix(accounts: pd.DataFrame, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """With statements DPD can hold or fall, so row b counts accounts that reached bucket b (entering at or
    below its first DPD) at least 30 days before the horizon's last day, and splits them into: rolled (ever
    reached bucket b+1, the roll-rate KPI), else cured or settled, written off, or still open at the end."""
    status = accounts["status"].to_numpy()
    cure, wo = np.isin(status, RESOLVED_AS_CURE), np.isin(status, CHARGED_OFF)
    out = np.full((ROLL_BUCKETS, len(ROLL_OUTCOMES)), np.nan)
    counts = np.zeros(ROLL_BUCKETS, dtype=int)
    columns = as_columns(accounts)  # converted once, not once per bucket
    for b in range(1, ROLL_BUCKETS + 1):
        base, rolled = contractual_reach(columns, horizon, b)
        n = int(base.sum())
        counts[b - 1] = n
        if n == 0:
            continue
        rest = base & ~rolled
        out[b - 1, 0] = (rest & cure).sum() / n
        out[b - 1, 1] = (rest & wo).sum() / n
        if b < ROLL_BUCKETS:
            out[b - 1, 2] = rolled.sum() / n
        out[b - 1, 3] = (rest & ~cure & ~wo).sum() / n
    return out, counts


def roll_rate_matrix(accounts: pd.DataFrame, horizon: int) -> Figure:
    """Annotated heatmap of what happened to accounts in each 30-day DPD bucket, and cure rate by bucket.

    Bucket b (B1 = DPD 1–30 … B6 = DPD 151–180) counts accounts open at its first DPD and observable
    to its last; each row splits them into cured/settled, written off, rolled to b+1, or still open.
    """
    _require(accounts, ["entry_day", "entry_dpd", "resolution_dpd", "status"], "roll_rate_matrix")
    statements = "reached_dpd_31_day" in accounts
    matrix, counts = (_contractual_roll_matrix if statements else _roll_matrix)(accounts, horizon)
    fig = _figure((9.5, 5.0))
    heat, bars = fig.subplots(1, 2, width_ratios=[3, 2])
    cmap = matplotlib.colormaps["Blues"].with_extremes(bad="#f0f0f0")
    im = heat.imshow(np.ma.masked_invalid(matrix), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    im.set_gid("roll:matrix")
    for r in range(ROLL_BUCKETS):
        if counts[r] == 0:
            heat.text(1.5, r, "not observable within the horizon", ha="center", va="center", fontsize=8, color="0.4")
            continue
        for c in range(len(ROLL_OUTCOMES)):
            v = matrix[r, c]
            text = f"{v:.1%}" if np.isfinite(v) else "–"
            heat.text(c, r, text, ha="center", va="center", fontsize=9, color="white" if v > 0.6 else "black")
    rows = [
        f"B{b} DPD {BUCKET_DAYS * (b - 1) + 1}–{BUCKET_DAYS * b}\nn={counts[b - 1]:,}"
        for b in range(1, ROLL_BUCKETS + 1)
    ]
    labels = (*ROLL_OUTCOMES[:3], "still open\nat the end") if statements else ROLL_OUTCOMES
    heat.set_xticks(range(len(ROLL_OUTCOMES)), labels, fontsize=8)
    heat.set_yticks(range(ROLL_BUCKETS), rows, fontsize=8)
    if statements:
        heat.set_title("Roll rates (contractual DPD): did the account ever reach the next bucket?")
        heat.set_xlabel("Rolled on, or else its status at the end")
        heat.set_ylabel("Bucket the account reached")
    else:
        heat.set_title("Roll rates: outcome by the end of each bucket")
        heat.set_xlabel("Outcome by the bucket's last day")
        heat.set_ylabel("Bucket the account was open at the start of")
    fig.colorbar(im, ax=heat, format=_percent(), label="Share", fraction=0.05, pad=0.02)

    x = np.arange(1, ROLL_BUCKETS + 1)
    cure = np.nan_to_num(matrix[:, 0])
    label = "not rolled on, cured at the end" if statements else "cured or settled within the bucket"
    bar = bars.bar(x, cure, color=GREEN, width=0.65, label=label, gid="roll:cure")
    _bar_labels(bars, bar, [f"{v:.0%}" if n else "n/a" for v, n in zip(cure, counts, strict=True)])
    bars.set_xticks(x, [f"B{b}" for b in x])
    bars.yaxis.set_major_formatter(_percent())
    bars.set_ylim(0, max(1e-9, float(cure.max())) * 1.25)
    bars.set_title("Cure rate by bucket")
    bars.set_xlabel("Bucket (30 days past due each)")
    bars.set_ylabel("Cured or settled (% of bucket's accounts)")
    bars.legend(loc="upper right", fontsize=8)
    bars.grid(axis="y", alpha=0.3)
    return fig


def daily_overview(daily: pd.DataFrame, currency: str) -> Figure:
    """Four panels over the horizon: balance still owed, daily collections, active accounts, cumulative money."""
    _require(daily, ["day", "outstanding", "collected", "collected_cum", "active", "cost_cum"], "daily_overview")
    day = daily["day"].to_numpy()
    fig = _figure((9.5, 6.0))
    (bal, col), (act, cum) = fig.subplots(2, 2, sharex=True)

    bal.plot(day, daily["outstanding"], color=BLUE, lw=2, label="outstanding balance", gid="daily:outstanding")
    if "written_off_cum" in daily:
        bal.plot(day, daily["written_off_cum"], color=RED, lw=1.5, ls="--", label="written off (cumulative)")
    bal.set_title("Balance still owed")
    bal.set_ylabel(f"Balance ({currency})")
    bal.set_ylim(bottom=0)

    # One stepped area, not a bar per day: it looks the same and draws as one artist instead of hundreds.
    edges = np.append(day - 0.5, day[-1] + 0.5) if day.size else np.zeros(1)
    collected = daily["collected"].to_numpy()
    col.stairs(collected, edges, fill=True, color=GREEN, alpha=0.45, label="collected that day", gid="daily:col")
    roll = daily["collected"].rolling(7, min_periods=1).mean()
    col.plot(day, roll, color=GREEN, lw=2, label="7-day average")
    col.set_title("Daily collections")
    col.set_ylabel(f"Collected per day ({currency})")

    act.plot(day, daily["active"], color=BLUE, lw=2, label="active (open) accounts", gid="daily:active")
    if "placed" in daily:
        act.plot(day, daily["placed"], color=PINK, lw=1.5, label="placed with agency")
    if "legal_active" in daily:
        act.plot(day, daily["legal_active"], color=BROWN, lw=1.5, label="in legal process")
    act.set_title("Open accounts")
    act.set_ylabel("Accounts")
    act.yaxis.set_major_locator(MaxNLocator(integer=True))
    act.set_ylim(0, max(1.0, act.get_ylim()[1]))

    cum.plot(day, daily["collected_cum"], color=GREEN, lw=2, label="collected (cumulative)")
    cum.plot(day, daily["cost_cum"], color=PURPLE, lw=2, label="cost (cumulative)")
    cum.fill_between(day, daily["cost_cum"], daily["collected_cum"], color=GREEN, alpha=0.12, label="net recovery")
    cum.set_title("Collected vs cost so far")
    cum.set_ylabel(f"Cumulative ({currency})")

    for ax in (bal, col, act, cum):
        ax.set_xlabel("Day of simulation")
        ax.yaxis.set_major_formatter(_thousands())
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=8)
    fig.suptitle("Portfolio day by day")
    return fig


def team_load(daily: pd.DataFrame, teams: pd.DataFrame) -> Figure:
    """Utilisation per team (bars) with service level (markers); utilisation by day (weekly mean); queue length
    per team over time."""
    _require(teams, ["team", "utilisation"], "team_load")
    fig = _figure((13.0, 5.0))
    left, middle, right = fig.subplots(1, 3, width_ratios=[2, 3, 3])
    names = [str(t) for t in teams["team"]]
    colors = [PALETTE[i % len(PALETTE)] for i in range(len(names))]
    y = np.arange(len(names))
    util = teams["utilisation"].to_numpy(dtype=float)
    bars = left.barh(y, np.nan_to_num(util), color=colors, height=0.6, gid="team:utilisation")
    _bar_labels(left, bars, [f"{u:.0%}" if np.isfinite(u) else "n/a" for u in util])
    handles = [Patch(facecolor="0.55", label="utilisation (busy ÷ available time)")]
    if "service_level" in teams:
        sl = teams["service_level"].to_numpy(dtype=float)
        left.plot(sl, y, "D", color="black", ms=6, gid="team:service_level")
        handles.append(Line2D([], [], marker="D", ls="", color="black", label="service level (done ÷ due)"))
    left.set_yticks(y, names)
    left.invert_yaxis()
    left.set_xlim(0, 1.15)
    left.xaxis.set_major_formatter(_percent())
    left.set_title("Utilisation and service level")
    left.set_xlabel("% of time / of due work")
    left.set_ylabel("Team")
    left.legend(handles=handles, loc="lower right", fontsize=8)
    left.grid(axis="x", alpha=0.3)

    day = daily["day"].to_numpy() if "day" in daily else np.arange(len(daily))
    for name, color in zip(names, colors, strict=True):
        col = f"util_{name}"
        if col in daily:
            weekly = daily[col].rolling(7, min_periods=1).mean()
            middle.plot(day, weekly, color=color, lw=1.6, label=name, gid=f"util:{name}")
    middle.set_title("Utilisation over time (7-day mean of working days)")
    middle.set_xlabel("Day of simulation")
    middle.set_ylabel("Busy ÷ available agent time")
    middle.set_ylim(0, 1.05)
    middle.yaxis.set_major_formatter(_percent())
    middle.legend(title="team", loc="best", fontsize=8)
    middle.grid(alpha=0.3)

    for name, color in zip(names, colors, strict=True):
        col = f"queue_{name}"
        if col in daily:
            right.plot(day, daily[col], color=color, lw=1.6, label=name, gid=f"queue:{name}")
    right.set_title("Queue length over time")
    right.set_xlabel("Day of simulation")
    right.set_ylabel("Accounts waiting in queue (end of day)")
    right.yaxis.set_major_locator(MaxNLocator(integer=True))
    right.yaxis.set_major_formatter(_thousands())
    right.set_ylim(0, max(1.0, right.get_ylim()[1]))
    right.legend(title="team", loc="best", fontsize=8)
    right.grid(alpha=0.3)
    fig.suptitle("Team load")
    return fig


# ---------------------------------------------------------------------------------------------
# experiments


def account_journeys(accounts: pd.DataFrame, horizon: int) -> Figure:
    """Stacked area of accounts by state each day 0…horizon-1: not yet entered, active, cured, settled, written off,
    recovered after write-off, sold to a debt buyer.

    An account is in its final state from its ``resolution_day`` on (for a recovered account: its charge-off day);
    a sold account is written off from its charge-off day and sold from its ``sale_day``.
    """
    _require(accounts, ["entry_day", "status", "resolution_day"], "account_journeys")
    days = np.arange(horizon)
    status = accounts["status"].to_numpy()
    res = accounts["resolution_day"].to_numpy(dtype=float)  # NaN: never resolved

    def by_day(day: np.ndarray) -> np.ndarray:
        """How many of ``day`` are <= d, for each d in 0…horizon-1 (NaN, a day that never came, counts nowhere)."""
        day = np.asarray(day, dtype=float)
        day = day[(day >= 0) & (day < horizon)].astype(np.int64)
        return np.cumsum(np.bincount(day, minlength=horizon)[:horizon])

    entered = by_day(accounts["entry_day"].to_numpy()[status != "pending"])
    final = {name: by_day(res[status == s]) for name, s in (("cured", "cured"), ("settled", "settled"))}
    sold = status == "sold"
    sold_from = by_day(accounts["sale_day"].to_numpy(dtype=float)[sold]) if sold.any() else None
    final["written off"] = by_day(res[(status == "written_off") | sold])
    final["recovered after write-off"] = by_day(res[status == "recovered"])
    colors = [GREEN, "#98df8a", RED, ORANGE]
    if sold_from is not None:
        final["written off"] = final["written off"] - sold_from
        final["sold"] = sold_from
        colors.append(BROWN)
    counts = {**final, "active": entered - sum(final.values()), "not yet entered": len(accounts) - entered}
    colors += [BLUE, "#d9d9d9"]
    n = max(len(accounts), 1)
    labels = [f"{k} ({v[-1] / n:.0%} on day {horizon - 1})" for k, v in counts.items()]
    fig = _figure((10.0, 5.6))
    ax, end = fig.subplots(1, 2, width_ratios=[6, 1])
    polys = ax.stackplot(days, *counts.values(), labels=labels, colors=colors, alpha=0.9)
    for name, poly in zip(counts, polys, strict=True):
        poly.set_gid(f"journey:{name}")
    ax.set_xlim(0, max(horizon - 1, 1))
    ax.set_ylim(0, n)
    ax.yaxis.set_major_formatter(_thousands())
    handles, labs = ax.get_legend_handles_labels()
    fig.legend(handles[::-1], labs[::-1], loc="outside lower center", ncols=3, fontsize=8, title="state")
    ax.set_title(f"Account journeys: state of all {len(accounts):,} accounts each day")
    ax.set_xlabel("Day of simulation")
    ax.set_ylabel("Accounts")
    # The last day as one stacked bar, each state labelled: a state reached only near the horizon
    # (charge-off at DPD 180 in a 180-day run) is a sliver in the area but a readable block here.
    bottom = 0.0
    for (name, v), color in zip(counts.items(), colors, strict=True):
        share = float(v[-1])
        bar = end.bar(0, share, bottom=bottom, color=color, alpha=0.9, width=0.8, gid=f"journey_end:{name}")
        if share / n >= 0.03:
            end.bar_label(bar, labels=[f"{share / n:.0%}"], label_type="center", fontsize=8)
        bottom += share
    end.set_xticks([])
    end.set_title(f"day {horizon - 1}", fontsize=9)
    end.set_xlabel("share")
    end.set_ylim(0, n)
    end.set_yticks(np.linspace(0, n, 6), [f"{p:.0%}" for p in np.linspace(0, 1, 6)])
    end.yaxis.tick_right()
    end.yaxis.set_label_position("right")
    end.set_ylabel("% of accounts")
    return fig
