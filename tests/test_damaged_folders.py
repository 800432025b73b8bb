"""`collectsim report` on a damaged results folder: one line naming the damaged file, exit 2, no traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from collectsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
SC = ROOT / "scenarios"
TINY = ["--set", "population.accounts=300", "--set", "horizon.days=30", "--quiet", "--no-report"]
KINDS = ("run", "compare", "sweep", "staff")


def _command(kind: str, tmp: Path) -> list[str]:
    base = str(SC / "baseline.toml")
    if kind == "sweep":
        f = tmp / "s.toml"
        f.write_text(
            f'scenario = "{SC / "baseline.toml"}"\nreplications = 1\nkpis = ["recovery_rate"]\n'
            '[set]\n"population.accounts" = 300\n"horizon.days" = 30\n'
            '[parameters."teams.late_callers.headcount"]\nlevels = [2, 6]\n'
        )
        return ["sweep", str(f), "--workers", "1", "--quiet", "--no-report"]
    if kind == "histories":
        from collectsim.calibration.synthetic import TrueParams, simulate_histories

        truth = TrueParams(0.01, 0.05, 0.1, 0.01, 0.05, 0.3, 2.0, 5.0, {"call": 0.02})
        a, e = simulate_histories({"all": truth}, accounts=300, seed=3)
        a.to_csv(tmp / "accounts.csv", index=False)
        e.to_csv(tmp / "events.csv", index=False)
        files = ["--accounts", str(tmp / "accounts.csv"), "--events", str(tmp / "events.csv")]
        return ["calibrate", "histories", *files, "--scenario", base, "--no-report", "--out"]
    return {
        "run": ["run", base, *TINY],
        "compare": ["compare", base, str(SC / "soft.toml"), "-n", "2", "--workers", "1", *TINY],
        "staff": ["staff", base, "--team", "early_callers", "--headcount", "2:6:4", "-n", "1", "--workers", "1", *TINY],
    }[kind]


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One intact results folder per command, written without a report."""
    return {kind: _made(kind, tmp_path_factory.mktemp(kind)) for kind in KINDS}


def _made(kind: str, tmp: Path) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    command = _command(kind, tmp)
    target = [str(tmp / "results" / "fit")] if command[-1] == "--out" else ["--results", str(tmp / "results")]
    assert main([*command, *target]) == 0
    (folder,) = list((tmp / "results").iterdir())
    return folder


def _sealed(folder: Path) -> list[str]:
    return sorted(json.loads((folder / "manifest.json").read_text())["files"])


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


DAMAGE: dict[str, Callable[[Path], None]] = {"missing": Path.unlink, "truncated": _truncate}


def _edit_manifest(folder: Path, change: Callable[[dict], object]) -> None:
    man = json.loads((folder / "manifest.json").read_text())
    change(man)
    (folder / "manifest.json").write_text(json.dumps(man))


def _report_fails(folder: Path, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["report", str(folder)]) == 2
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    assert not (folder / "report.html").is_file()
    return lines[0]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("how", list(DAMAGE))
def test_every_sealed_file_missing_or_truncated_is_named(
    kind: str, how: str, folders: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each data file of each kind of folder, deleted or cut in half: one line naming that file."""
    _damage_each_file(folders[kind], how, tmp_path, capsys)


@pytest.mark.slow
def test_every_file_of_a_history_fit_missing_or_truncated_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The calibrate-histories folder too (slow: the fit takes ~20 s on a shared machine)."""
    folder = _made("histories", tmp_path / "made")
    for how in DAMAGE:
        _damage_each_file(folder, how, tmp_path / how, capsys)


def _damage_each_file(folder: Path, how: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    names = _sealed(folder)
    assert len(names) >= 4
    for name in names:
        copy = tmp_path / name.replace("/", "_")
        shutil.copytree(folder, copy)
        DAMAGE[how](copy / name)
        line = _report_fails(copy, capsys)
        assert f"{name} is damaged" in line and ("missing" in line if how == "missing" else "bytes" in line)


@pytest.mark.parametrize("kind", KINDS)
def test_figures_as_a_file_and_a_truncated_manifest(
    kind: str, folders: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`figures` a file, `report.html` a folder, a cut, missing or edited manifest: one line naming it."""
    for damage, named in (
        (lambda f: (f / "figures").write_text("x"), "figures"),
        (lambda f: (f / "report.html").mkdir(), "report.html"),
        (lambda f: _truncate(f / "manifest.json"), "manifest.json is damaged"),
        (lambda f: (f / "manifest.json").unlink(), "manifest.json is missing"),
        (lambda f: _edit_manifest(f, lambda m: m.update(files={**m["files"], "extra.csv": {}})), "manifest.json is"),
        (lambda f: _edit_manifest(f, lambda m: m.pop("files")), "manifest.json is damaged"),
    ):
        copy = tmp_path / "case"
        shutil.copytree(folders[kind], copy)
        damage(copy)
        assert named in _report_fails(copy, capsys)
        shutil.rmtree(copy)


def test_a_damaged_table_in_a_folder_without_checksums_is_named(
    folders: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An older folder (no checksums) with an unreadable Parquet or JSON file: still one line naming it."""
    for name in ("accounts.parquet", "kpis.json", "daily.csv"):
        copy = tmp_path / name
        shutil.copytree(folders["run"], copy)
        man = json.loads((copy / "manifest.json").read_text())
        del man["files"], man["manifest_sha256"]
        (copy / "manifest.json").write_text(json.dumps(man))
        (copy / name).write_bytes(b"\xff\x00garbage" if name != "daily.csv" else b"")
        assert name in _report_fails(copy, capsys)


def test_report_without_a_traceback_from_the_command_line(folders: dict[str, Path], tmp_path: Path) -> None:
    """The real command: a truncated daily.csv is refused with exit 2 and one line, no traceback."""
    copy = tmp_path / "run"
    shutil.copytree(folders["run"], copy)
    _truncate(copy / "daily.csv")
    proc = subprocess.run([sys.executable, "-m", "collectsim", "report", str(copy)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "daily.csv is damaged" in proc.stderr and "Traceback" not in proc.stderr
