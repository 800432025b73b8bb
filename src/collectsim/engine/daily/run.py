"""``simulate(scenario, seed)`` → ``RunResult``: build the simulation, run its days, assemble its results.

No I/O, no globals, no wall clock: everything a run depends on is its arguments.
"""

from __future__ import annotations

from collectsim.engine.daily.assemble import run_result
from collectsim.engine.daily.loop import Progress, Simulation
from collectsim.policy import Policy
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
    return run_result(sim, seed)
