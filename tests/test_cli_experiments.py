"""`collectsim compare` and `collectsim sweep` from the command line, including resume after kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from collectsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
SC = ROOT / "scenarios"
SMALL = ["--set", "population.accounts=800", "--set", "horizon.days=60"]


def test_compare_prints_and_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """compare prints each KPI with intervals, the paired difference and P(better), and writes one folder."""
    args = [
        "compare",
        str(SC / "baseline.toml"),
        str(SC / "soft.toml"),
        "-n",
        "3",
        *SMALL,
        "--workers",
        "1",
        "--quiet",
        "--results",
        str(tmp_path),
        "--in-run",
        "0.25",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "recovery_rate" in out and "P(better)" in out and "in-run" in out
    rows = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "—" in rows["promises_kept"]  # a count that grows with effort has no better side ...
    assert "—" not in rows["promise_kept_rate"]  # ... the share of due promises kept has one
    (folder,) = list(tmp_path.iterdir())
    assert {"runs.parquet", "runs.csv", "summary.csv", "in_run.csv", "manifest.json"} <= {
        p.name for p in folder.iterdir()
    }
    summary = pd.read_csv(folder / "summary.csv")
    assert {"mean", "half_width", "diff", "p_better", "variance_reduction"} <= set(summary.columns)


def _sweep_file(tmp_path: Path, body: str = "") -> Path:
    f = tmp_path / "s.toml"
    f.write_text(
        f'scenario = "{SC / "baseline.toml"}"\nreplications = 2\nkpis = ["recovery_rate"]\n'
        '[set]\n"population.accounts" = 1500\n"horizon.days" = 90\n'
        '[parameters."teams.late_callers.headcount"]\nlevels = [2, 4, 6]\n' + body
    )
    return f


@pytest.mark.parametrize(
    ("extra", "phrase"),
    [
        ('design = "random"\n', "design"),
        ("replicatons = 3\n", "did you mean 'replications'"),
        ('[parameters."teams.late_caller.headcount"]\nlevels = [1]\n', "late_caller"),
        ('[parameters."legal.court_days.mean"]\nlow = 5.0\nhigh = 1.0\n', "levels"),
    ],
)
def test_bad_sweep_file_one_line(tmp_path: Path, extra: str, phrase: str, cli) -> None:
    """A bad sweep file: exit 2 and one line naming the field."""
    f = _sweep_file(tmp_path)
    text = f.read_text()
    f.write_text(extra + text if not extra.startswith("[") else text + extra)
    proc = cli(["sweep", str(f), "--results", str(tmp_path / "r")])
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and phrase in lines[0], proc.stderr
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").rglob("*.parquet"))


def test_bad_kpi_name(tmp_path: Path) -> None:
    """A misspelt KPI in a sweep file is named with a suggestion."""
    f = _sweep_file(tmp_path)
    f.write_text(f.read_text().replace('kpis = ["recovery_rate"]', 'kpis = ["recovry_rate"]'))
    with pytest.raises(Exception, match="did you mean 'recovery_rate'"):
        from collectsim.experiments.sweepfile import load_sweep

        load_sweep(f)


def test_liquidation_and_lifetime_kpis_are_accepted(tmp_path: Path) -> None:
    """Every KPI the scenario's horizon can report is a valid sweep KPI: liquidation points and NPV included."""
    from collectsim.experiments.sweepfile import load_sweep

    f = _sweep_file(tmp_path)
    f.write_text(f.read_text().replace('kpis = ["recovery_rate"]', 'kpis = ["liquidation_d030", "npv"]'))
    spec, _, _ = load_sweep(f)
    assert spec.kpis == ("liquidation_d030", "npv")


@pytest.fixture(scope="module")
def unbroken(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The sweep of ``_sweep_file`` run once without a break (in-process): what every resumed sweep must equal."""
    tmp = tmp_path_factory.mktemp("unbroken")
    args = ["sweep", str(_sweep_file(tmp)), "--workers", "1", "--quiet", "--no-report", "--results", str(tmp / "b")]
    assert main(args) == 0
    (b,) = list((tmp / "b").iterdir())
    return pd.read_parquet(b / "sweep.parquet")


def test_sweep_killed_and_resumed(tmp_path: Path, unbroken: pd.DataFrame) -> None:
    """kill -9 mid-sweep, then the same command: every run present once, identical to an unbroken sweep."""
    f = _sweep_file(tmp_path)
    args = ["sweep", str(f), "--workers", "1", "--quiet", "--results", str(tmp_path / "a")]
    # The killed sweep is a process of its own; the resume is the same command, called in-process.
    journal = _kill_after_two_runs([sys.executable, "-m", "collectsim", *args], tmp_path / "a")
    kept = len(journal.read_text().splitlines())
    assert kept < 6
    assert main(args) == 0
    (a,) = list((tmp_path / "a").iterdir())
    resumed = pd.read_parquet(a / "sweep.parquet")
    assert len(resumed) == 6
    pd.testing.assert_frame_equal(resumed, unbroken, check_exact=True)
    assert json.loads((a / "manifest.json").read_text())["resumed_with"] == kept
    assert not list(a.glob(".*partial"))


def _kill_after_two_runs(cmd: list[str], root: Path) -> Path:
    """Start a sweep, kill -9 it once its journal holds two runs; returns the journal."""
    victim = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 60
    journal = None
    while time.time() < deadline:
        found = list(root.glob("*/journal.jsonl"))
        if found and len(found[0].read_bytes().split(b"\n")) > 2:
            journal = found[0]
            break
        time.sleep(0.05)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    assert journal is not None, "the sweep never journaled a run"
    return journal


def test_killed_sweep_with_a_corrupted_journal_resumes(
    tmp_path: Path, unbroken: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    """kill -9, then garbage, blank, keyless and non-UTF-8 lines in the journal: the resume warns in one line,
    recomputes what is missing and gives exactly the unbroken sweep."""
    f = _sweep_file(tmp_path)
    args = ["sweep", str(f), "--workers", "1", "--quiet", "--no-report", "--results", str(tmp_path / "a")]
    journal = _kill_after_two_runs([sys.executable, "-m", "collectsim", *args], tmp_path / "a")
    data = journal.read_bytes()
    intact = data[: data.rfind(b"\n") + 1]
    kept = intact.count(b"\n")
    journal.write_bytes(intact + b'not json\n\n\n{"job": 12}\n{"job": 1, "r\xffws": []}\n')
    capsys.readouterr()
    assert main(args) == 0
    (warning,) = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    numbers = ", ".join(str(kept + k) for k in range(1, 6))
    assert f"skipped 5 damaged line(s) (line {numbers})" in warning
    (a,) = list((tmp_path / "a").iterdir())
    pd.testing.assert_frame_equal(pd.read_parquet(a / "sweep.parquet"), unbroken, check_exact=True)
    manifest = json.loads((a / "manifest.json").read_text())
    assert manifest["resumed_with"] == kept and manifest["damaged_journal_lines"] == 5
