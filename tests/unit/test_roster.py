"""The team model: shifts, shrinkage, occupancy cap, dialer pacing, helping teams, inbound callbacks."""

from __future__ import annotations

import math

import numpy as np
import pytest

import collectsim as cs
from collectsim.engine.operations.teams import attendance, roster, split_headcount
from collectsim.scenario.schema import Shift, Team


def test_split_headcount_largest_remainder() -> None:
    """Shares of a headcount are whole agents that add up to the headcount."""
    assert split_headcount(10, [0.6, 0.4]) == [6, 4]
    assert split_headcount(7, [0.5, 0.5]) in ([4, 3], [3, 4])
    assert sum(split_headcount(13, [0.2, 0.3, 0.5])) == 13


def test_roster_applies_shrinkage_per_shift() -> None:
    """A shift gets a post for every agent it may field; each keeps its shift's hours and days."""
    spec = Team(
        headcount=10,
        shrinkage=0.3,
        shifts=(Shift(start=8, end=16, share=0.6), Shift(start=12, end=20, share=0.4, working_days=("sat",))),
    )
    posts, paid = roster(spec, ("mon", "tue"))
    assert [n for n, _ in paid] == [6, 4]
    assert sum(1 for p in posts if p.start == 8 / 24) == 5  # ⌈6 × 0.7⌉ = ⌈4.2⌉
    assert sum(1 for p in posts if p.start == 12 / 24) == 3  # ⌈4 × 0.7⌉ = ⌈2.8⌉
    assert all(p.weekdays == {5} for p in posts if p.start == 12 / 24)
    exact = Team(headcount=10, shrinkage=0.3)  # 10 × 0.7 is 7 in exact arithmetic, not quite in floats
    assert len(roster(exact, ("mon",))[0]) == 7


def two_shifts(headcount: int, shrinkage: float = 0.3) -> Team:
    return Team(
        headcount=headcount,
        shrinkage=shrinkage,
        shifts=(Shift(start=8, end=16, share=0.5), Shift(start=12, end=20, share=0.5)),
    )


@pytest.mark.parametrize("headcount", [1, 2, 3, 4, 7, 10])
@pytest.mark.parametrize("shrinkage", [0.0, 0.15, 0.3, 0.6])
def test_attendance_fields_the_rostered_less_shrinkage_on_average(headcount: int, shrinkage: float) -> None:
    """Each shift fields ⌊x⌋ or ⌈x⌉ agents on its working days, x = rostered × (1 − shrinkage), and every
    run of working days is within half an agent-day of x a day; nobody is on the floor on other days."""
    spec = two_shifts(headcount, shrinkage)
    days = ("mon", "tue", "wed", "thu", "fri")
    _, paid = roster(spec, days)
    floor = attendance(spec, days, 2, (headcount,), 200)  # from a Wednesday
    weekday = (2 + np.arange(200)) % 7
    for k, (n, _) in enumerate(paid):
        x = n * (1 - shrinkage)
        on = floor[k, weekday < 5]
        assert (floor[k, weekday >= 5] == 0).all()
        assert set(on) <= {math.floor(x + 1e-9), math.ceil(x - 1e-9)}
        runs = np.cumsum(on) - x * np.arange(1, on.size + 1)
        assert np.abs(runs).max() <= 0.5 + 1e-9
        assert np.abs(runs[-1]) <= 0.5 + 1e-9  # so the mean over 143 working days is x within 0.0035


def test_more_rostered_agents_put_more_on_the_floor() -> None:
    """At 30% shrinkage over two shifts, 2, 3 and 4 rostered agents field 1.4, 2.1 and 2.8 a day
    (rounding each shift's 0.7, 1.4 would have put all three at 2)."""
    days = ("mon", "tue", "wed", "thu", "fri")
    weekly = [attendance(two_shifts(h), days, 0, (h,), 70).sum() / 50 for h in (2, 3, 4)]
    assert weekly == pytest.approx([1.4, 2.1, 2.8], abs=0.05)


