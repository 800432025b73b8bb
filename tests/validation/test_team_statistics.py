"""Honest team statistics: over shipped scenarios, rulebooks and random ladders, work done never
exceeds work due, service level and utilisation stay in [0, 1], and the teams table agrees with
the daily series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import collectsim as cs
from collectsim.scenario.rulebooks import PRESETS

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.toml"))


def _short(sc: cs.Scenario) -> cs.Scenario:
    over = {"population.accounts": 1000, "horizon.days": 60}
    if sc.population.mode == "inflow":
        over["population.inflow_days"] = 30
    return cs.with_overrides(sc, over)


def _min_handle_minutes(spec) -> float:
    """A lower bound on one item's minutes: the smallest value any handle-time distribution can take."""
    lows = []
    for d in (spec.handle_minutes.no_answer, spec.handle_minutes.wrong_party, spec.handle_minutes.right_party):
        lows.append({"constant": d.value, "uniform": d.low, "triangular": d.low}.get(d.dist, 0.0) or 0.0)
    return min(lows)


def assert_honest(r: cs.RunResult, sc: cs.Scenario) -> None:
    teams = r.teams.set_index("team")
    d = r.daily
    for name, row in teams.iterrows():
        due, done, voided = d[f"due_{name}"], d[f"done_{name}"], d[f"voided_{name}"]
        assert (done <= due - voided).all(), f"{name}: done > due − voided on some day"
        assert row["done"] <= row["due"] - row["voided"]
        if not np.isnan(row["service_level"]):
            assert 0.0 <= row["service_level"] <= 1.0
        if row["floor_minutes"] > 0:
            assert 0.0 <= row["utilisation"] <= 1.0 + 1e-9
            floor = d[f"floor_min_{name}"]
            weighted = float((d[f"util_{name}"].fillna(0.0) * floor).sum() / floor.sum())
            assert row["utilisation"] == pytest.approx(weighted, rel=1e-9, abs=1e-12)
        assert row["busy_minutes"] <= row["floor_minutes"] + 1e-6
        lo = _min_handle_minutes(sc.teams[name])
        if lo > 0:
            assert row["attempts"] <= row["floor_minutes"] / lo + row["on_floor"] * row["days_worked"]


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shipped_scenarios_are_honest(path: Path) -> None:
    """Every shipped scenario: done ≤ due − voided each day, fractions in [0, 1], tables agree."""
    sc = _short(cs.load_scenario(path))
    assert_honest(cs.simulate(sc, seed=3), sc)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_rulebooks_are_honest(small: cs.Scenario, preset: str) -> None:
    """Deferred and blocked work is never counted as done, under each shipped rulebook."""
    sc = _short(cs.with_overrides(small, {"conduct.presets": [preset]}))
    assert_honest(cs.simulate(sc, seed=5), sc)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    call_every=st.integers(1, 6),
    call_start=st.integers(1, 20),
    late_every=st.integers(1, 6),
    early_hc=st.integers(0, 6),
    late_hc=st.integers(0, 4),
    backlog=st.sampled_from(["carry", "expire"]),
    priority=st.sampled_from(["expected_value", "dpd", "fifo"]),
    one_call=st.booleans(),
)
def test_random_ladders_are_honest(
    small: cs.Scenario, call_every, call_start, late_every, early_hc, late_hc, backlog, priority, one_call
) -> None:
    """Random call cadences, headcounts, backlog rules and priorities keep the team statistics honest."""
    stages = [s.model_dump() for s in small.policy.ladders["standard"].stages]
    stages[0]["actions"][-1].update(every_days=call_every, start_dpd=call_start)
    stages[1]["actions"][1].update(every_days=late_every)
    sc = cs.with_overrides(
        small,
        {
            "population.accounts": 600,
            "horizon.days": 60,
            "policy.ladders.standard.stages": stages,
            "teams.early_callers.headcount": early_hc,
            "teams.late_callers.headcount": late_hc,
            "teams.early_callers.backlog": backlog,
            "policy.priority": priority,
            "policy.one_call_per_day": one_call,
        },
    )
    assert_honest(cs.simulate(sc, seed=2), sc)


def test_done_is_real_work(small_run: cs.RunResult) -> None:
    """Items done equal the attempts made (calls, visits) or cases filed: voided items are not done."""
    t = small_run.teams.set_index("team")
    for name in ("early_callers", "late_callers", "field_agents"):
        assert t.loc[name, "done"] == t.loc[name, "attempts"]
    assert t.loc["legal_officers", "done"] == small_run.kpis["legal_filed"]
    assert t["voided"].sum() > 0


def test_stale_work_is_voided(small_run: cs.RunResult, small: cs.Scenario) -> None:
    """No early-stage call happens past DPD 30 and no account gets two outbound calls a day."""
    ev, acc = small_run.events, small_run.accounts.set_index("account")
    kinds = {k: c.kind for k, c in small.channels.items()}
    ev = ev.assign(kind=ev["channel"].astype(str).map(kinds))
    dpd = acc.loc[ev["account"], "entry_dpd"].to_numpy() + ev["day"].to_numpy() - acc.loc[ev["account"], "entry_day"]
    ev = ev.assign(dpd=dpd.to_numpy())
    early = ev[ev["rule"].astype(str).str.contains("/early/") & (ev["kind"] == "call")]
    assert len(early) > 0 and early["dpd"].max() <= 30
    outbound = ev[(ev["kind"] == "call") & (ev["outcome"].astype(str) != "inbound")]
    assert outbound.groupby(["account", "day"]).size().max() == 1
    # No work reaches an account after it left in-house collection.
    closed = acc["resolution_day"].reindex(ev["account"]).to_numpy()
    worked = ev["kind"].isin(["call", "visit"]).to_numpy() & (ev["outcome"].astype(str) != "inbound").to_numpy()
    after = worked & (closed >= 0) & (ev["day"].to_numpy() > closed)
    assert not after.any()


def test_calls_per_day_unlimited_when_asked(small: cs.Scenario) -> None:
    """With one_call_per_day off, a broken-promise call and a stage call may meet on one day."""
    sc = cs.with_overrides(small, {"policy.one_call_per_day": False, "horizon.days": 90})
    on = cs.simulate(cs.with_overrides(sc, {"policy.one_call_per_day": True}), seed=4, record_events=True)
    off = cs.simulate(sc, seed=4, record_events=True)
    kinds = {k: c.kind for k, c in small.channels.items()}

    def doubles(r: cs.RunResult) -> int:
        ev = r.events
        ev = ev[(ev["channel"].astype(str).map(kinds) == "call") & (ev["outcome"] != "inbound")]
        return int((ev.groupby(["account", "day"]).size() > 1).sum())

    assert doubles(on) == 0
    assert doubles(off) > 0
