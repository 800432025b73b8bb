"""`collectsim calibrate targets`: a complete results folder, and bad targets files as one line, exit 2."""

from __future__ import annotations

import html
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import collectsim as cs
from collectsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASELINE = str(ROOT / "scenarios" / "baseline.toml")
SMALL = ["--set", "population.accounts=400", "--set", "horizon.days=31"]
GOOD = """
name = "cli_fit"
[targets.cure_rate_dpd30]
value = 0.62
tolerance = 0.01
[targets.liquidation_d010]
value = 0.36
tolerance = 0.01
weight = 2.0
[free."channels.call.effect"]
low = 0.005
high = 0.1
log = true
"""


def _targets(tmp_path: Path, text: str = GOOD) -> Path:
    f = tmp_path / "t.toml"
    f.write_text(text, encoding="utf-8")
    return f


def _args(targets: Path, out: Path, *extra: str) -> list[str]:
    return ["calibrate", "targets", "--scenario", BASELINE, "--targets", str(targets), "--out", str(out), *extra]


def test_writes_complete_folder_and_a_valid_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """fit.json, fit.csv, trace.csv, runs.csv, fit.png and a scenario.toml that `validate` accepts
    and that carries the fitted value."""
    out = tmp_path / "fit"
    args = _args(_targets(tmp_path), out, *SMALL, "-n", "2", "--max-evals", "4", "--workers", "1", "--quiet")
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "cure_rate_dpd30" in printed and "within" in printed and "channels.call.effect (log)" in printed
    assert {"fit.json", "fit.csv", "trace.csv", "runs.csv", "scenario.toml", "report.txt", "fit.png"} <= {
        p.name for p in out.iterdir()
    }
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no partial folder left
    fit = json.loads((out / "fit.json").read_text())
    fitted = fit["free"]["channels.call.effect"]["value"]
    assert 0.005 <= fitted <= 0.1 and fit["evaluations"] <= 4 and fit["replications"] == 2
    assert set(fit["targets"]) == {"cure_rate_dpd30", "liquidation_d010"}
    row = fit["targets"]["cure_rate_dpd30"]
    assert row["ci_low"] <= row["model"] <= row["ci_high"]
    assert row["within_tolerance"] == (abs(row["model"] - 0.62) <= 0.01)
    table = pd.read_csv(out / "fit.csv")
    assert list(table["kpi"]) == ["cure_rate_dpd30", "liquidation_d010"]
    trace = pd.read_csv(out / "trace.csv")
    assert len(trace) == fit["evaluations"] and trace["objective"].min() == pytest.approx(fit["objective"])
    # The written scenario loads, validates and carries the fitted value (and the --set values it was fitted with).
    sc = cs.load_scenario(out / "scenario.toml")
    assert sc.channels["call"].effect == pytest.approx(fitted)
    assert sc.population.accounts == 400
    assert main(["validate", str(out / "scenario.toml")]) == 0
    # Re-running the fitted scenario on the fit's seeds reproduces the fitted model mean.
    seeds = fit["replication_seeds"]
    again = sum(cs.simulate(sc, s).kpis["cure_rate_dpd30"] for s in seeds) / len(seeds)
    assert again == pytest.approx(row["model"])
    # Its report: each target against the model, the fitted field; `collectsim report` rebuilds it from the files.
    page = html.unescape((out / "report.html").read_text())
    within = sum(r["within_tolerance"] for r in fit["targets"].values())
    assert f"Targets: {within} of 2 within tolerance" in page and "channels.call.effect (log scale)" in page
    assert f"{fitted:.4g}" in page and (out / "figures" / "fit.png").exists()
    (out / "report.html").unlink()
    assert main(["report", str(out)]) == 0 and (out / "report.html").exists()


BAD_FILES = [
    (GOOD.replace("[targets.cure_rate_dpd30]", "[targets.cure_rate_dpd3]"), "did you mean 'cure_rate_dpd30'"),
    (GOOD.replace('"channels.call.effect"', '"channels.cal.effect"'), "free.channels.cal.effect"),
    (GOOD.replace("low = 0.005", "low = 0.2"), "low (0.2) must be below high (0.1)"),
    (GOOD.replace("weight = 2.0", "weigth = 2.0"), "did you mean 'weight'"),
    (GOOD + '\n[free."teams.early_callers.headcount"]\nlow = 2\nhigh = 20\n', "whole-number field"),
]


@pytest.mark.parametrize(("text", "phrase"), BAD_FILES)
def test_bad_targets_file_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, phrase: str
) -> None:
    """Unknown KPI, bad path, low ≥ high, unknown key, integer field: one line naming the field, exit 2,
    nothing written."""
    out = tmp_path / "fit"
    assert main(_args(_targets(tmp_path, text), out, *SMALL, "--workers", "1", "--quiet")) == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1 and phrase in err[0], err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.toml"]


def test_existing_out_is_refused_before_fitting(tmp_path: Path) -> None:
    """An existing --out is never overwritten; the real entry point says so in one line, exit 2."""
    out = tmp_path / "fit"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    proc = subprocess.run(
        [sys.executable, "-m", "collectsim", *_args(_targets(tmp_path), out, *SMALL)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "--out" in lines[0] and "already exists" in lines[0], proc.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
