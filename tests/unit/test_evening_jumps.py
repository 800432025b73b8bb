"""The evening reads and resets the jump sums of flagged accounts only, so every jump must flag its account."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import collectsim as cs
from collectsim.engine.accounts.behaviour import Repayment, repaying
from collectsim.engine.daily.loop import Simulation
from collectsim.policy.ladder import LadderPolicy

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _simulation(name: str, over: dict) -> Simulation:
    sc = cs.load_scenario(SCENARIOS / f"{name}.toml", over)
    return Simulation(sc, 5, LadderPolicy(), record_events=False, check_invariants=True, progress=None)


def _jumps(s) -> np.ndarray:
    return (s.jump_integral != 0) | (s.jump_end != 0)


@pytest.mark.parametrize(
    ("name", "extra"), [("baseline", {}), ("card_statements", {}), ("staffing_inflow", {"population.inflow_days": 40})]
)
def test_every_jump_flags_its_account(name: str, extra: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before each evening no unflagged account has a jump; after it no live account has one, or a flag, left."""
    sim = _simulation(name, {"population.accounts": 400, "horizon.days": 60} | extra)
    s = sim.state
    end_of_day = Repayment.end_of_day
    jumped_before: list[int] = []

    def checked(self: Repayment, day: int):
        assert not np.any(_jumps(s) & ~self.jumped), f"day {day}: a jump on an unflagged account"
        jumped_before.append(int(np.count_nonzero(_jumps(s) & repaying(s))))
        paid = end_of_day(self, day)
        assert not np.any((_jumps(s) | self.jumped) & repaying(s)), f"day {day}: a live account kept its jumps"
        return paid

    monkeypatch.setattr(Repayment, "end_of_day", checked)
    sim.run()
    assert len(jumped_before) == 60 and max(jumped_before) > 0


@pytest.mark.parametrize(("share", "sparse"), [(0.02, True), (0.5, False)])
def test_jump_sums_equal_a_gather_bit_for_bit(share: float, sparse: bool) -> None:
    """Read off the flags (few jumps) or gathered (many), the sums are those of ``sums[live]``."""
    b = _simulation("baseline", {"population.accounts": 2000}).behaviour
    s = b.s
    rng = np.random.default_rng(0)
    hit = np.flatnonzero(rng.random(s.n) < share)
    b.excite(hit, rng.random(hit.size), 0.3)
    live = np.flatnonzero(rng.random(s.n) < 0.6)
    for sums in (s.jump_integral, s.jump_end):
        values, jumped = b._jump_sums(sums, live)
        assert values.tobytes() == sums[live].tobytes()
        assert np.isin(live[sums[live] != 0], jumped).all()
        assert (jumped.size < live.size) == sparse
