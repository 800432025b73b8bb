"""Checks before any simulation: the results can be written, and the runs fit in memory.

A run that fails after an hour because ``--results`` is a file, or that takes the machine
down because ``population.accounts = 20000000`` does not fit, costs more than a one-line
refusal up front. Both checks are conservative estimates and name the limit.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import collectsim as cs
from collectsim.errors import CollectsimError

# Peak memory of one run, measured on the baseline (180 days): 2.9 kB per account at 100,000
# accounts, 3.2 kB at 20,000; the event log adds about 29 bytes per account per day.
BYTES_PER_ACCOUNT = 3_200
EVENT_BYTES_PER_ACCOUNT_DAY = 30
SAFETY = 1.25  # pandas copies while assembling the result tables
MEMORY_SHARE = 0.8  # of the memory available now: leave the rest to the system and other users


def check_default_file(path: Path, flag: str) -> None:
    """A relative scenario path that does not resolve from here, most often a flag's default inside the project
    (``scenarios/baseline.toml``) read from another folder: say where it was looked for and what to do, rather
    than a bare "does not exist" for a file the user may never have named."""
    if not path.is_absolute() and not path.exists():
        raise CollectsimError(
            f"{flag} {path}: no such file in the current folder ({Path.cwd()}); run from the project folder "
            f"or give {flag} the scenario's path"
        )


def check_results_root(root: Path, flag: str = "--results") -> None:
    """Refuse a results root that is a file, lies under a file, or cannot be written — before any run.

    The deepest existing folder on the way is probed by creating and removing a temporary folder
    in it, which is the one test that also holds for root users and read-only file systems.
    """
    root = Path(root)
    probe = root
    while not probe.exists():
        if probe.is_symlink():
            raise CollectsimError(f"{flag}: '{probe}' is a broken link")
        parent = probe.parent
        if parent == probe:
            break
        probe = parent
    if not probe.is_dir():
        where = "is a file" if probe == root else f"is under '{probe}', which is a file"
        raise CollectsimError(f"{flag}: '{root}' {where}; give a folder")
    try:
        with tempfile.TemporaryDirectory(prefix=".collectsim-probe-", dir=probe):
            pass
    except OSError as exc:
        raise CollectsimError(f"{flag}: cannot write in '{probe}': {exc.strerror or exc}") from None


def run_bytes(scenario: cs.Scenario, *, events: bool = False) -> int:
    """Estimated peak memory of one run of ``scenario``, in bytes."""
    per_account = BYTES_PER_ACCOUNT + (EVENT_BYTES_PER_ACCOUNT_DAY * scenario.horizon.days if events else 0)
    return int(SAFETY * per_account * scenario.population.accounts)


def available_bytes() -> int | None:
    """Memory available to new work now (Linux ``MemAvailable``, within a cgroup limit), or None if unknown."""
    avail = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                avail = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            return None
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
        if limit != "max":
            room = int(limit) - used
            avail = room if avail is None else min(avail, room)
    except (OSError, ValueError):
        pass
    return avail


def check_memory(scenario: cs.Scenario, *, at_once: int = 1, events: bool = False, what: str = "") -> None:
    """Refuse when ``at_once`` concurrent runs of ``scenario`` would not fit in the memory available."""
    avail = available_bytes()
    if avail is None:
        return
    need = run_bytes(scenario, events=events) * max(1, at_once)
    limit = int(avail * MEMORY_SHARE)
    if need > limit:
        runs = f" × {at_once} runs at once" if at_once > 1 else ""
        hint = "fewer --workers or " if at_once > 1 else ""
        raise CollectsimError(
            f"{what or scenario.name}: {scenario.population.accounts:,} accounts{runs} need about "
            f"{need / 1e9:.1f} GB, more than the {limit / 1e9:.1f} GB this machine can spare now; "
            f"use {hint}fewer accounts (population.accounts)"
        )
