"""Checks that span several tables: names that must refer to defined things, shares that sum to 1.

They run on plain data (a raw mapping or a dumped model) and skip whatever is
malformed, so ``validate`` can report a broken reference in the same pass as a bad
value elsewhere; malformed values themselves are reported by the typed models.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectsim.scenario.schema_base import HEADCOUNT_MAX

SHARE_TOLERANCE = 1e-6
Problems = list[tuple[str, str]]


def _table(data: Any, *keys: str) -> dict:
    for k in keys:
        data = data.get(k, {}) if isinstance(data, Mapping) else {}
    return dict(data) if isinstance(data, Mapping) else {}


def _items(value: Any) -> list:
    """A list or tuple's items; anything else (a malformed value the typed models report) gives none."""
    return list(value) if isinstance(value, list | tuple) else []


def _names(table: Mapping) -> str:
    return ", ".join(sorted(table)) or "(none defined)"


def _share_problems(path: str, shares: Mapping[str, Any]) -> Problems:
    try:
        total = sum(float(v) for v in shares.values())
    except (TypeError, ValueError):
        return []
    if shares and abs(total - 1.0) > SHARE_TOLERANCE:
        return [(path, f"shares sum to {total:.6g}; they must sum to 1")]
    return []


def cross_reference_problems(data: Mapping[str, Any]) -> Problems:
    """Every broken reference and impossible combination, each with its field path."""
    out: Problems = []
    segs, reasons = _table(data, "population", "segments"), _table(data, "reasons")
    teams, channels = _table(data, "teams"), _table(data, "channels")
    if "segments" in _table(data, "population") and not segs:
        out.append(("population.segments", "at least one segment is required"))
    out += _share_problems("population.segments", {k: _table(segs, k).get("share", 0.0) for k in segs})
    for name in segs:
        base = f"population.segments.{name}.reasons"
        mix = _table(segs, name, "reasons")
        out += _share_problems(base, mix)
        for reason in mix:
            if reasons and reason not in reasons:
                out.append((f"{base}.{reason}", f"'{reason}' is not a reason; defined: {_names(reasons)}"))
    for name in channels:
        ch = _table(channels, name)
        team, kind = ch.get("team"), ch.get("kind", "message")
        if isinstance(team, str) and team not in teams:
            out.append((f"channels.{name}.team", f"'{team}' is not a team; defined: {_names(teams)}"))
        if kind in ("call", "visit") and team is None:
            out.append((f"channels.{name}.team", f"a '{kind}' channel needs a team; defined: {_names(teams)}"))
        cb = ch.get("callback")
        if isinstance(cb, str) and (cb not in channels or _table(channels, cb).get("team") is None):
            answered = sorted(k for k in channels if _table(channels, k).get("team") is not None)
            out.append(
                (
                    f"channels.{name}.callback",
                    f"'{cb}' is not a channel answered by a team; allowed: {', '.join(answered) or '(none)'}",
                )
            )
    out += _hours_problems(data)
    out += _headcount_problems(teams)
    pop, days = _table(data, "population"), _table(data, "horizon").get("days", 180)
    inflow = pop.get("inflow_days", 1)
    if pop.get("mode") == "inflow" and isinstance(inflow, int) and isinstance(days, int) and inflow > days:
        out.append(("population.inflow_days", f"{inflow} exceeds horizon.days {days}; accounts must enter in time"))
    out += _policy_problems(data, channels, segs)
    out += _precedence_problems(data, channels, teams)
    out += _product_problems(data, reasons)
    return out


def _product_problems(data: Mapping[str, Any], reasons: dict) -> Problems:
    """Re-default odds name defined reasons; re-ageing and a late-fee cycle need (and agree with) a product."""
    out: Problems = []
    product = data.get("product")
    if not isinstance(product, Mapping):
        if isinstance(_table(data, "policy").get("reage"), Mapping):
            out.append(("policy.reage", "re-ageing needs a [product] table (statements and minimum dues)"))
        return out
    for reason in _table(product, "redefault_monthly"):
        if reasons and reason not in reasons:
            out.append(
                (f"product.redefault_monthly.{reason}", f"'{reason}' is not a reason; defined: {_names(reasons)}")
            )
    interest = data.get("interest")
    cycle, fee_cycle = product.get("statement_days", 30), _table(data, "interest").get("statement_days")
    if isinstance(interest, Mapping) and fee_cycle is not None and fee_cycle != cycle:
        out.append(
            (
                "interest.statement_days",
                f"{fee_cycle} differs from product.statement_days {cycle}; late fees fall on the product's due dates",
            )
        )
    return out


def _hours_problems(data: Mapping[str, Any]) -> Problems:
    cal = _table(data, "calendar")
    out: Problems = []
    hours = cal.get("contact_hours")
    numeric = isinstance(hours, list | tuple) and len(hours) == 2 and all(isinstance(h, int | float) for h in hours)
    if numeric and hours[0] >= hours[1]:
        out.append(("calendar.contact_hours", f"start {hours[0]} must be before end {hours[1]}"))
    if cal.get("working_days") is not None and not cal["working_days"]:
        out.append(("calendar.working_days", "at least one working day is required"))
    teams = _table(data, "teams")
    for name, team in teams.items():
        if isinstance(team, Mapping) and team.get("working_days") is not None and not team["working_days"]:
            out.append((f"teams.{name}.working_days", "at least one working day is required"))
        for helped in _items(team.get("helps")) if isinstance(team, Mapping) else ():
            if isinstance(helped, str) and (helped not in teams or helped == name):
                out.append((f"teams.{name}.helps", f"'{helped}' is not another team; defined: {_names(teams)}"))
    return out


