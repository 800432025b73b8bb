"""Everything that writes results: folders for runs, comparisons, staffing and calibrations, and sweeps.

``folders`` builds a folder atomically; ``sweep`` keeps a resumable, locked sweep folder with its
``journal``; ``integrity`` records and checks the files' checksums; ``files`` holds the atomic-write
and clean-up helpers they share. Nothing here writes outside the results folder it is given.
"""

from collectsim.store.folders import (
    fingerprint,
    refuse_existing,
    run_folder_name,
    write_calibration,
    write_comparison,
    write_history_fit,
    write_run,
    write_staffing,
)
from collectsim.store.integrity import verify
from collectsim.store.sweep import SweepStore

__all__ = [
    "SweepStore",
    "fingerprint",
    "refuse_existing",
    "run_folder_name",
    "verify",
    "write_calibration",
    "write_comparison",
    "write_history_fit",
    "write_run",
    "write_staffing",
]
