"""Results writers under concurrency and after crashes: locked sweep folders, unique names, stale clean-up, umask."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import collectsim as cs
from collectsim.cli import main
from collectsim.store import SweepStore, verify, write_run
from collectsim.store.files import clean_stale

ROOT = Path(__file__).resolve().parents[1]
SC = ROOT / "scenarios"
TINY = {"population.accounts": 300, "horizon.days": 20}


def _sweep_file(tmp: Path) -> Path:
    f = tmp / "s.toml"
    f.write_text(
        f'scenario = "{SC / "baseline.toml"}"\nreplications = 1\nkpis = ["recovery_rate"]\n'
        '[set]\n"population.accounts" = 300\n"horizon.days" = 20\n'
        '[parameters."teams.late_callers.headcount"]\nlevels = [2, 6]\n'
    )
    return f


def test_second_sweep_on_a_folder_in_use_stops_with_one_line(tmp_path: Path) -> None:
    """While one process holds a sweep folder, the same sweep elsewhere exits 2 naming the holder's pid."""
    cmd = ["sweep", str(_sweep_file(tmp_path)), "--workers", "1", "--quiet", "--no-report"]
    assert main([*cmd, "--results", str(tmp_path / "r")]) == 0
    (folder,) = list((tmp_path / "r").iterdir())
    name, key = folder.name.rsplit("-", 1)
    with SweepStore(tmp_path / "r", name, key, []):
        proc = subprocess.run(
            [sys.executable, "-m", "collectsim", *cmd, "--results", str(tmp_path / "r")], capture_output=True, text=True
        )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert f"sweep folder {folder} is in use by another collectsim process (pid {os.getpid()})" in proc.stderr
    assert main([*cmd, "--results", str(tmp_path / "r")]) == 0, "the lock is released with the holder"


WRITER = textwrap.dedent(
    """
    import sys, time
    from datetime import UTC, datetime
    from pathlib import Path
    import collectsim as cs
    from collectsim.store import write_run
    from collectsim.store.files import atomic_bytes

    root, go, me = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    sc = cs.load_scenario(sys.argv[4], {"population.accounts": 300, "horizon.days": 20})
    result = cs.simulate(sc, 1)
    (go.parent / f"ready-{me}").touch()
    while not go.exists():
        time.sleep(0.001)
    write_run(result, sc, root, manifest={"writer": me}, now=datetime(2024, 1, 1, tzinfo=UTC))
    for k in range(300):
        atomic_bytes(root / "shared.html", f"{me} {k}".encode())
    """
)


def test_concurrent_writers_finishing_at_once_do_not_collide(tmp_path: Path) -> None:
    """Three processes writing the same folder name and the same file at the same moment all succeed."""
    go, root = tmp_path / "go", tmp_path / "results"
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(root), str(go), str(k), str(SC / "baseline.toml")])
        for k in range(3)
    ]
    deadline = time.time() + 60
    while len(list(tmp_path.glob("ready-*"))) < 3 and time.time() < deadline:
        time.sleep(0.01)
    go.touch()
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]
    folders = sorted(p.name for p in root.iterdir() if p.is_dir())
    assert folders == ["baseline-20240101-000000", "baseline-20240101-000000-1", "baseline-20240101-000000-2"]
    assert sorted(p.name for p in root.iterdir() if p.is_file()) == ["shared.html"]
    for f in folders:
        assert verify(root / f)


def test_stale_partials_of_a_dead_writer_are_cleaned(tmp_path: Path, small_result) -> None:
    """A kill -9 mid-write leaves temporaries; the next write into the root removes those whose owner is dead."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    root = tmp_path / "results"
    root.mkdir()
    stale = [root / f".partial-{pid}-0a1b2c3d", root / f".kpis.csv.{pid}-0a1b2c3d.partial"]
    stale[0].mkdir()
    (stale[0] / "kpis.csv").write_text("half")
    stale[1].write_text("half")
    live = root / f".partial-{os.getppid()}-0a1b2c3d"  # a writer still running: left alone
    live.mkdir()
    keep = root / ".partial-notes"  # not a name collectsim makes: left alone
    keep.mkdir()
    sc, result = small_result
    write_run(result, sc, root, manifest={})
    assert not any(p.exists() for p in stale) and live.exists() and keep.exists()
    assert clean_stale(root) == []


@pytest.fixture(scope="module")
def small_result() -> tuple[cs.Scenario, cs.RunResult]:
    sc = cs.load_scenario(SC / "baseline.toml", TINY)
    return sc, cs.simulate(sc, 1)


def test_results_folders_respect_the_umask(tmp_path: Path, small_result) -> None:
    """A results folder and its files get the modes the user's umask allows, not 0700/0600."""
    sc, result = small_result
    old = os.umask(0o022)
    try:
        folder = write_run(result, sc, tmp_path, manifest={})
    finally:
        os.umask(old)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
    assert stat.S_IMODE((folder / "manifest.json").stat().st_mode) == 0o644


def test_a_finished_sweep_with_a_damaged_table_is_rebuilt_from_its_journal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A truncated sweep.parquet is not taken as 'already complete': one warning, tables rebuilt, nothing rerun."""
    cmd = ["sweep", str(_sweep_file(tmp_path)), "--workers", "1", "--quiet", "--no-report", "--results", str(tmp_path)]
    assert main(cmd) == 0
    (folder,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    whole = (folder / "sweep.parquet").read_bytes()
    (folder / "sweep.parquet").write_bytes(whole[:100])
    capsys.readouterr()
    assert main(cmd) == 0
    out, err = capsys.readouterr()
    (warning,) = err.splitlines()
    assert "sweep.parquet is damaged" in warning and "rebuilding it from the journal" in warning
    assert "2 runs (2 resumed)" in out
    assert (folder / "sweep.parquet").read_bytes() == whole and verify(folder)
    assert main(cmd) == 0 and "already complete" in capsys.readouterr().out
