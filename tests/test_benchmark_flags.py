"""The benchmark scripts a user runs from README: bad flags get one line and exit 2 before anything is measured,
and ``targets.py`` exits 1 when a target FAILs, so a script can tell."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True, text=True, timeout=120)


class _Measuring(Exception):
    """Raised where ``targets.py`` would start a measurement: the flags were all taken."""


def _targets():
    spec = importlib.util.spec_from_file_location("benchmarks.targets", BENCH / "targets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "args,says",
    [
        (["--only", "nosuch"], "--only: unknown section(s) nosuch; choose from scale, floor,"),
        (["--only", "rules,zz,aa"], "--only: unknown section(s) aa, zz; choose from"),
        (["--only", ","], "--only: no section given"),
        (["--repeat", "0"], "--repeat must be between 1 and 50, not 0"),
        (["--ratio-rounds", "51"], "--ratio-rounds must be between 1 and 50, not 51"),
        (["--ratio-accounts", "999"], "--ratio-accounts must be between 1,000 and 1,000,000, not 999"),
        (["--naive-accounts", "1000001"], "--naive-accounts must be between 1,000 and 1,000,000, not 1,000,001"),
        (["--product-accounts", "10000001"], "--product-accounts must be between 1,000 and 10,000,000, not"),
        (
            ["--sweep-accounts", "5"],
            "--sweep-accounts must be between 1,000 and 1,000,000 (or 0: about a second of CPU a run), not 5",
        ),
        (["--sweep-runs", "0"], "--sweep-runs must be between 4 and 400, not 0"),
        (["--sweep-runs", "6"], "--sweep-runs must be a multiple of 4 (the sweep's design has 4 points), not 6"),
        (["--seed", "-1"], "--seed must be between 0 and 4,294,967,295, not -1"),
        (["--repeat", "abc"], "argument --repeat: invalid int value: 'abc'"),
        (["--compare", "/nonexistent/before.json"], "--compare /nonexistent/before.json: not a readable JSON file"),
        (["--save", "/nonexistent/after.json"], "--save /nonexistent/after.json: not a file in an existing folder"),
        (["--save", "/"], "--save /: not a file in an existing folder"),
    ],
)
def test_targets_refuses_a_bad_flag_in_one_line_before_measuring(
    args: list[str], says: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    targets = _targets()
    monkeypatch.setattr(targets, "spawn", lambda *a: pytest.fail(f"measured before checking the flags: {a}"))
    with pytest.raises(SystemExit) as stop:
        targets.main(args)
    out = capsys.readouterr()
    assert stop.value.code == 2 and out.out == ""
    assert out.err.startswith(f"targets: error: {says}")
    assert len(out.err.strip().splitlines()) == 1


@pytest.mark.parametrize("edge", [0, 1])
def test_targets_takes_every_size_flag_at_either_edge_of_its_bound(
    edge: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The least and the most of every bounded flag are allowed: the run gets as far as its first measurement."""
    targets = _targets()

    def measured(*args: str) -> None:
        raise _Measuring(args)

    monkeypatch.setattr(targets, "spawn", measured)
    flags = [f"--{flag.replace('_', '-')}={bounds[edge]}" for flag, bounds in targets.SIZES.items()]
    flags += [f"--repeat={(1, 50)[edge]}", f"--ratio-rounds={(1, 50)[edge]}", "--save", str(tmp_path / "after.json")]
    with pytest.raises(_Measuring) as reached:
        targets.main([*flags, "--only", "sweep"])
    sweep_accounts, sweep_runs = (str(targets.SIZES[k][edge]) for k in ("sweep_accounts", "sweep_runs"))
    assert reached.value.args[0] == ("sweep", sweep_accounts, sweep_runs, str(targets.SIZES["seed"][edge]))


def test_a_sweep_sized_to_a_second_a_run_is_asked_as_0_accounts(monkeypatch: pytest.MonkeyPatch) -> None:
    targets = _targets()

    def measured(*args: str) -> None:
        raise _Measuring(args)

    monkeypatch.setattr(targets, "spawn", measured)
    with pytest.raises(_Measuring) as reached:
        targets.main(["--only", "sweep", "--sweep-accounts", "0"])
    assert reached.value.args[0] == ("sweep", "0", "16", "1")


@pytest.mark.parametrize("script,args,says", [
    ("targets.py", ["--only", "nosuch"], "targets: error: --only: unknown section(s) nosuch"),
    ("bit_identity.py", ["--accounts", "0"], "bit_identity: error: --accounts must be between 100 and 100,000, not 0"),
])
def test_a_script_run_from_the_shell_says_one_line_and_exits_2(script: str, args: list[str], says: str) -> None:
    out = _run(script, *args)
    assert out.returncode == 2, out.stderr
    assert out.stdout == "" and out.stderr.startswith(says) and len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("content", ["[1, 2]", '{"a figure": "fast"}', "{not json"])
def test_a_compare_file_that_is_not_a_saved_one_is_refused(
    content: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "before.json"
    bad.write_text(content)
    with pytest.raises(SystemExit) as stop:
        _targets().main(["--only", "rules", "--compare", str(bad)])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and f"--compare {bad}: not a" in err and "written by --save" in err


def test_a_saved_file_is_taken_as_the_before_column(tmp_path: Path) -> None:
    saved = tmp_path / "before.json"
    saved.write_text(json.dumps({"_source": "main a390350", "rulebook us_ma / no rules": 1.5}))
    assert _targets()._before(None, saved) == {"_source": "main a390350", "rulebook us_ma / no rules": 1.5}
    assert _targets()._before(None, None) == {}


@pytest.mark.parametrize("us_ma,code", [(1.25, 0), (1.35, 1)])
def test_targets_exits_1_when_a_ratio_fails_and_saves_what_it_measured(
    us_ma: float, code: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The rules section judged on made-up rounds (the worker is replaced): the median of each round's own ratio
    decides, not the min/min ratio, and a ratio over 1.3 is a FAIL that sets the exit code."""
    targets = _targets()
    rounds = {"none": [2.0, 2.0, 2.0], "us_ma": [2.0 * us_ma, 2.0 * us_ma, 2.0]}  # min/min 1.0, median us_ma

    def spawn(*args: str) -> dict:
        assert args[:2] == ("ratios", "rules")
        return {"cpu_s": {k: min(v) for k, v in rounds.items()}, "rounds": rounds}

    monkeypatch.setattr(targets, "spawn", spawn)
    saved = tmp_path / "after.json"
    assert targets.main(["--only", "rules", "--ratio-rounds", "3", "--save", str(saved)]) == code
    printed = capsys.readouterr().out
    assert json.loads(saved.read_text()) == {"rulebook us_ma / no rules": pytest.approx(us_ma)}
    verdict = next(line for line in printed.splitlines() if line.startswith("rulebook us_ma"))
    assert verdict.endswith("FAIL" if code else "PASS")
    assert ("1 of 1 targets FAIL: rulebook us_ma / no rules" in printed) == bool(code)
