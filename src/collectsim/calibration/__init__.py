"""Calibration: fit scenario parameters to what a real portfolio shows.

``calibrate_targets`` fits free scenario fields to aggregate KPI targets (a targets file)
by simulation under common random numbers; ``load_targets`` reads and checks such a file.
``fit_histories`` fits the repayment intensity to account histories by its exact likelihood.
Names load on first use (PEP 562), so the command line can read ``METHODS`` without the fitting code.
"""

from collectsim.lazy import lazy_attributes as _lazy_attributes

_HOMES = {
    "METHODS": "collectsim.calibration.methods",
    "FreeParameter": "collectsim.calibration.targets",
    "HistoryFit": "collectsim.calibration.history_fit",
    "Target": "collectsim.calibration.targets",
    "TargetFit": "collectsim.calibration.fit",
    "TargetsSpec": "collectsim.calibration.targets",
    "calibrate_targets": "collectsim.calibration.fit",
    "check_targets": "collectsim.calibration.targets",
    "fit_histories": "collectsim.calibration.history_fit",
    "load_targets": "collectsim.calibration.targets",
}

__all__ = sorted(_HOMES)


__getattr__ = _lazy_attributes("collectsim.calibration", _HOMES, globals())
