"""Decisions in words: the sentences the CLI prints and the report shows, each made by one function.

A verdict written twice drifts: the staff report once said "chosen headcount 4, target service 90%"
beside a CLI that knew 4 agents gave 69% service and that 6 were needed. Both now call these
functions on the same saved figures, so they cannot disagree.
"""

from __future__ import annotations

import math

import pandas as pd

from collectsim.queueing import ErlangReport


def _money(value: float, currency: str) -> str:
    sign = "−" if value < 0 else ""
    return f"{sign}{currency} {abs(value):,.0f}"


def _service(summary: pd.DataFrame, headcount: int) -> float:
    row = summary.loc[summary["headcount"] == headcount]
    return float(row["service_level"].iloc[0]) if len(row) and "service_level" in row else math.nan


def smallest_meeting(summary: pd.DataFrame, target: float | None) -> int | None:
    """The fewest agents whose mean service level reaches ``target`` (None if no headcount tried does)."""
    if target is None or "service_level" not in summary:
        return None
    ok = summary.loc[summary["service_level"] >= target, "headcount"]
    return int(ok.min()) if len(ok) else None


def best_headcount(summary: pd.DataFrame) -> int:
    """The headcount with the highest mean net recovery (the first, on a tie), as ``size_staff`` picks it."""
    return int(summary.loc[summary["net_recovery"].idxmax(), "headcount"])


def staffing_verdict(
    summary: pd.DataFrame,
    target: float | None,
    currency: str,
    *,
    erlang: ErlangReport | None = None,
) -> list[str]:
    """What to staff ``team`` with, and why, as sentences: the CLI prints them, the report lists them.

    ``summary`` is one team's staffing curve (``StaffingResult.summary`` or its rows of
    ``staffing.csv``). The sentences give the best headcount's service level against the
    target, the smallest headcount meeting the target and what it costs in net recovery, a
    warning when the best headcount sits at the edge of the searched range (the optimum may
    lie outside it), and Erlang C's answer for inbound calls when there is one.
    """
    s = summary.sort_values("headcount")
    chosen = best_headcount(s)
    heads = s["headcount"].astype(int).tolist()
    net = dict(zip(heads, s["net_recovery"].astype(float), strict=True))
    service = _service(s, chosen)
    lines = [f"best net recovery at headcount {chosen}: {_money(net.get(chosen, math.nan), currency)}"]
    if not math.isnan(service):
        lines[0] += f", service level {service:.1%}"
    if target is not None:
        hit = smallest_meeting(s, target)
        if hit is None:
            lines.append(
                f"no headcount tried ({heads[0]}–{heads[-1]}) reaches the {target:.0%} service target; "
                "try more agents"
            )
        else:
            lines.append(f"smallest headcount with service level ≥ {target:.0%}: {hit} ({_service(s, hit):.1%})")
            if not math.isnan(service) and service < target:
                gap = net[chosen] - net[hit]
                lines.append(
                    f"headcount {chosen} misses the {target:.0%} target; meeting it with {hit} agents "
                    f"costs {_money(gap, currency)} of net recovery"
                )
    if len(heads) > 1 and chosen == heads[-1]:
        lines.append(
            f"warning: the best headcount is the largest tried ({chosen}); the optimum may be higher: "
            "widen --headcount"
        )
    elif len(heads) > 1 and chosen == heads[0] and chosen > 0:
        lines.append(
            f"warning: the best headcount is the smallest tried ({chosen}); the optimum may be lower: "
            "widen --headcount"
        )
    nxt = [h for h in heads if h > chosen]
    if nxt and "marginal_npv_per_agent" in s:
        row = s.loc[s["headcount"] == nxt[0]].iloc[0]
        gain, hw = float(row["marginal_npv_per_agent"]), float(row.get("marginal_npv_per_agent_half_width", math.nan))
        interval = f" ± {_money(hw, currency).replace('−', '')}" if not math.isnan(hw) else ""
        lines.append(
            f"one more agent beyond {chosen} (at {nxt[0]}) is worth {_money(gain, currency)}{interval} of NPV "
            "per agent (paired replications; the value after the horizon included)"
        )
    if erlang is not None:
        lines.append(
            f"Erlang C for its inbound calls ({erlang.arrivals_per_hour:,.1f}/h, AHT {erlang.aht_min:.1f} min, "
            f"{erlang.target:.0%}/{erlang.within_s:.0f} s): {erlang.agents} on the floor, {erlang.rostered} rostered"
        )
    return lines
