"""Staffing by simulation: curves, best and adequate headcounts, coordinate search, plans, CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import collectsim as cs
from collectsim import queueing as q
from collectsim.cli import main
from collectsim.experiments.staffing import (
    StaffingResult,
    _result,
    inbound_erlang,
    size_staff,
    size_teams,
    weekly_plan,
)
from collectsim.present import staffing_table
from collectsim.verdict import staffing_verdict

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_more_headcount_never_lowers_service(path: Path) -> None:
    """In every shipped scenario, with common random numbers, service level rises with headcount."""
    sc = cs.load_scenario(path, {"population.accounts": 1500})
    short = {"horizon.days": 60} | ({"population.inflow_days": 40} if sc.population.mode == "inflow" else {})
    sc = cs.with_overrides(sc, short)
    curve = size_staff(sc, "early_callers", [1, 2, 4, 8], 2, seed=1)
    levels = curve.summary["service_level"].to_list()
    assert levels == sorted(levels), levels


def test_best_and_smallest_from_table() -> None:
    """The best headcount maximises mean net recovery; the smallest adequate one meets the target."""
    rows = []
    for h, net, sl in [(2, 100.0, 0.5), (4, 180.0, 0.85), (6, 200.0, 0.95), (8, 190.0, 0.99)]:
        for r in range(2):
            rows.append(
                {
                    "headcount": h,
                    "replication": r,
                    "recovery_rate": 0.8,
                    "net_recovery": net + r,
                    "npv": 2 * net + r,
                    "total_cost": 10.0,
                    "team.t.service_level": sl,
                    "team.t.backlog_mean": 0.0,
                    "team.t.utilisation": 0.5,
                }
            )
    res = _result("t", pd.DataFrame(rows), 0.9)
    assert res.best_net == 6 and res.smallest_meeting == 6
    assert res.summary.set_index("headcount").loc[4, "marginal_net_per_agent"] == pytest.approx(40.0)
    assert res.summary.set_index("headcount").loc[4, "marginal_npv_per_agent"] == pytest.approx(80.0)
    assert _result("t", pd.DataFrame(rows), 0.999).smallest_meeting is None


def test_marginal_npv_carries_the_interval_of_its_paired_differences() -> None:
    """Replications share seeds across headcounts: the marginal value's interval comes from per-replication
    differences, so a common shift between replications (luck that every headcount shares) cancels."""
    rows = []
    for r, luck in enumerate((0.0, 1000.0, -700.0, 300.0)):
        for h, npv in ((4, 100.0), (6, 160.0 + r)):
            rows.append(
                {
                    "headcount": h,
                    "replication": r,
                    "recovery_rate": 0.8,
                    "net_recovery": npv + luck,
                    "npv": npv + luck,
                    "total_cost": 1.0,
                    "team.t.service_level": 0.9,
                }
            )
    s = _result("t", pd.DataFrame(rows), None).summary.set_index("headcount")
    diffs = pd.Series([60.0, 61.0, 62.0, 63.0]) / 2
    assert s.loc[6, "marginal_npv_per_agent"] == pytest.approx(diffs.mean())
    assert s.loc[6, "marginal_npv_per_agent_half_width"] == pytest.approx(3.182446305 * diffs.std() / 2, rel=1e-6)
    assert s.loc[6, "npv_half_width"] > 100 * s.loc[6, "marginal_npv_per_agent_half_width"]
    lines = staffing_verdict(s.reset_index(), None, "USD")
    assert not any(line.startswith("one more agent beyond 6") for line in lines)  # 6 is the largest tried
    lines = staffing_verdict(s.reset_index().assign(net_recovery=[200.0, 100.0]), None, "USD")
    assert "one more agent beyond 4 (at 6) is worth USD 31 ± USD 1 of NPV per agent" in " ".join(lines)


def test_the_staffing_table_cell_carries_the_paired_interval() -> None:
    """The terminal table shows the marginal NPV per agent as 'value ± half-width', the half-width the paired
    one (luck shared by every headcount cancels: unpaired it would be hundreds), a dash at the first headcount."""
    rows = []
    for r, luck in enumerate((0.0, 1000.0, -700.0, 300.0)):
        for h, npv in ((4, 100.0), (6, 160.0 + 4 * r)):
            row = {"headcount": h, "replication": r, "recovery_rate": 0.8, "net_recovery": npv + luck}
            row |= {"npv": npv + luck, "total_cost": 1.0, "team.t.service_level": 0.9}
            row |= {"team.t.backlog_mean": 0.0, "team.t.utilisation": 0.5}
            rows.append(row)
    res = _result("t", pd.DataFrame(rows), None)
    text = staffing_table(cs.load_scenario(ROOT / "scenarios" / "baseline.toml"), {"t": res}, {"t": 6})
    by_head = {line.split()[0]: line for line in text.splitlines() if line.strip()[:1].isdigit()}
    # Differences (60, 64, 68, 72) ÷ 2 agents: mean 33, sd √(20/3) = 2.58, half-width t₃ 3.182 × 2.58 ÷ √4 = 4.1.
    assert by_head["6"].endswith("33 ± 4")
    assert by_head["4"].endswith("—")


def test_weekly_plan_picks_smallest_per_week() -> None:
    """Each week gets the smallest headcount whose mean weekly service level meets the target."""
    table = pd.DataFrame(
        [
            {"headcount": 2, "service_level_week_00": 0.95, "service_level_week_01": 0.5},
            {"headcount": 4, "service_level_week_00": 1.0, "service_level_week_01": 0.92},
        ]
    )
    plan = weekly_plan(StaffingResult("t", table, pd.DataFrame(), 2, None, None), 0.9)
    assert plan["headcount_needed"].to_list() == [2, 4]


def test_inbound_erlang_uses_working_days_and_shift_hours() -> None:
    """Calls per hour = simulated calls ÷ (working days × shift hours); no inbound calls, no Erlang answer."""
    sc = cs.load_scenario(ROOT / "scenarios" / "baseline.toml", {"horizon.days": 14})  # Monday start: 10 workdays
    table = pd.DataFrame({"team.early_callers.inbound_calls": [800.0, 800.0]})
    rep = inbound_erlang(sc, "early_callers", table)
    assert rep.arrivals_per_hour == pytest.approx(800 / 10 / 8)  # 9:00–17:00
    assert rep.agents == q.agents_needed(10.0, rep.aht_min, 0.8, 20.0)
    assert inbound_erlang(sc, "early_callers", table * 0) is None


def test_coordinate_search_respects_budget(small: cs.Scenario) -> None:
    """Several teams are sized in turn; the run budget is never exceeded."""
    sc = cs.with_overrides(small, {"horizon.days": 40, "population.accounts": 800})
    chosen, curves = size_teams(sc, {"early_callers": [1, 3], "late_callers": [1, 3]}, 1, seed=1, max_runs=6)
    assert set(chosen) == {"early_callers", "late_callers"}
    assert sum(len(c.table) for c in curves.values()) <= 6


def test_staff_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`collectsim staff` prints the curve, the chosen headcounts and writes a folder."""
    args = [
        "staff",
        str(ROOT / "scenarios" / "staffing_inflow.toml"),
        "--team",
        "early_callers",
        "--headcount",
        "2:8:3",
        "-n",
        "2",
        "--target-service",
        "0.9",
        "--plan",
        "--set",
        "population.accounts=1500",
        "--set",
        "horizon.days=70",
        "--set",
        "population.inflow_days=56",
        "--workers",
        "1",
        "--quiet",
        "--results",
        str(tmp_path),
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "best net recovery at headcount" in out and "week by week" in out
    assert "Erlang C for its inbound calls" in out
    (folder,) = list(tmp_path.iterdir())
    assert {"runs.csv", "staffing.csv", "plan.csv", "report.txt", "manifest.json"} <= {p.name for p in folder.iterdir()}


def test_erlang_cli_worked_example(capsys: pytest.CaptureFixture[str]) -> None:
    """The worked Erlang C example: 200 calls/h, 6 min, 80/20 → 25 agents, 36 rostered at 30% shrinkage."""
    assert (
        main(
            [
                "erlang",
                "--arrivals-per-hour",
                "200",
                "--aht-min",
                "6",
                "--target",
                "0.8",
                "--within-s",
                "20",
                "--shrinkage",
                "0.3",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "25 on the floor, 36 rostered" in out
    assert "84.2%" in out


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["erlang", "--arrivals-per-hour", "-5", "--aht-min", "6"], "--arrivals-per-hour"),
        (["erlang", "--arrivals-per-hour", "5", "--aht-min", "6", "--target", "1.5"], "--target"),
        (["staff", str(ROOT / "scenarios" / "baseline.toml"), "--team", "nobody", "--headcount", "1:2"], "nobody"),
        (
            ["staff", str(ROOT / "scenarios" / "baseline.toml"), "--team", "early_callers", "--headcount", "9:2"],
            "--headcount",
        ),
    ],
)
def test_bad_staffing_input(tmp_path: Path, args: list[str], phrase: str) -> None:
    """Bad flags: exit 2, one line naming the flag or team."""
    proc = subprocess.run([sys.executable, "-m", "collectsim", *args], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and phrase in lines[0], proc.stderr


def test_the_staffing_table_reads_no_nan_at_zero_agents() -> None:
    """Zero agents have no on-floor minutes: utilisation is "n/a", never "nan%"; the work column says due/day."""
    rows = []
    for r in range(2):
        for h, util in ((0, float("nan")), (2, 0.5)):
            row = {"headcount": h, "replication": r, "recovery_rate": 0.8, "net_recovery": 100.0 + h, "npv": 1.0}
            row |= {"total_cost": 1.0, "team.t.service_level": 0.0 if h == 0 else 0.9}
            row |= {"team.t.backlog_mean": 10.0, "team.t.utilisation": util}
            rows.append(row)
    res = _result("t", pd.DataFrame(rows), None)
    text = staffing_table(cs.load_scenario(ROOT / "scenarios" / "baseline.toml"), {"t": res}, {"t": 2})
    assert "nan" not in text.lower() and "due/day" in text
    zero = next(line for line in text.splitlines() if line.strip().startswith("0 "))
    assert "n/a" in zero


def test_erlang_table_names_an_unstable_level(capsys: pytest.CaptureFixture[str]) -> None:
    """2 Erlangs on 2 agents: the row says the queue is unstable rather than just printing 'inf s'."""
    assert main(["erlang", "--arrivals-per-hour", "20", "--aht-min", "6"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.strip()[:1].isdigit()}
    assert rows["2"].endswith("  unstable: agents ≤ load, the queue grows without end")
    assert rows["3"].endswith("%") and rows["5"].endswith("%") and rows["4"].endswith("%  ←")  # only the answer marked


def test_erlang_within_zero_seconds_is_the_share_answered_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    """--within-s 0 is allowed: the service level is then 1 − P(wait); a negative time is refused."""
    assert main(["erlang", "--arrivals-per-hour", "20", "--aht-min", "6", "--within-s", "0"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.strip().startswith("3 "))
    p_wait, level = float(row.split()[1]), float(row.split()[4].rstrip("%")) / 100
    assert level == pytest.approx(1 - p_wait, abs=0.001)
    with pytest.raises(SystemExit) as exit_:
        main(["erlang", "--arrivals-per-hour", "20", "--aht-min", "6", "--within-s", "-1"])
    assert exit_.value.code == 2


def test_erlang_text_shows_the_simulated_check_beside_stable_levels(capsys: pytest.CaptureFixture[str]) -> None:
    """--simulate-hours adds the simulated P(wait) and wait to each stable row of the printed table (not only to
    the JSON); the unstable row has none."""
    assert main(["erlang", "--arrivals-per-hour", "20", "--aht-min", "6", "--simulate-hours", "20"]) == 0
    out = capsys.readouterr().out
    assert "simulated P(wait)" in out and "sim. wait" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()[:1].isdigit()}
    assert rows["2"][-1] == "end"  # the unstable mark, no simulated figures
    for agents in ("3", "4", "5"):
        simulated = float(rows[agents][6])
        assert 0.0 <= simulated <= 1.0 and abs(simulated - float(rows[agents][1])) < 0.2, rows[agents]
