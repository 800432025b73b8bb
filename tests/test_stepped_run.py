"""``SteppedRun``: a run paused at whole days and resumed is the run ``simulate`` makes, bit for bit."""

from __future__ import annotations

import pytest

import collectsim as cs
from collectsim.engine import SteppedRun
from test_pinned_runs import RUNS, differences, fingerprint, pinned_run, pins


@pytest.mark.parametrize(("name", "days"), [("baseline", 7), ("staffing_inflow", 3), ("debt_sale_inflow", 11)])
def test_stepped_run_matches_the_pinned_run(name: str, days: int) -> None:
    """Advanced ``days`` at a time to the horizon, every KPI and table equals the pinned straight run."""
    sc = pinned_run(name)
    run = SteppedRun(sc, RUNS[name][2], record_events=True)
    steps = 0
    while not run.done:
        before = run.day
        assert run.advance(days) == min(days, sc.horizon.days - before) == run.day - before
        steps += 1
    assert steps == -(-sc.horizon.days // days)
    assert not differences(fingerprint(run.result()), pins()[name])


def test_last_day_is_the_daily_row(small: cs.Scenario) -> None:
    """Between stretches ``last_day()`` is the daily-series row of the last simulated day."""
    run = SteppedRun(small, 4)
    rows = []
    while not run.done:
        run.advance(30)
        rows.append(run.last_day())
    daily = run.result().daily
    assert [r["day"] for r in rows] == [29, 59, 89, 119, 149, 179]
    for r in rows:
        assert daily.loc[daily["day"] == r["day"]].iloc[0].to_dict() == pytest.approx(r, nan_ok=True)


def test_stepped_run_refuses_what_it_cannot_do(small: cs.Scenario) -> None:
    """No result before the horizon, no day after it, no row before the first day; bad day counts named."""
    run = SteppedRun(small, 1)
    with pytest.raises(cs.CollectsimError, match="no day has been simulated"):
        run.last_day()
    with pytest.raises(cs.CollectsimError, match="advance it first"):
        run.result()
    for bad in (0, -3, 1.5, True):
        with pytest.raises(cs.CollectsimError, match="integer ≥ 1"):
            run.advance(bad)
    assert run.advance(1000) == small.horizon.days
    with pytest.raises(cs.CollectsimError, match="reached its horizon"):
        run.advance(1)