def test_floor_time_and_attempts_grow_with_every_rostered_agent(small: cs.Scenario) -> None:
    """At 30% shrinkage, on-floor minutes are 1.4, 2.1 and 2.8 shifts a day for 2, 3 and 4 rostered agents,
    and attempts grow with them."""
    out = []
    for h in (2, 3, 4):
        over = {"teams.late_callers.headcount": h, "teams.late_callers.shrinkage": 0.3, "horizon.days": 90}
        t = cs.simulate(cs.with_overrides(small, over), seed=1).teams.set_index("team").loc["late_callers"]
        out.append((t["on_floor"], t["floor_minutes"] - t["overtime_minutes"], t["attempts"]))
    on_floor, minutes, attempts = zip(*out, strict=True)
    assert on_floor == pytest.approx([1.4, 2.1, 2.8], abs=0.05)
    assert np.array(minutes) / minutes[0] == pytest.approx([1.0, 1.5, 2.0], abs=0.05)
    assert attempts[0] < attempts[1] < attempts[2]


def test_attendance_follows_a_weekly_plan() -> None:
    """A weekly plan changes the expected agents week by week; weeks past it keep its last value."""
    spec = Team(headcount=10, shrinkage=0.25, weekly_headcount=(10, 4))
    floor = attendance(spec, ("mon", "tue", "wed", "thu", "fri"), 0, (10, 4), 35)[0]
    assert floor[:5].mean() == pytest.approx(7.5, abs=0.1)
    assert floor[7:].reshape(4, 7)[:, :5].mean() == pytest.approx(3.0)


def test_shrinkage_costs_but_does_not_work(small: cs.Scenario) -> None:
    """Shrinkage keeps the cost of rostered agents and removes their attempts."""
    full = cs.simulate(cs.with_overrides(small, {"teams.late_callers.headcount": 2}), seed=1).teams
    shrunk = cs.simulate(
        cs.with_overrides(small, {"teams.late_callers.headcount": 2, "teams.late_callers.shrinkage": 0.5}), seed=1
    ).teams
    a, b = full.set_index("team").loc["late_callers"], shrunk.set_index("team").loc["late_callers"]
    assert b["on_floor"] == 1 and a["on_floor"] == 2
    assert b["cost"] - b["overtime_cost"] == a["cost"] - a["overtime_cost"]  # the same rostered pay
    assert b["attempts"] < a["attempts"]


def test_occupancy_cap(small: cs.Scenario) -> None:
    """With occupancy capped at 60%, a saturated team is busy at most 60% of its shift."""
    sc = cs.with_overrides(small, {"teams.late_callers.headcount": 1, "teams.late_callers.max_occupancy": 0.6})
    util = cs.simulate(sc, seed=1).teams.set_index("team").loc["late_callers", "utilisation"]
    uncapped = cs.simulate(cs.with_overrides(sc, {"teams.late_callers.max_occupancy": 1.0}), seed=1).teams
    assert 0 < util <= 0.6 + 1e-9
    assert uncapped.set_index("team").loc["late_callers", "utilisation"] > util


def test_dialer_pacing_caps_rpc_rate(small: cs.Scenario) -> None:
    """Right-party contacts never exceed max_rpc_per_hour per agent-hour worked."""
    sc = cs.with_overrides(
        small,
        {
            "teams.late_callers.headcount": 2,
            "teams.late_callers.max_rpc_per_hour": 3.0,
            "channels.late_call.rpc_prob": 1.0,
            "channels.late_call.contact_prob": 1.0,
        },
    )
    r = cs.simulate(sc, seed=1, record_events=True)
    ev = r.events[(r.events["channel"] == "late_call") & (r.events["outcome"] == "right_party")]
    per_day = ev.groupby("day").size()
    # 2 agents × 8 h × 3 RPC/h = 48, plus one RPC each that may start in the last 20 minutes.
    assert per_day.max() <= 48 + 2
    unpaced = cs.simulate(cs.with_overrides(sc, {"teams.late_callers.max_rpc_per_hour": 1000.0}), seed=1)
    assert unpaced.kpis["team.late_callers.rpcs"] > r.kpis["team.late_callers.rpcs"]


