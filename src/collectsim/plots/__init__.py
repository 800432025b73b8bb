"""Figures for reports: pure functions from result tables to matplotlib ``Figure`` objects.

Every function takes tables a run or an experiment has already produced (``RunResult.daily``,
``Comparison.table`` or ``.summary()``, a sweep's ``table``, a staffing ``summary`` …) and returns a
new ``Figure``; none runs the simulator. Figures are built as ``matplotlib.figure.Figure`` with an
Agg canvas attached, never through ``pyplot``: no global figure registry or backend state, so they
render headless and can be drawn from worker threads. Call ``fig.savefig(...)`` to write one.

matplotlib is an optional dependency (the ``plot`` extra). It is imported at the top of this
module because only the report layer imports the module; the engine, policies, metrics and
experiment runners never do (``tests/test_architecture.py`` checks), so simulations need no
plotting stack. Key artists carry a ``gid`` (e.g. ``"waterfall:collected"``) so tests and callers
can find the numbers a figure shows.
"""

from collectsim.plots.calibration import calibration_fit, history_curves, holdout_backtest
from collectsim.plots.experiments import (
    cost_vs_recovery,
    npv_by_policy,
    paired_differences,
    sobol_bars,
    staffing_curve,
    sweep_responses,
)
from collectsim.plots.optimise import confirmed_gains, optimisation_history, parameter_importances, pareto_front
from collectsim.plots.run import (
    account_journeys,
    daily_overview,
    liquidation_curves,
    money_waterfall,
    roll_rate_matrix,
    team_load,
)

__all__ = [
    "account_journeys",
    "calibration_fit",
    "confirmed_gains",
    "cost_vs_recovery",
    "daily_overview",
    "history_curves",
    "holdout_backtest",
    "liquidation_curves",
    "money_waterfall",
    "npv_by_policy",
    "optimisation_history",
    "paired_differences",
    "parameter_importances",
    "pareto_front",
    "roll_rate_matrix",
    "sobol_bars",
    "staffing_curve",
    "sweep_responses",
    "team_load",
]
