"""Inputs that once crashed, hung or exhausted memory: now one line on stderr, exit 2, nothing written.

Each check runs before any simulation, so a bad ``--results`` or an impossible size costs a second,
not the run that precedes the traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import collectsim as cs
from collectsim.cli import main, preflight
from collectsim.cli.parser import _range
from collectsim.errors import CollectsimError

ROOT = Path(__file__).resolve().parents[1]
BASELINE = str(ROOT / "scenarios" / "baseline.toml")
SMALL = ["--set", "population.accounts=300", "--set", "horizon.days=20", "--quiet", "--no-report"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str], phrase: str) -> None:
    """``main(argv)`` exits 2 with one stderr line containing ``phrase`` (argparse errors included)."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, err
    assert len(lines) == 1 and phrase in lines[0], err


@pytest.fixture
def no_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if any simulation starts: the checks must come first."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a simulation started before the input was checked")

    monkeypatch.setattr(cs, "simulate", refuse)


@pytest.mark.usefixtures("no_simulation")
def test_results_that_is_a_file_is_refused_before_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--results` naming a file, or a folder under a file, is refused before simulating; nothing is written."""
    (tmp_path / "afile").write_text("x")
    _refused(["run", BASELINE, *SMALL, "--results", str(tmp_path / "afile")], capsys, "is a file")
    _refused(["run", BASELINE, *SMALL, "--results", str(tmp_path / "afile" / "sub")], capsys, "which is a file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
@pytest.mark.usefixtures("no_simulation")
def test_read_only_results_is_refused_before_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A results root that cannot be written is refused before simulating."""
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o555)
    _refused(["run", BASELINE, *SMALL, "--results", str(ro / "r")], capsys, "cannot write")


def test_results_probe_fails_on_unwritable_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The writability probe turns an OSError (read-only file system, permissions) into one line."""

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(preflight.tempfile, "TemporaryDirectory", denied)
    with pytest.raises(CollectsimError, match=r"cannot write in .*Permission denied"):
        preflight.check_results_root(tmp_path / "new" / "deeper")


@pytest.mark.usefixtures("no_simulation")
def test_too_many_accounts_for_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A population that would not fit in the memory available is refused with the estimate and the limit."""
    monkeypatch.setattr(preflight, "available_bytes", lambda: 2_000_000_000)
    args = ["run", BASELINE, "--set", "population.accounts=20000000", "--quiet", "--results", str(tmp_path)]
    _refused(args, capsys, "need about 80.0 GB, more than the 1.6 GB")
    args = ["staff", BASELINE, "--team", "early_callers", "--headcount", "5,10", "--workers", "4"]
    _refused([*args, "--set", "population.accounts=200000", "--results", str(tmp_path)], capsys, "× 4 runs at once")
    assert list(tmp_path.iterdir()) == []


def test_memory_estimate_counts_the_event_log(baseline: cs.Scenario) -> None:
    """The event log roughly triples a run's memory over 180 days (measured: 3.2 kB → 8.4 kB per account)."""
    plain, logged = preflight.run_bytes(baseline), preflight.run_bytes(baseline, events=True)
    assert 2.5 < logged / plain < 3.0
    assert preflight.available_bytes() is None or preflight.available_bytes() > 0


def test_headcount_ranges() -> None:
    """Comma lists are accepted (the error offers them); ranges are counted before they are built."""
    assert _range("5,10,15") == [5, 10, 15]
    assert _range("10:20:5") == [10, 15, 20]
    assert _range("7") == [7]
    started = time.perf_counter()
    for bad in ("0:100000000", "0:20000:1000", "1,2,x", "1:2:3:4", "5:1", "-1,3"):
        with pytest.raises(Exception, match=r"allowed|need 0"):
            _range(bad)
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(
    ("argv", "phrase"),
    [
        (["compare", BASELINE, BASELINE, "--in-run", "nan"], "--in-run: 'nan' is not a finite number"),
        (["compare", BASELINE, BASELINE, "--target-half-width", "nan"], "--target-half-width: 'nan'"),
        (["compare", BASELINE, BASELINE, "--target-half-width", "inf"], "--target-half-width: 'inf'"),
        (["compare", BASELINE, BASELINE, "--workers", "100000"], "--workers: 100000 is not allowed"),
        (["compare", BASELINE, BASELINE, "-n", "1000000"], "1000000 is not allowed; allowed: 1 to 10,000"),
        (["staff", BASELINE, "--team", "early_callers", "--headcount", "1:3", "--target-service", "nan"], "nan"),
        (["staff", BASELINE, "--team", "early_callers", "--headcount", "0:100000000"], "100,000,001 headcounts"),
        (["erlang", "--arrivals-per-hour", "10", "--aht-min", "5", "--simulate-hours", "nan"], "--simulate-hours"),
        (["erlang", "--arrivals-per-hour", "1e12", "--aht-min", "5"], "--arrivals-per-hour"),
        (["erlang", "--arrivals-per-hour", "10", "--aht-min", "1e308"], "--aht-min"),
        (["erlang", "--arrivals-per-hour", "1e5", "--aht-min", "1000"], "exceeds 100,000"),
        (["erlang", "--arrivals-per-hour", "1e4", "--aht-min", "5", "--simulate-hours", "1000"], "fewer hours"),
        (["erlang", "--arrivals-per-hour", "100", "--aht-min", "5", "--simulate-hours", "0.5"], "at least 1 hours"),
        (["run", BASELINE, "--seed", str(2**64)], "--seed"),
        (["run", BASELINE, "--set", "teams.early_callers.headcount=100000"], "less than or equal to 10000"),
        (["run", BASELINE, "--set", "teams.early_callers.headcount=9999"], "agents in all teams exceed"),
    ],
)
@pytest.mark.usefixtures("no_simulation")
def test_numeric_flags_checked_at_parse_time(argv: list[str], phrase: str, capsys: pytest.CaptureFixture[str]) -> None:
    """NaN, infinity and absurd sizes in flags are refused before any work, naming the flag."""
    _refused(argv, capsys, phrase)


def test_staff_comma_list_runs(tmp_path: Path) -> None:
    """`staff --headcount 5,10` runs each listed headcount."""
    args = ["staff", BASELINE, "--team", "early_callers", "--headcount", "5,10", "-n", "1", "--workers", "1"]
    assert main([*args, *SMALL, "--results", str(tmp_path)]) == 0


@pytest.mark.parametrize("special", ["fifo", "/dev/zero", "big"])
def test_validate_refuses_special_and_huge_files(tmp_path: Path, special: str) -> None:
    """`validate` on a FIFO or /dev/zero returns at once (it used to hang or fill memory); > 10 MB is refused."""
    if special == "fifo":
        path = tmp_path / "s.toml"
        os.mkfifo(path)
    elif special == "big":
        path = tmp_path / "big.toml"
        path.write_text("#" * 10_000_001)
    else:
        path = Path(special)
    proc = subprocess.run(
        [sys.executable, "-m", "collectsim", "validate", str(path)], capture_output=True, text=True, timeout=30, env=ENV
    )
    assert proc.returncode == 2 and proc.stdout == ""
    (line,) = proc.stderr.splitlines()  # one problem: the failure line alone
    assert f"{path}: not a regular file" in line or f"{path}: larger than the 10 MB" in line


def test_broken_pipe_is_quiet() -> None:
    """`collectsim erlang … | head -1` with the reader gone: no traceback, the SIGPIPE exit code."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "collectsim", "erlang", "--arrivals-per-hour", "100", "--aht-min", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    proc.stdout.close()  # before the interpreter has even imported collectsim: every write hits a closed pipe
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141, err
    assert err == ""


def _sweep(tmp_path: Path, body: str) -> Path:
    f = tmp_path / "s.toml"
    f.write_text(f'scenario = "{BASELINE}"\nreplications = 2\nkpis = ["recovery_rate"]\n' + body)
    return f


LHS = 'design = "lhs"\npoints = 4\n[parameters."teams.late_callers.headcount"]\ninteger = true\n'


@pytest.mark.parametrize(
    ("body", "phrase"),
    [
        (LHS + "low = nan\nhigh = 6\n", "finite number"),
        (LHS + "low = 1\nhigh = inf\n", "finite number"),
        (LHS + "low = 1.5\nhigh = 6\n", "whole-number"),
        (
            '[parameters."a.b"]\nlevels = '
            + str(list(range(400)))
            + '\n[parameters."c.d"]\nlevels = '
            + str(list(range(400)))
            + '\n[parameters."e.f"]\nlevels = '
            + str(list(range(400)))
            + "\n",
            "128,000,000 runs",
        ),
        ('design = "sobol"\npoints = 100000\n[parameters."x.y"]\nlow = 1\nhigh = 2\n', "exceed"),
    ],
)
@pytest.mark.usefixtures("no_simulation")
def test_bad_sweep_bounds_one_line(tmp_path: Path, body: str, phrase: str, capsys: pytest.CaptureFixture[str]) -> None:
    """NaN, infinite or fractional-integer bounds and designs of too many runs: one line, before any run."""
    started = time.perf_counter()
    _refused(["sweep", str(_sweep(tmp_path, body)), "--results", str(tmp_path / "r")], capsys, phrase)
    assert time.perf_counter() - started < 5
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("kind", ["directory", "not-utf8"])
def test_sweep_file_that_is_not_text(tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A sweep file that is a directory or not UTF-8 text is one line, not a traceback."""
    f = tmp_path / "s.toml"
    if kind == "directory":
        f.mkdir()
    else:
        f.write_bytes(b"\xff\xfe scenario = 1")
    _refused(["sweep", str(f), "--results", str(tmp_path / "r")], capsys, "s.toml")


def test_portfolio_import_refuses_huge_balances(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Balances of 1e300 once averaged to inf and were written as `mean = inf`; now the row is named."""
    rows = ["segment,balance,dpd", *(f"card,{1e300 if i % 2 else 500},{1 + i % 80}" for i in range(400))]
    csv = tmp_path / "x.csv"
    csv.write_text("\n".join(rows) + "\n")
    out = tmp_path / "fit.toml"
    _refused(["portfolio", "import", str(csv), "--out", str(out), "--template", BASELINE], capsys, "above 1e12")
    assert not out.exists()


def test_sobol_sweep_with_a_constant_kpi_finishes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A Sobol' sweep whose KPI no parameter moves (found by fuzzing) ends with NaN indices, not a traceback."""
    small = tmp_path / "small.toml"
    small.write_text(Path(BASELINE).read_text().replace("accounts = 20000", "accounts = 40"), encoding="utf-8")
    f = tmp_path / "s.toml"
    f.write_text(
        'scenario = "small.toml"\ndesign = "sobol"\npoints = 1\nreplications = 1\nkpis = ["recovery_rate"]\n'
        '[set]\n"horizon.days" = 10\n[parameters."economy.beta"]\nlow = 0\nhigh = 0.5\n'
    )
    assert main(["sweep", str(f), "--workers", "1", "--quiet", "--no-report", "--results", str(tmp_path / "r")]) == 0
    assert "nan" in capsys.readouterr().out.lower()


def test_sweep_without_kpis_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`kpis = []` once crashed a Sobol' sweep after all its runs; it is refused up front."""
    f = _sweep(tmp_path, "kpis = []\n" + LHS.replace("lhs", "sobol") + "low = 1\nhigh = 6\n")
    f.write_text(f.read_text().replace('kpis = ["recovery_rate"]\n', ""))
    _refused(["sweep", str(f), "--results", str(tmp_path / "r")], capsys, "kpis: must not be empty")


def test_misspelled_target_kpi_is_refused_before_any_replication(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`compare --target-kpi` naming no KPI is one line naming the flag and the nearest KPI, before any run."""
    import collectsim.experiments as experiments

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("replications started before --target-kpi was checked")

    monkeypatch.setattr(experiments, "compare", refuse)
    argv = ["compare", BASELINE, BASELINE, "--target-kpi", "recovery_rat", "--target-half-width", "0.01"]
    _refused(
        [*argv, "--results", str(tmp_path / "out")],
        capsys,
        "--target-kpi: 'recovery_rat' is not a KPI; did you mean 'recovery_rate'?",
    )
    assert not (tmp_path / "out").exists()
