"""Known answers for a saturated team: items per agent-day and overtime follow from the shift and
the handle time alone."""

from __future__ import annotations

import math

import pytest

import collectsim as cs

SHIFT_MINUTES = 8 * 60


def _constant_team(small: cs.Scenario, minutes: float, headcount: int, **extra) -> cs.Scenario:
    const = {"dist": "constant", "value": minutes}
    over = {
        "horizon.days": 21,
        "teams.early_callers.headcount": headcount,
        "teams.early_callers.handle_minutes.no_answer": const,
        "teams.early_callers.handle_minutes.wrong_party": const,
        "teams.early_callers.handle_minutes.right_party": const,
        "teams.early_callers.handle_minutes.wrap_up": {"dist": "constant", "value": 0.0},
    }
    return cs.with_overrides(small, over | extra)


def _saturated_days(r: cs.RunResult, team: str):
    d = r.daily
    return d[(d[f"done_{team}"] > 0) & (d[f"queue_{team}"] > 0)]


@pytest.mark.parametrize("minutes", [4.0, 7.0])
def test_saturated_team_attempts_equal_floor_time_over_handle_time(small: cs.Scenario, minutes: float) -> None:
    """A saturated agent takes ⌈shift ÷ handle time⌉ items a day; the last one runs into overtime."""
    r = cs.simulate(_constant_team(small, minutes, headcount=2), seed=1)
    days = _saturated_days(r, "early_callers")
    assert len(days) >= 10
    per_agent = math.ceil(SHIFT_MINUTES / minutes)
    assert (days["done_early_callers"] == 2 * per_agent).all()
    overtime = per_agent * minutes - SHIFT_MINUTES
    assert days["overtime_min_early_callers"].to_numpy() == pytest.approx(2 * overtime)


def test_overtime_is_paid_at_the_overtime_rate(small: cs.Scenario) -> None:
    """Team cost = rostered days × day rate + overtime minutes × rate × day rate ÷ shift minutes."""
    r = cs.simulate(_constant_team(small, 7.0, headcount=2, **{"teams.early_callers.overtime_rate": 2.0}), seed=1)
    t = r.teams.set_index("team").loc["early_callers"]
    assert t["overtime_minutes"] > 0
    assert t["overtime_cost"] == pytest.approx(t["overtime_minutes"] * 2.0 * 240.0 / SHIFT_MINUTES)
    rostered_days = r.daily.shape[0] // 7 * 5  # 21 days from a Monday: 15 working days
    assert t["cost"] == pytest.approx(2 * rostered_days * 240.0 + t["overtime_cost"])
    assert r.kpis["cost_team"] == pytest.approx(r.teams["cost"].sum())


def test_no_work_starts_after_shift(small_run: cs.RunResult, small: cs.Scenario) -> None:
    """Every team attempt starts inside its team's shift (9:00–17:00)."""
    ev = small_run.events
    kinds = {k: c.kind for k, c in small.channels.items()}
    team = ev[ev["channel"].astype(str).map(kinds).isin(["call", "visit"]) & (ev["outcome"] != "inbound")]
    hour = (team["time"] % 1.0) * 24.0
    assert len(team) > 0
    assert ((hour >= 9.0 - 1e-9) & (hour < 17.0)).all()
