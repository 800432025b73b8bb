"""The engine: ``simulate(scenario, seed)`` → ``RunResult``. No I/O, no globals, no wall clock.

``SteppedRun`` is the same run advanced a stretch of days at a time (the seam for ``collectsim.gym``).
"""

from collectsim.engine.daily.run import SteppedRun, simulate

__all__ = ["SteppedRun", "simulate"]
