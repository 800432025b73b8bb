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


def test_erlang_json_on_stdout_text_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    """`erlang --json`: one JSON document with the answer and every level (an unstable level's wait is null)."""
    import json

    def no_nan(token: str) -> None:
        raise AssertionError(f"{token} is not standard JSON")

    args = ["erlang", "--arrivals-per-hour", "3", "--aht-min", "20", "--target", "0.9", "--shrinkage", "0.25"]
    assert main([*args, "--json"]) == 0
    out = capsys.readouterr()
    doc = json.loads(out.out, parse_constant=no_nan)
    assert "agents needed for 90% within 20 s: 3 on the floor, 4 rostered" in out.err
    assert doc["command"] == "erlang" and doc["agents"] == 3 and doc["rostered"] == 4 and doc["load"] == 1.0
    levels = {row["agents"]: row for row in doc["levels"]}
    assert sorted(levels) == [1, 2, 3, 4, 5]
    assert levels[1]["mean_wait_s"] is None and levels[1]["service_level"] == 0.0  # one agent for one Erlang
    assert [levels[n]["meets_target"] for n in (2, 3)] == [False, True]
    assert levels[3]["service_level"] == pytest.approx(0.912, abs=5e-4)
    assert "simulated_p_wait" not in levels[3]
    assert main(args) == 0  # without --json the same text goes to stdout
    assert capsys.readouterr().out == out.err


def test_erlang_json_carries_the_simulated_check(capsys: pytest.CaptureFixture[str]) -> None:
    """With --simulate-hours each stable level has its simulated P(wait) beside Erlang C's; unstable ones null."""
    import json

    assert main(["erlang", "--arrivals-per-hour", "60", "--aht-min", "3", "--simulate-hours", "20", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    for row in doc["levels"]:
        if row["agents"] > doc["load"]:
            assert row["simulated_p_wait"] == pytest.approx(row["p_wait"], abs=0.15), row
        else:
            assert row["simulated_p_wait"] is None
