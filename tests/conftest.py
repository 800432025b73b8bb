"""Shared fixtures: the shipped baseline shrunk to test size."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class CliResult:
    """What ``collectsim …`` gave when called in-process: the exit code and what it printed."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """``cli(args, cwd=None)``: ``collectsim.cli.main(args)`` in this process, as the subprocess tests ran it
    (``python -m collectsim …``) where the test is about what the command does, not about the process: exit code,
    stdout and stderr, an argparse exit included. Saves an interpreter start and the import of the simulator."""
    from collectsim.cli import main

    def run(args: list[str], cwd: Path | None = None) -> CliResult:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        try:
            code = main(args)
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 1
        out = capsys.readouterr()
        return CliResult(code, out.out, out.err)

    return run
