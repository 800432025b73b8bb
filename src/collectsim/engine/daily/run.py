"""``simulate(scenario, seed)`` → ``RunResult``: build the simulation, run its days, assemble its results.

``SteppedRun`` is the same run advanced a stretch of days at a time, for a caller that decides between
stretches (a learning agent behind ``collectsim.gym``). No I/O, no globals, no wall clock: everything a
run depends on is its arguments.
"""

from __future__ import annotations

from collectsim.engine.daily.assemble import run_result
from collectsim.engine.daily.loop import Progress, Simulation
from collectsim.errors import CollectsimError
from collectsim.policy import AccountView, Policy
from collectsim.policy.ladder import LadderPolicy
from collectsim.results import RunResult
from collectsim.scenario.schema import Scenario


def simulate(
    scenario: Scenario,
    seed: int,
    *,
    policy: Policy | None = None,
    record_events: bool = False,
    check_invariants: bool = False,
    progress: Progress | None = None,
) -> RunResult:
    """Simulate one run of ``scenario`` with ``seed``.

    ``policy`` replaces the scenario's ladder (a research policy); ``check_invariants``
    verifies money conservation on every account at the end of every day;
    ``progress(done_days, total_days)`` is called once per simulated day.
    """
    sim = Simulation(
        scenario,
        seed,
        policy or LadderPolicy(),
        record_events=record_events,
        check_invariants=check_invariants,
        progress=progress,
    )
    sim.run()
    return run_result(sim, seed, take=True)  # ``sim`` ends here: its arrays can become the accounts table


class SteppedRun:
    """One run of ``simulate``, advanced ``days`` at a time: the same days, events and draws in the same order.

    Between two stretches the caller reads what a policy may read (``view``, the last row of the daily
    series) and may change what its own ``policy`` object will decide next; nothing else of the run is
    reachable. Advanced to the horizon, ``result()`` equals ``simulate(scenario, seed, policy=policy)``
    in every KPI and table (``meta["simpy_events"]`` also counts the pauses).
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        *,
        policy: Policy | None = None,
        record_events: bool = False,
        check_invariants: bool = False,
    ) -> None:
        self._sim = Simulation(
            scenario,
            seed,
            policy or LadderPolicy(),
            record_events=record_events,
            check_invariants=check_invariants,
            progress=None,
        )
        self._sim.start()
        self._seed = seed
        self.horizon = scenario.horizon.days
        self.day = 0  # days simulated so far: the next day to simulate

    @property
    def done(self) -> bool:
        """Whether the run has reached its horizon."""
        return self.day >= self.horizon

    @property
    def view(self) -> AccountView:
        """The read-only observable state of every account, as the policy sees it (live: it moves on)."""
        return self._sim.view

    def advance(self, days: int) -> int:
        """Simulate the next ``days`` days (fewer at the horizon); returns how many were simulated."""
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise CollectsimError(f"advance: days must be an integer ≥ 1, got {days!r}")
        if self.done:
            raise CollectsimError(f"advance: the run has reached its horizon (day {self.horizon})")
        end = min(self.day + days, self.horizon)
        self._sim.run_until(end)
        simulated, self.day = end - self.day, end
        return simulated

    def last_day(self) -> dict[str, float]:
        """The daily-series row of the last simulated day: the columns of ``RunResult.daily``."""
        daily = self._sim.recorder.daily
        if not daily:
            raise CollectsimError("last_day: no day has been simulated yet")
        return {k: v[-1] for k, v in daily.items()}

    def result(self) -> RunResult:
        """The ``RunResult`` of the run, once it has reached its horizon."""
        if not self.done:
            raise CollectsimError(f"result: the run is at day {self.day} of {self.horizon}; advance it first")
        return run_result(self._sim, self._seed)
