"""The engine: ``simulate(scenario, seed)`` → ``RunResult``. No I/O, no globals, no wall clock."""

from collectsim.engine.daily.run import simulate

__all__ = ["simulate"]
