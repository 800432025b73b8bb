"""Checks that span several tables: names that must refer to defined things, shares that sum to 1."""

from __future__ import annotations

from typing import TYPE_CHECKING

from collectsim.scenario.schema import SHARE_TOLERANCE

if TYPE_CHECKING:
    from collectsim.scenario.schema import Scenario


def _names(table: dict) -> str:
    return ", ".join(sorted(table)) or "(none defined)"


def _share_problems(path: str, shares: dict[str, float]) -> list[tuple[str, str]]:
    total = sum(shares.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        return [(path, f"shares sum to {total:.6g}; they must sum to 1")]
    return []


def cross_reference_problems(sc: Scenario) -> list[tuple[str, str]]:
    """Every broken reference and impossible combination, each with its field path."""
    out: list[tuple[str, str]] = []
    segs = sc.population.segments
    if not segs:
        out.append(("population.segments", "at least one segment is required"))
    out += _share_problems("population.segments", {k: s.share for k, s in segs.items()})
    for name, seg in segs.items():
        base = f"population.segments.{name}.reasons"
        out += _share_problems(base, dict(seg.reasons))
        for reason in seg.reasons:
            if reason not in sc.reasons:
                out.append((f"{base}.{reason}", f"'{reason}' is not a reason; defined: {_names(sc.reasons)}"))
    for name, ch in sc.channels.items():
        path = f"channels.{name}.team"
        if ch.team is not None and ch.team not in sc.teams:
            out.append((path, f"'{ch.team}' is not a team; defined: {_names(sc.teams)}"))
        if ch.kind in ("call", "visit") and ch.team is None:
            out.append((path, f"a '{ch.kind}' channel needs a team; defined: {_names(sc.teams)}"))
    for name, team in sc.teams.items():
        if team.working_days is not None and not team.working_days:
            out.append((f"teams.{name}.working_days", "at least one working day is required"))
    lo, hi = sc.calendar.contact_hours
    if lo >= hi:
        out.append(("calendar.contact_hours", f"start {lo} must be before end {hi}"))
    if not sc.calendar.working_days:
        out.append(("calendar.working_days", "at least one working day is required"))
    out += _policy_problems(sc)
    rep = sc.repayment
    n = (rep.delta_10 + rep.delta_11 * rep.partial_fraction.build().mean) / rep.kappa
    if n >= 1:
        out.append(("repayment", f"branching ratio (δ10 + δ11·E[R])/κ = {n:.3f} must be < 1"))
    return out


def _policy_problems(sc: Scenario) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    ladders = sc.policy.ladders
    if not ladders:
        out.append(("policy.ladders", "at least one ladder is required"))
    defaults = [k for k, lad in ladders.items() if lad.segments is None]
    if len(defaults) > 1:
        out.append(("policy.ladders", f"only one ladder may omit 'segments'; these do: {', '.join(defaults)}"))
    covered: dict[str, str] = {}
    for lname, lad in ladders.items():
        for seg in lad.segments or ():
            if seg not in sc.population.segments:
                out.append(
                    (
                        f"policy.ladders.{lname}.segments",
                        f"'{seg}' is not a segment; defined: {_names(sc.population.segments)}",
                    )
                )
            elif seg in covered:
                out.append((f"policy.ladders.{lname}.segments", f"'{seg}' already follows ladder '{covered[seg]}'"))
            else:
                covered[seg] = lname
        for si, stage in enumerate(lad.stages):
            for ai, act in enumerate(stage.actions):
                path = f"policy.ladders.{lname}.stages.{si}.actions.{ai}"
                if act.channel not in sc.channels:
                    out.append((f"{path}.channel", f"'{act.channel}' is not a channel; defined: {_names(sc.channels)}"))
                if act.score_min > act.score_max:
                    out.append((f"{path}.score_min", f"{act.score_min} exceeds score_max {act.score_max}"))
                start = stage.from_dpd if act.start_dpd is None else act.start_dpd
                if not stage.from_dpd <= start <= stage.to_dpd:
                    out.append(
                        (
                            f"{path}.start_dpd",
                            f"{start} is outside the stage's DPD range {stage.from_dpd}–{stage.to_dpd}",
                        )
                    )
        bp = lad.on_broken_promise
        if bp is not None and bp.channel not in sc.channels:
            out.append(
                (
                    f"policy.ladders.{lname}.on_broken_promise.channel",
                    f"'{bp.channel}' is not a channel; defined: {_names(sc.channels)}",
                )
            )
    if not defaults:
        for seg in sc.population.segments:
            if seg not in covered:
                out.append(
                    (
                        "policy.ladders",
                        f"segment '{seg}' follows no ladder; list it in a ladder's "
                        "'segments' or add a ladder without 'segments'",
                    )
                )
    return out
