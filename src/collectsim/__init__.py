"""collectsim: a discrete-event simulator for testing debt-collection strategies."""

from collectsim.calibration import HistoryFit, TargetFit, calibrate_targets, fit_histories
from collectsim.engine import simulate
from collectsim.errors import CollectsimError, ScenarioError
from collectsim.experiments import compare, replicate, sweep
from collectsim.experiments.optimise import Optimisation, optimise
from collectsim.policy import ActionPlan, Policy
from collectsim.results import Comparison, ExperimentResult, RunResult
from collectsim.scenario import Scenario, load_scenario, with_overrides

__version__ = "0.1.0"

__all__ = [
    "ActionPlan",
    "CollectsimError",
    "Comparison",
    "ExperimentResult",
    "HistoryFit",
    "Optimisation",
    "Policy",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "TargetFit",
    "__version__",
    "calibrate_targets",
    "compare",
    "fit_histories",
    "load_scenario",
    "optimise",
    "replicate",
    "simulate",
    "sweep",
    "with_overrides",
]