def _headcount_problems(teams: Mapping[str, Any]) -> Problems:
    """All teams together at most ``HEADCOUNT_MAX`` agents: every agent is a simulated process each working day.

    Measured: 10,000 agents take about 20 s over 180 days however few the accounts, so the bound is on the
    whole workforce rather than per team (four teams of 10,000 took 80 s at 500 accounts).
    """
    counts = [t.get("headcount") for t in teams.values() if isinstance(t, Mapping)]
    total = sum(c for c in counts if isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= HEADCOUNT_MAX)
    if total > HEADCOUNT_MAX:
        return [("teams", f"{total:,} agents in all teams exceed the limit of {HEADCOUNT_MAX:,}")]
    return []


def _policy_problems(data: Mapping[str, Any], channels: dict, segs: dict) -> Problems:
    out: Problems = []
    ladders = _table(data, "policy", "ladders")
    if "policy" in data and not ladders:
        out.append(("policy.ladders", "at least one ladder is required"))
    defaults = [k for k in ladders if _table(ladders, k).get("segments") is None]
    if len(defaults) > 1:
        out.append(("policy.ladders", f"only one ladder may omit 'segments'; these do: {', '.join(defaults)}"))
    covered: dict[str, str] = {}
    for lname in ladders:
        lad = _table(ladders, lname)
        for seg in _items(lad.get("segments")):
            if not isinstance(seg, str):
                continue
            if seg not in segs:
                out.append((f"policy.ladders.{lname}.segments", f"'{seg}' is not a segment; defined: {_names(segs)}"))
            elif seg in covered:
                out.append((f"policy.ladders.{lname}.segments", f"'{seg}' already follows ladder '{covered[seg]}'"))
            else:
                covered[seg] = lname
        out += _stage_problems(f"policy.ladders.{lname}", lad, channels)
    if ladders and not defaults:
        for seg in segs:
            if seg not in covered:
                out.append(
                    (
                        "policy.ladders",
                        f"segment '{seg}' follows no ladder; list it in a ladder's "
                        "'segments' or add a ladder without 'segments'",
                    )
                )
    return out


def _precedence_problems(data: Mapping[str, Any], channels: dict, teams: dict) -> Problems:
    """``policy.call_precedence`` lists teams that answer a channel of kind 'call', each once."""
    order = _table(data, "policy").get("call_precedence")
    if not isinstance(order, list | tuple):
        return []
    callers = sorted(
        {
            ch["team"]
            for ch in channels.values()
            if isinstance(ch, Mapping)
            and ch.get("kind") == "call"
            and isinstance(ch.get("team"), str)
            and ch.get("team") in teams
        }
    )
    allowed = ", ".join(callers) or "(none)"
    out: Problems = []
    seen: set[str] = set()
    for name in order:
        if not isinstance(name, str):
            continue
        if name not in callers:
            out.append(("policy.call_precedence", f"'{name}' is not a team that makes calls; allowed: {allowed}"))
        elif name in seen:
            out.append(("policy.call_precedence", f"'{name}' is listed twice; list each team once"))
        seen.add(name)
    return out


def _stage_problems(base: str, lad: Mapping[str, Any], channels: dict) -> Problems:
    out: Problems = []
    stages = lad.get("stages") if isinstance(lad.get("stages"), list | tuple) else []
    for si, stage in enumerate(stages):
        if not isinstance(stage, Mapping):
            continue
        lo, hi = stage.get("from_dpd"), stage.get("to_dpd")
        actions = stage.get("actions") if isinstance(stage.get("actions"), list | tuple) else []
        for ai, act in enumerate(actions):
            if not isinstance(act, Mapping):
                continue
            path = f"{base}.stages.{si}.actions.{ai}"
            ch = act.get("channel")
            if isinstance(ch, str) and ch not in channels:
                out.append((f"{path}.channel", f"'{ch}' is not a channel; defined: {_names(channels)}"))
            smin, smax = act.get("score_min", 0.0), act.get("score_max", 1.0)
            if isinstance(smin, int | float) and isinstance(smax, int | float) and smin > smax:
                out.append((f"{path}.score_min", f"{smin} exceeds score_max {smax}"))
            start = act.get("start_dpd", lo)
            if start is None:
                start = lo
            if all(isinstance(v, int) for v in (lo, hi, start)) and not lo <= start <= hi:
                out.append((f"{path}.start_dpd", f"{start} is outside the stage's DPD range {lo}–{hi}"))
    bp = _table(lad, "on_broken_promise")
    if isinstance(bp.get("channel"), str) and bp["channel"] not in channels:
        out.append(
            (f"{base}.on_broken_promise.channel", f"'{bp['channel']}' is not a channel; defined: {_names(channels)}")
        )
    return out
