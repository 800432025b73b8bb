"""Progress bars are for a person at a terminal: a piped or logged stderr gets the results, not bar frames."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_piped_stderr_gets_no_progress_bar(tmp_path: Path) -> None:
    args = ["compare", str(ROOT / "scenarios" / "baseline.toml"), str(ROOT / "scenarios" / "soft.toml")]
    args += ["-n", "2", "--set", "population.accounts=300", "--set", "horizon.days=30"]
    args += ["--results", str(tmp_path), "--no-report"]
    out = subprocess.run([sys.executable, "-m", "collectsim", *args], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "run/s" not in out.stderr and "%|" not in out.stderr
    run = [sys.executable, "-m", "collectsim", "run", str(ROOT / "scenarios" / "baseline.toml")]
    run += ["--set", "population.accounts=300", "--set", "horizon.days=30", "--results", str(tmp_path), "--no-report"]
    out = subprocess.run(run, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "day/s" not in out.stderr and "%|" not in out.stderr
