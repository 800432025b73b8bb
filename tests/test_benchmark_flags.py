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


@pytest.mark.parametrize(
    "script,args,says",
    [
        ("targets.py", ["--only", "nosuch"], "--only: unknown section(s) nosuch"),
        ("targets.py", ["--only", ","], "--only: no section given"),
        ("targets.py", ["--ratio-accounts", "0"], "--ratio-accounts must be between 1,000 and 1,000,000, not 0"),
        ("targets.py", ["--sweep-runs", "6"], "--sweep-runs must be a multiple of 4"),
        ("targets.py", ["--repeat", "abc"], "--repeat: invalid int value: 'abc'"),
        ("targets.py", ["--compare", "/nonexistent/before.json"], "--compare /nonexistent/before.json: not a readable"),
        ("targets.py", ["--save", "/nonexistent/after.json"], "--save /nonexistent/after.json: not a file in an"),
        ("bit_identity.py", ["--accounts", "0"], "--accounts must be between 100 and 100,000, not 0"),
    ],
)
def test_a_bad_flag_is_one_line_and_exit_2(script: str, args: list[str], says: str) -> None:
    out = _run(script, *args)
    assert out.returncode == 2, out.stderr
    assert out.stdout == "" and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert says in out.stderr and "Traceback" not in out.stderr


def test_a_compare_file_that_is_not_a_saved_one_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "before.json"
    bad.write_text(json.dumps(["not", "figures"]))
    out = _run("targets.py", "--only", "rules", "--compare", str(bad))
    assert out.returncode == 2 and "not a file written by --save" in out.stderr


def _targets():
    spec = importlib.util.spec_from_file_location("targets_under_test", BENCH / "targets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
