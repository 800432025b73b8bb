"""Errors point at the thing to fix: the misspelt key, the `--set` flag, the sweep file's key, the right command."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from collectsim.cli import main
from collectsim.cli.experiments import _policy_names

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
SWEEP = ROOT / "sweeps" / "headcount_x_court_delay.toml"


def _error(args: list[str], capsys: pytest.CaptureFixture[str], results: Path) -> str:
    """The one stderr line of a command that must fail with exit 2 and write nothing."""
    assert main([*args, "--results", str(results)]) == 2
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    assert not results.exists() or list(results.iterdir()) == []
    return lines[0]


@pytest.fixture
def typo(tmp_path: Path) -> Path:
    """The baseline with `headcont` for `headcount` under [teams.early_callers]."""
    path = tmp_path / "typo.toml"
    path.write_text(BASELINE.read_text().replace("headcount = 12", "headcont = 12", 1))
    return path


def _sweep(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "sweep.toml"
    text = SWEEP.read_text().replace('"../scenarios/baseline.toml"', f'"{BASELINE.as_posix()}"')
    path.write_text(text.replace(old, new))
    return path


@pytest.mark.parametrize("command", [["run"], ["staff", "--team", "early_callers", "--headcount", "3"]])
def test_file_typo_shows_did_you_mean(
    command: list[str], typo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A misspelt key is reported first, with its did-you-mean, not the consequent missing field."""
    line = _error([command[0], str(typo), *command[1:]], capsys, tmp_path / "results")
    assert "teams.early_callers.headcont: unknown key 'headcont'; did you mean 'headcount'?" in line


def test_compare_file_typo_shows_did_you_mean(typo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`compare` reports the misspelt key like `validate` does."""
    line = _error(["compare", str(typo), str(BASELINE)], capsys, tmp_path / "results")
    assert "did you mean 'headcount'?" in line


def test_validate_lists_unknown_key_first(typo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`validate` lists the unknown key before the missing field it causes."""
    assert main(["validate", str(typo)]) == 2
    listing = capsys.readouterr().out.splitlines()
    assert "unknown key 'headcont'" in listing[1] and "required field is missing" in listing[2]


def test_set_typo_blames_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A misspelt `--set` key is blamed on the flag, not on the scenario file."""
    args = ["run", str(BASELINE), "--set", "teams.early_callers.headcont=16"]
    line = _error(args, capsys, tmp_path / "results")
    assert line.startswith("collectsim run: error: --set teams.early_callers.headcont=16: unknown key 'headcont'")
    assert "did you mean 'headcount'?" in line and "baseline.toml" not in line


def test_set_bad_table_blames_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A misspelt table name in `--set` is blamed on the flag too."""
    line = _error(["run", str(BASELINE), "--set", "teams.early_caller.headcount=3"], capsys, tmp_path / "r")
    assert "--set teams.early_caller.headcount=3: no table 'early_caller'" in line


def test_sweep_set_typo_blames_the_sweep_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A misspelt path in a sweep file's [set] names the sweep file and its key."""
    sweep = _sweep(tmp_path, '"population.accounts" = 5000', '"teams.late_callers.headcont" = 3')
    line = _error(["sweep", str(sweep)], capsys, tmp_path / "results")
    assert f"{sweep}: set.teams.late_callers.headcont: unknown key 'headcont'" in line
    assert "baseline.toml" not in line


def test_sweep_parameter_typo_blames_the_sweep_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A misspelt parameter path names the sweep file and the parameter."""
    sweep = _sweep(tmp_path, "late_callers.headcount", "late_callers.headcont")
    line = _error(["sweep", str(sweep)], capsys, tmp_path / "results")
    assert f"{sweep}: parameters.teams.late_callers.headcont: unknown key 'headcont'" in line


def test_sweep_on_a_scenario_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`sweep` on a scenario file says so and names the command to use."""
    line = _error(["sweep", str(BASELINE)], capsys, tmp_path / "results")
    assert "this is a scenario file, not a sweep file" in line and "collectsim run" in line


def test_run_on_a_sweep_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`run` on a sweep file says so and names the command to use."""
    line = _error(["run", str(SWEEP)], capsys, tmp_path / "results")
    assert "this is a sweep file, not a scenario file" in line and "collectsim sweep" in line


def test_policy_names_for_one_file_twice_are_file_safe() -> None:
    """Comparing a file with itself names the arms baseline-1, baseline-2: no '#' in folder names."""
    from collectsim.scenario import load_scenario

    sc = load_scenario(BASELINE)
    assert _policy_names([BASELINE, BASELINE], [sc, sc]) == ["baseline-1", "baseline-2"]


def _strict(text: str) -> object:
    """Parse JSON as any standard reader would: a bare NaN or Infinity is an error."""

    def refuse(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def test_kpis_json_is_standard_json_and_reads_back_nan(tmp_path: Path) -> None:
    """A KPI with no value is written null (valid JSON) in kpis.json and read back by the report as NaN."""
    from collectsim import readback

    args = ["run", str(BASELINE), "--set", "horizon.days=30", "--set", "population.accounts=200"]
    assert main([*args, "--quiet", "--no-report", "--results", str(tmp_path)]) == 0
    (folder,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    kpis = _strict((folder / "kpis.json").read_text())
    assert isinstance(kpis, dict) and kpis["cure_rate_dpd90"] is None
    _strict((folder / "manifest.json").read_text())
    back = readback.kpis_json(folder / "kpis.json")
    assert math.isnan(back["cure_rate_dpd90"]) and 0 < back["recovery_rate"] < 1


def test_json_text_writes_null_for_non_finite() -> None:
    """Every store JSON writer's helper turns NaN and infinities, numpy ones too, into null."""
    from collectsim.store.files import json_text

    value = {"a": math.nan, "b": [math.inf, np.float64("nan"), np.float32(1.5)], "c": 2}
    assert _strict(json_text(value)) == {"a": None, "b": [None, None, 1.5], "c": 2}


def test_optimise_space_set_typo_blames_the_space_file(tmp_path: Path) -> None:
    from collectsim.errors import ScenarioError
    from collectsim.experiments.space import load_space

    space = tmp_path / "space.toml"
    space.write_text(
        f'scenario = "{ROOT / "scenarios" / "baseline.toml"}"\n'
        '[set]\n"teams.early_callers.headcont" = 3\n'
        '[parameters."teams.late_callers.headcount"]\nlow = 2\nhigh = 6\n'
    )
    with pytest.raises(ScenarioError) as err:
        load_space(space)
    assert str(space) in err.value.one_line() and "set.teams.early_callers.headcont" in err.value.one_line()
