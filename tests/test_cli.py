"""The command line: a run writes a complete folder; bad input is one line, exit 2, nothing written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from collectsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASELINE = str(ROOT / "scenarios" / "baseline.toml")
SMALL = ["--set", "population.accounts=800", "--set", "horizon.days=60", "--quiet"]
EXPECTED_FILES = {
    "scenario.toml",
    "manifest.json",
    "kpis.csv",
    "kpis.json",
    "daily.csv",
    "teams.csv",
    "costs.csv",
    "accounts.parquet",
}


def test_run_writes_complete_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`collectsim run` prints KPIs and writes every promised file under results/<scenario>-<time>/."""
    assert main(["run", BASELINE, *SMALL, "--seed", "7", "--results", str(tmp_path), "--events"]) == 0
    out = capsys.readouterr().out
    assert "recovery_rate" in out and "early_callers" in out
    (folder,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert folder.name.startswith("baseline-")
    assert EXPECTED_FILES | {"events.parquet"} <= {p.name for p in folder.iterdir()}
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["version"] and manifest["wall_time_s"] > 0
    assert len(pd.read_parquet(folder / "accounts.parquet")) == 800
    kpis = json.loads((folder / "kpis.json").read_text())
    assert 0 < kpis["recovery_rate"] < 1


def test_resolved_scenario_reruns(tmp_path: Path) -> None:
    """The saved scenario.toml is complete: running it gives the same KPIs."""
    main(["run", BASELINE, *SMALL, "--no-report", "--results", str(tmp_path / "a")])
    (folder,) = list((tmp_path / "a").iterdir())
    main(["run", str(folder / "scenario.toml"), "--quiet", "--no-report", "--results", str(tmp_path / "b")])
    (again,) = list((tmp_path / "b").iterdir())
    first = json.loads((folder / "kpis.json").read_text())
    second = json.loads((again / "kpis.json").read_text())
    pd.testing.assert_series_equal(pd.Series(first), pd.Series(second))  # NaN-aware


def test_never_overwrites(tmp_path: Path) -> None:
    """Two runs in the same second land in two folders."""
    for _ in range(2):
        assert main(["run", BASELINE, *SMALL, "--no-report", "--results", str(tmp_path)]) == 0
    assert len([p for p in tmp_path.iterdir() if not p.name.startswith(".")]) == 2


BAD_INPUT = [
    (["run", BASELINE, "--set", "teams.early_callers.headcount=-1"], "teams.early_callers.headcount"),
    (["run", BASELINE, "--set", "teams.early_caller.headcount=3"], "did you mean 'early_callers'"),
    (["run", BASELINE, "--set", "population.accounts"], "--set"),
    (["run", "missing.toml"], "does not exist"),
    (["run", BASELINE, "--seed", "-4"], "--seed"),
    (["run", BASELINE, "--policy", "nosuchmodule:Policy"], "--policy"),
    (["run", BASELINE, "--policy", "NoColon"], "MODULE:CLASS"),
    (["frobnicate"], "invalid choice"),
    (["run", BASELINE, "--set", 'name="../../victim"'], "must be a file-safe name"),
    (["run", BASELINE, "--set", 'name="/tmp/victim"'], "must be a file-safe name"),
    (["run", BASELINE, "--set", 'name=".hidden"'], "must be a file-safe name"),
    (["run", BASELINE, "--set", f'name="{"x" * 300}"'], "must be a file-safe name"),
]


def _check_one_line_exit_2(proc, tmp_path: Path, phrase: str) -> None:
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert phrase in lines[0]
    assert "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("args", "phrase"), BAD_INPUT)
def test_bad_input_one_line_exit_2(tmp_path: Path, args: list[str], phrase: str, cli) -> None:
    """Bad input: exit code 2, one line on stderr naming the problem, no traceback, nothing written.
    Called in-process (an escaping exception fails the test as a traceback would); the two cases below run as
    a process of their own."""
    proc = cli([*args, "--results", str(tmp_path)] if args[0] == "run" else args, cwd=tmp_path)
    _check_one_line_exit_2(proc, tmp_path, phrase)


@pytest.mark.parametrize(("args", "phrase"), [BAD_INPUT[0], BAD_INPUT[7]], ids=["scenario-error", "argparse-error"])
def test_bad_input_one_line_exit_2_from_a_process(tmp_path: Path, args: list[str], phrase: str) -> None:
    """As above, as the user meets it: `python -m collectsim`, nothing else on stderr (no warning at import)."""
    proc = subprocess.run(
        [sys.executable, "-m", "collectsim", *args, "--results", str(tmp_path)]
        if args[0] == "run"
        else [sys.executable, "-m", "collectsim", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    _check_one_line_exit_2(proc, tmp_path, phrase)


def test_validate_ok_and_lists_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`validate` says OK for a good file and lists each problem with its field for a bad one."""
    assert main(["validate", BASELINE]) == 0
    assert "OK" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text(
        Path(BASELINE)
        .read_text()
        .replace("headcount = 12", "headcount = -12")
        .replace("contact_prob = 0.95", "contact_prob = 2.0")
    )
    assert main(["validate", str(bad)]) == 2
    out = capsys.readouterr().out
    assert "2 problem(s)" in out
    assert "teams.early_callers.headcount" in out and "channels.sms.contact_prob" in out


def test_validate_one_problem_is_one_line(cli) -> None:
    """`validate` with one problem prints only the failure line (it printed it twice, under a listing header)."""
    res = cli(["validate", BASELINE, "--set", "horizon.dayz=30"])
    assert res.returncode == 2 and res.stdout == ""
    (line,) = res.stderr.splitlines()
    assert line.startswith(
        "collectsim validate: error: --set horizon.dayz=30: unknown key 'dayz'; did you mean 'days'?"
    )
    assert line.count("unknown key") == 1


def test_validate_lists_several_problems_once(tmp_path: Path, cli) -> None:
    """With several problems the listing is the output and the failure line counts them instead of repeating one."""
    bad = tmp_path / "bad.toml"
    bad.write_text(Path(BASELINE).read_text().replace("headcount = 12", "headcount = -12").replace("0.95", "2.0"))
    res = cli(["validate", str(bad)])
    assert res.returncode == 2
    assert "teams.early_callers.headcount" in res.stdout and "channels.sms.contact_prob" in res.stdout
    assert res.stderr.splitlines() == [f"collectsim validate: error: {bad}: 2 problems (listed on standard output)"]


@pytest.mark.parametrize("command", [["validate"], ["run"], ["compare", BASELINE], ["sweep"]])
def test_missing_file_names_its_path_once(tmp_path: Path, command: list[str], cli) -> None:
    """A scenario or sweep file that does not exist: one line naming the path once, exit 2, nothing written."""
    missing = str(tmp_path / "missing.toml")
    res = cli(
        [command[0], missing, *command[1:], *(["--results", str(tmp_path / "r")] if command != ["validate"] else [])]
    )
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.splitlines() == [f"collectsim {command[0]}: error: {missing}: file does not exist"]
    assert not (tmp_path / "r").exists()


def test_python_policy_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--policy MODULE:CLASS loads a research policy from the working directory."""
    (tmp_path / "mypolicy.py").write_text(
        "import numpy as np\nimport collectsim as cs\n"
        "class SmsAll:\n"
        "    def reset(self, ctx): pass\n"
        "    def decide(self, day, view):\n"
        "        plan = cs.ActionPlan(); plan.add('sms', np.flatnonzero(view.in_house), 'sms_all'); return plan\n"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["run", BASELINE, *SMALL, "--policy", "mypolicy:SmsAll", "--results", "out"]) == 0
    (folder,) = list((tmp_path / "out").iterdir())
    kpis = json.loads((folder / "kpis.json").read_text())
    assert kpis["channel.call.sent"] == 0 and kpis["channel.sms.sent"] > 0


def test_run_with_rulebook_in_audit_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`run --rules us_reg_f --mode audit` prints violations by rule."""
    args = [
        "run",
        BASELINE,
        *SMALL,
        "--rules",
        "us_reg_f",
        "--mode",
        "audit",
        "--no-report",
        "--results",
        str(tmp_path),
        "--set",
        "population.segments.near_prime.utc_offset_h=-3",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "conduct rules (audit): violations" in out and "reg_f_hours_8_21" in out
    (folder,) = list(tmp_path.iterdir())
    kpis = json.loads((folder / "kpis.json").read_text())
    assert kpis["violations.reg_f_hours_8_21"] > 0 and kpis["blocked"] == 0


def test_portfolio_import_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`portfolio import` refuses an identifier column, then fits a runnable scenario once it is dropped."""
    rng = __import__("numpy").random.default_rng(1)
    rows = ["account,phone,segment,balance,dpd"]
    for i in range(400):
        rows.append(
            f"A{i:05d},+86 138 0000 {i:04d},{'card' if i % 2 else 'loan'},{rng.lognormal(6.5, 0.6):.2f},"
            f"{int(rng.integers(1, 90))}"
        )
    csv = tmp_path / "extract.csv"
    csv.write_text("\n".join(rows) + "\n")
    out = tmp_path / "fitted.toml"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "collectsim",
            "portfolio",
            "import",
            str(csv),
            "--out",
            str(out),
            "--template",
            BASELINE,
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "phone" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()
    assert (
        main(
            [
                "portfolio",
                "import",
                str(csv),
                "--out",
                str(out),
                "--template",
                BASELINE,
                "--drop",
                "phone",
                "--drop",
                "account",
            ]
        )
        == 0
    )
    text = out.read_text()
    assert "A00001" not in text and "138 0000" not in text
    assert (
        main(
            [
                "run",
                str(out),
                "--set",
                "population.accounts=300",
                "--set",
                "horizon.days=30",
                "--quiet",
                "--no-report",
                "--results",
                str(tmp_path / "r"),
            ]
        )
        == 0
    )


def test_writers_refuse_a_target_outside_the_results_root(tmp_path: Path) -> None:
    """Defence in depth: even a name that slipped past validation cannot climb out of the results folder."""
    from collectsim.errors import CollectsimError
    from collectsim.store import SweepStore, folders

    root = tmp_path / "results"
    root.mkdir()
    for bad in ("../victim", "/tmp/victim", "a/b"):
        with pytest.raises(CollectsimError, match="not inside the results folder"):
            folders._unique_folder(root, bad)
    with pytest.raises(CollectsimError, match="not inside the results folder"):
        SweepStore(root, "../escape", "k", [])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]