def test_helping_team_works_other_queue(small: cs.Scenario) -> None:
    """A team with no work of its own takes items from the team it helps."""
    sc = cs.with_overrides(
        small, {"teams.early_callers.headcount": 0, "teams.field_agents.helps": ["early_callers"], "horizon.days": 30}
    )
    r = cs.simulate(sc, seed=1)
    assert r.kpis["channel.call.sent"] > 0
    assert r.kpis["team.field_agents.attempts"] == r.kpis["channel.call.sent"]


def test_inbound_callbacks_answered_first(small: cs.Scenario) -> None:
    """Borrowers call back after an SMS; the answering team takes those calls, mostly at once."""
    sc = cs.with_overrides(
        small,
        {"channels.sms.callback": "call", "channels.sms.callback_prob": 0.2, "calendar.contact_hours": [9.0, 17.0]},
    )
    r = cs.simulate(sc, seed=3, record_events=True)
    team = r.teams.set_index("team").loc["early_callers"]
    assert team["inbound_calls"] > 100
    assert team["inbound_answered"] > 0.9 * team["inbound_calls"]
    assert team["inbound_asa_s"] < 600
    assert (r.events["outcome"] == "inbound").sum() == team["inbound_answered"]


def test_bad_callback_channel(small: cs.Scenario) -> None:
    """A callback must name a channel answered by a team."""
    with pytest.raises(cs.ScenarioError, match="answered by a team"):
        cs.with_overrides(small, {"channels.sms.callback": "email"})


def test_weekly_plan_rosters_and_pays_by_week(small: cs.Scenario) -> None:
    """With a weekly plan, cost and on-floor time follow the plan week by week (last value repeats)."""
    sc = cs.with_overrides(
        small, {"horizon.days": 70, "teams.early_callers.weekly_headcount": [12, 12, 12, 12, 12, 4]}
    )
    r = cs.simulate(sc, seed=1)
    t = r.teams.set_index("team").loc["early_callers"]
    # 10 weeks from a Monday, 5 working days each: 5 weeks × 12 agents + 5 weeks × 4 agents.
    assert t["cost"] - t["overtime_cost"] == pytest.approx((25 * 12 + 25 * 4) * 240.0)
    floor = r.daily["floor_min_early_callers"].to_numpy()
    worked = floor > 0
    assert (floor[:35][worked[:35]] >= 12 * 480 - 1e-6).all()
    assert floor[35:][worked[35:]].tolist() == pytest.approx([4 * 480.0] * 25)
    assert worked[35:].sum() == 25


def test_weekly_plan_must_peak_at_headcount(small: cs.Scenario) -> None:
    """A plan whose peak differs from the headcount is refused with the field named."""
    with pytest.raises(cs.CollectsimError, match="weekly_headcount"):
        cs.with_overrides(small, {"teams.early_callers.weekly_headcount": [20, 10]})


def test_every_agent_a_weekly_plan_fields_has_a_post(small: cs.Scenario) -> None:
    """Three shifts split 5 agents 2, 0, 3 but 4 agents 1, 1, 2 (largest remainder is not monotone): in the
    4-agent weeks the middle shift's agent works, so on-floor minutes are exactly attendance × shift length."""
    shifts = [
        {"start": 8.0, "end": 14.0, "share": 0.3},
        {"start": 10.0, "end": 16.0, "share": 0.1},
        {"start": 12.0, "end": 18.0, "share": 0.6},
    ]
    over = {
        "teams.late_callers.headcount": 5,
        "teams.late_callers.weekly_headcount": [5, 4],
        "teams.late_callers.shifts": shifts,
        "horizon.days": 28,
    }
    sc = cs.with_overrides(small, over)
    spec = sc.teams["late_callers"]
    floor = attendance(spec, sc.calendar.working_days, 0, (5, 4), 28)
    assert floor[1].max() == 1  # the middle shift fields an agent only in the 4-agent weeks
    t = cs.simulate(sc, seed=1).teams.set_index("team").loc["late_callers"]
    assert t["floor_minutes"] - t["overtime_minutes"] == pytest.approx(floor.sum(axis=1) @ np.full(3, 360.0))
