"""What the command line says around a run: counts before long work, no ±nan, a mode with nothing to apply."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectsim.cli import main

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["--set", "population.accounts=300", "--set", "horizon.days=20"]


def test_staff_says_how_many_runs_and_prints_no_nan_with_one_replication(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["staff", str(ROOT / "scenarios" / "baseline.toml"), "--team", "early_callers", "--headcount", "4:6"]
    assert main([*args, "-n", "1", "--results", str(tmp_path), "--no-report", *SMALL]) == 0
    out = capsys.readouterr()
    assert "early_callers: 3 headcounts × 1 replications = 3 runs" in out.err
    assert "nan" not in out.out and "one replication per headcount: no interval" in out.out


def test_mode_without_rules_says_nothing_is_enforced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["run", str(ROOT / "scenarios" / "baseline.toml"), "--mode", "audit", "--quiet", "--no-report"]
    assert main([*args, "--results", str(tmp_path), *SMALL]) == 0
    assert "no conduct rules" in capsys.readouterr().err
    assert main([*args[:-2], "--rules", "us_reg_f", "--quiet", "--no-report", "--results", str(tmp_path), *SMALL]) == 0
    assert "no conduct rules" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "check"),
    [
        (["run", "BASE"], lambda d: d["command"] == "run" and 0 <= d["kpis"]["recovery_rate"] <= 1),
        (
            ["compare", "BASE", str(ROOT / "scenarios" / "soft.toml"), "-n", "2"],
            lambda d: d["champion"] == "baseline" and {r["policy"] for r in d["summary"]} == {"baseline", "soft"},
        ),
        (
            ["staff", "BASE", "--team", "early_callers", "--headcount", "4,6", "-n", "1"],
            lambda d: d["chosen"]["early_callers"] in (4, 6) and len(d["curves"]["early_callers"]) == 2,
        ),
    ],
)
def test_json_on_stdout_text_on_stderr(
    args: list[str], check, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    args = [str(ROOT / "scenarios" / "baseline.toml") if a == "BASE" else a for a in args]
    assert main([*args, "--json", "--quiet", "--no-report", "--results", str(tmp_path), *SMALL]) == 0
    out = capsys.readouterr()
    def no_nan(token: str) -> None:
        raise AssertionError(f"{token} is not standard JSON")

    assert check(json.loads(out.out, parse_constant=no_nan))  # one standard JSON document: null, never NaN
    assert "results:" in out.err
