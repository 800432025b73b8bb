"""Calibration: fit scenario parameters to what a real portfolio shows.

``calibrate_targets`` fits free scenario fields to aggregate KPI targets (a targets file)
by simulation under common random numbers; ``load_targets`` reads and checks such a file.
``fit_histories`` fits the repayment intensity to account histories by its exact likelihood.
"""

from collectsim.calibration.fit import METHODS, TargetFit, calibrate_targets
from collectsim.calibration.history_fit import HistoryFit, fit_histories
from collectsim.calibration.targets import FreeParameter, Target, TargetsSpec, check_targets, load_targets

__all__ = [
    "METHODS",
    "FreeParameter",
    "HistoryFit",
    "Target",
    "TargetFit",
    "TargetsSpec",
    "calibrate_targets",
    "check_targets",
    "fit_histories",
    "load_targets",
]
