"""Shared fixtures: the shipped baseline shrunk to test size."""

from __future__ import annotations

from pathlib import Path

import pytest

import collectsim as cs

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "baseline.toml"


@pytest.fixture(scope="session")
def baseline() -> cs.Scenario:
    return cs.load_scenario(BASELINE)


@pytest.fixture(scope="session")
def small(baseline: cs.Scenario) -> cs.Scenario:
    """Baseline at 3,000 accounts: every mechanism fires, a run takes well under a second."""
    return cs.with_overrides(baseline, {"population.accounts": 3000})


@pytest.fixture(scope="session")
def slow_payers() -> cs.Scenario:
    """The baseline as it was before its behaviour was calibrated (the frozen copy tests/pinned/baseline.toml:
    flat, slower payment intensities and small treatment effects) at 3,000 accounts. Many accounts reach the
    late stages (legal action, agency, charge-off), so tests of those mechanisms have volume to count on."""
    frozen = cs.load_scenario(ROOT / "tests" / "pinned" / "baseline.toml")
    return cs.with_overrides(frozen, {"population.accounts": 3000})


@pytest.fixture(scope="session")
def small_run(small: cs.Scenario) -> cs.RunResult:
    return cs.simulate(small, seed=11, record_events=True, check_invariants=True)
