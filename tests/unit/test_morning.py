"""The morning's DPD step: the calendar ages exactly the accounts that have entered, masked or not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import collectsim as cs
from collectsim.engine.daily.loop import Simulation
from collectsim.policy.ladder import LadderPolicy

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _simulation(over: dict) -> Simulation:
    sc = cs.load_scenario(SCENARIOS / "baseline.toml", {"population.accounts": 400, **over})
    return Simulation(sc, 3, LadderPolicy(), record_events=False, check_invariants=True, progress=None)


@pytest.mark.parametrize(
    "over", [{}, {"population.mode": "inflow", "population.inflow_days": 5}], ids=["cohort", "inflow"]
)
def test_dpd_is_entry_dpd_plus_days_since_entry_and_pending_accounts_wait(over: dict) -> None:
    """Before, on and after the last entry day (the unmasked add): entered accounts age a day each
    morning from their DPD at entry; accounts still to enter keep DPD 0."""
    sim = _simulation(over)
    s, p = sim.state, sim.state.pop
    for day in range(8):
        sim._morning(day)
        entered = p.entry_day <= day
        assert np.array_equal(s.dpd[entered], p.entry_dpd[entered] + (day - p.entry_day[entered]))
        assert not s.dpd[~entered].any()
    assert np.array_equal(sim._entering(3), np.searchsorted(sim.arrival_days, [3, 4]))
