"""Worker processes die with collectsim: a kill -9 of a parallel sweep leaves no process behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SC = ROOT / "scenarios"

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")


def _stat(pid: int) -> list[str] | None:
    """State, parent pid, … of a process from /proc, or None if it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"  # a zombie holds no memory and runs nothing


def _descendants(pid: int) -> set[int]:
    parents = {int(p.name): s[1] for p in Path("/proc").iterdir() if p.name.isdigit() and (s := _stat(int(p.name)))}
    found, todo = set(), [pid]
    while todo:
        parent = str(todo.pop())
        kids = [child for child, ppid in parents.items() if ppid == parent and child not in found]
        found |= set(kids)
        todo += kids
    return {p for p in found if _alive(p)}


def _sweep_file(tmp: Path) -> Path:
    f = tmp / "s.toml"
    f.write_text(
        f'scenario = "{SC / "baseline.toml"}"\nreplications = 4\nkpis = ["recovery_rate"]\n'
        '[set]\n"population.accounts" = 1500\n"horizon.days" = 90\n'
        '[parameters."teams.late_callers.headcount"]\nlevels = [2, 4, 6]\n'
    )
    return f


@pytest.mark.parametrize("executor", [["--workers", "2"], ["--dask", "local", "--workers", "2"]], ids=["pool", "dask"])
def test_kill_minus_nine_leaves_no_worker_behind(executor: list[str], tmp_path: Path) -> None:
    """kill -9 of the parent alone (not its group): its workers and helpers are gone within seconds."""
    if "--dask" in executor:
        pytest.importorskip("distributed")
    cmd = [sys.executable, "-m", "collectsim", "sweep", str(_sweep_file(tmp_path)), "--quiet", "--no-report"]
    parent = subprocess.Popen(
        [*cmd, *executor, "--results", str(tmp_path / "r")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 60
        while not list(tmp_path.glob("r/*/journal.jsonl")) and time.time() < deadline:
            time.sleep(0.05)
        workers = _descendants(parent.pid)
        assert len(workers) >= 2, "the sweep never started its workers"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.time() + 5
        while any(_alive(p) for p in workers) and time.time() < deadline:
            time.sleep(0.1)
        assert [p for p in workers if _alive(p)] == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(parent.pid, signal.SIGKILL)  # never leave workers behind, even when the test fails


@pytest.mark.slow
def test_ctrl_c_stops_the_workers_and_says_one_line(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to the whole process group): exit 130, one line, and no worker left behind.

    Slow (~9 s) and a guard rather than a reproduction: the kill -9 test above covers the orphans.
    """
    cmd = [sys.executable, "-m", "collectsim", "sweep", str(_sweep_file(tmp_path)), "--quiet", "--no-report"]
    parent = subprocess.Popen(
        [*cmd, "--workers", "2", "--results", str(tmp_path / "r")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 60
        while not list(tmp_path.glob("r/*/journal.jsonl")) and time.time() < deadline:
            time.sleep(0.05)
        workers = _descendants(parent.pid)
        assert len(workers) >= 2, "the sweep never started its workers"
        os.killpg(parent.pid, signal.SIGINT)
        _, err = parent.communicate(timeout=30)
        assert parent.returncode == 130
        assert [ln for ln in err.splitlines() if ln.strip()] == [err.strip()] and "interrupted" in err
        deadline = time.time() + 5
        while any(_alive(p) for p in workers) and time.time() < deadline:
            time.sleep(0.1)
        assert [p for p in workers if _alive(p)] == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(parent.pid, signal.SIGKILL)
