"""collectsim: a discrete-event simulator for testing debt-collection strategies.

The public names are imported on first use (PEP 562), so ``import collectsim`` — and every
command-line start and worker process — pays only for what it touches.
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING

__version__ = "0.1.0"

from collectsim.lazy import lazy_attributes as _lazy_attributes

_HOMES = {
    "ActionPlan": "collectsim.policy",
    "CollectsimError": "collectsim.errors",
    "Comparison": "collectsim.results",
    "ExperimentResult": "collectsim.results",
    "HistoryFit": "collectsim.calibration.history_fit",
    "Optimisation": "collectsim.experiments.optimise",
    "Policy": "collectsim.policy",
    "RunResult": "collectsim.results",
    "Scenario": "collectsim.scenario",
    "ScenarioError": "collectsim.errors",
    "TargetFit": "collectsim.calibration.fit",
    "calibrate_targets": "collectsim.calibration.fit",
    "compare": "collectsim.experiments",
    "fit_histories": "collectsim.calibration.history_fit",
    "load_scenario": "collectsim.scenario",
    "optimise": "collectsim.experiments.optimise",
    "replicate": "collectsim.experiments",
    "simulate": "collectsim.engine",
    "sweep": "collectsim.experiments",
    "with_overrides": "collectsim.scenario",
}

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


__getattr__ = _lazy_attributes("collectsim", _HOMES, globals())


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})


if _TYPE_CHECKING:
    from collectsim.calibration.fit import TargetFit, calibrate_targets
    from collectsim.calibration.history_fit import HistoryFit, fit_histories
    from collectsim.engine import simulate
    from collectsim.errors import CollectsimError, ScenarioError
    from collectsim.experiments import compare, replicate, sweep
    from collectsim.experiments.optimise import Optimisation, optimise
    from collectsim.policy import ActionPlan, Policy
    from collectsim.results import Comparison, ExperimentResult, RunResult
    from collectsim.scenario import Scenario, load_scenario, with_overrides
