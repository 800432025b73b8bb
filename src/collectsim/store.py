"""Writes results folders (runs, comparisons, sweeps, calibrations); the only module that writes files.

A folder is built under a temporary name and renamed into place only when every
file is written, so an interrupted or failed write never leaves partial results,
and an existing folder is never overwritten (a numeric suffix is added instead).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w

from collectsim.calibration.fit import TargetFit
from collectsim.calibration.history_fit import HistoryFit
from collectsim.calibration.uncertainty import ParameterDraws
from collectsim.errors import CollectsimError
from collectsim.results import Comparison, ExperimentResult, RunResult
from collectsim.scenario.schema import Scenario


def _inside(root: Path, path: Path) -> Path:
    """``path`` if it lies directly in ``root``; a name that climbs out or reaches elsewhere is refused."""
    if path.resolve().parent != root.resolve():
        raise CollectsimError(f"refusing to write '{path}': it is not inside the results folder '{root}'")
    return path


def _unique_folder(root: Path, stem: str) -> Path:
    path = _inside(root, root / stem)
    k = 1
    while path.exists():
        path = root / f"{stem}-{k}"
        k += 1
    return path


def run_folder_name(scenario: Scenario, now: datetime) -> str:
    return f"{scenario.name}-{now.strftime('%Y%m%d-%H%M%S')}"


def write_run(
    result: RunResult, scenario: Scenario, root: str | Path, *, manifest: dict[str, Any], now: datetime | None = None
) -> Path:
    """Write ``results/<scenario>-<timestamp>/`` atomically and return its path."""
    now = now or datetime.now(UTC)
    return _atomic_folder(
        root, run_folder_name(scenario, now), lambda tmp: _write_files(tmp, result, scenario, manifest, now)
    )


def _atomic_folder(root: str | Path, stem: str, fill: Callable[[Path], None]) -> Path:
    """Fill a temporary folder, then rename it to a new ``root/stem[-k]``; on any failure remove it."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=root))
    try:
        fill(tmp)
        final = _unique_folder(root, stem)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _write_files(folder: Path, result: RunResult, scenario: Scenario, manifest: dict[str, Any], now: datetime) -> None:
    _write_scenario(folder / "scenario.toml", scenario)
    full_manifest = {"created": now.isoformat(), **manifest, **result.meta}
    (folder / "manifest.json").write_text(json.dumps(full_manifest, indent=2, default=str), encoding="utf-8")
    result.kpi_frame().to_csv(folder / "kpis.csv", index=False)
    (folder / "kpis.json").write_text(json.dumps(result.kpis, indent=2), encoding="utf-8")
    result.daily.to_csv(folder / "daily.csv", index=False)
    result.teams.to_csv(folder / "teams.csv", index=False)
    result.costs.to_csv(folder / "costs.csv", index=False)
    result.accounts.to_parquet(folder / "accounts.parquet", index=False)
    if result.events is not None:
        result.events.to_parquet(folder / "events.parquet", index=False)


def write_comparison(
    comparison: Comparison,
    scenarios: dict[str, Scenario],
    root: str | Path,
    *,
    manifest: dict[str, Any],
    now: datetime | None = None,
    parameter_draws: ParameterDraws | None = None,
) -> Path:
    """Write ``results/compare-<names>-<timestamp>/`` atomically: runs, summary, in-run arms, scenarios.

    With parameter uncertainty also ``plain_runs.parquet/csv`` (the runs at the estimates),
    ``parameter_draws.csv`` (each replication's draw) and ``parameter_fit.json`` (the
    distribution drawn from); ``scenarios/`` then holds the scenarios at the estimates.
    """
    now = now or datetime.now(UTC)
    if parameter_draws is not None:
        point = parameter_draws.point()
        scenarios = {name: parameter_draws.apply(point, sc) for name, sc in scenarios.items()}

    def fill(tmp: Path) -> None:
        comparison.table.to_parquet(tmp / "runs.parquet", index=False)
        comparison.table.to_csv(tmp / "runs.csv", index=False)
        if comparison.plain is not None:
            comparison.plain.to_parquet(tmp / "plain_runs.parquet", index=False)
            comparison.plain.to_csv(tmp / "plain_runs.csv", index=False)
        if comparison.draws is not None:
            comparison.draws.to_csv(tmp / "parameter_draws.csv", index=False)
        if parameter_draws is not None:
            text = json.dumps(parameter_draws.to_dict(), indent=1)
            (tmp / "parameter_fit.json").write_text(text, encoding="utf-8")
        summary = comparison.summary()
        summary.to_csv(tmp / "summary.csv", index=False)
        (tmp / "summary.json").write_text(summary.to_json(orient="records", indent=1), encoding="utf-8")
        if comparison.in_run is not None:
            comparison.in_run.to_csv(tmp / "in_run.csv", index=False)
            comparison.in_run_summary().to_csv(tmp / "in_run_summary.csv", index=False)
        (tmp / "scenarios").mkdir()
        for name, sc in scenarios.items():
            _write_scenario(_inside(tmp / "scenarios", tmp / "scenarios" / f"{name}.toml"), sc)
        _write_manifest(tmp, manifest, now)

    stem = "compare-" + "-".join(scenarios)[:80] + f"-{now.strftime('%Y%m%d-%H%M%S')}"
    return _atomic_folder(root, stem, fill)


def _write_scenario(path: Path, scenario: Scenario) -> None:
    path.write_text(tomli_w.dumps(scenario.model_dump(mode="json", exclude_none=True)), encoding="utf-8")


def _write_manifest(folder: Path, manifest: dict[str, Any], now: datetime) -> None:
    text = json.dumps({"created": now.isoformat(), **manifest}, indent=2, default=str)
    (folder / "manifest.json").write_text(text, encoding="utf-8")


def fingerprint(*parts: Any) -> str:
    """A short stable hash of JSON-able parts: the same sweep always maps to the same folder."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


class SweepStore:
    """A sweep's folder: rows journaled as jobs finish, final tables written at the end.

    The journal is one JSON line per finished job, flushed and fsynced, so a sweep
    killed at any moment keeps every finished job; a torn last line is cut off on
    resume. Final tables are written to a temporary name and renamed into place.
    """

    def __init__(self, root: str | Path, name: str, key: str) -> None:
        self.folder = _inside(Path(root), Path(root) / f"{name}-{key}")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.journal = self.folder / "journal.jsonl"

    @property
    def complete(self) -> bool:
        return (self.folder / "sweep.parquet").exists()

    def load_done(self) -> dict[int, list[dict[str, Any]]]:
        """Jobs already finished, by job index; repairs a torn last line left by a kill."""
        if not self.journal.exists():
            return {}
        data = self.journal.read_bytes()
        good = data[: data.rfind(b"\n") + 1]
        if len(good) != len(data):
            with open(self.journal, "r+b") as fh:
                fh.truncate(len(good))
        done = {}
        for line in good.splitlines():
            entry = json.loads(line)
            done[int(entry["job"])] = entry["rows"]
        return done

    def append(self, job: int, rows: list[dict[str, Any]]) -> None:
        line = json.dumps({"job": job, "rows": rows}) + "\n"
        with open(self.journal, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

    def write_text(self, name: str, text: str) -> None:
        _atomic(self.folder / name, lambda p: p.write_text(text, encoding="utf-8"))

    def finish(self, result: ExperimentResult, manifest: dict[str, Any]) -> None:
        _atomic(self.folder / "sweep.csv", lambda p: result.table.to_csv(p, index=False))
        if result.sobol is not None:
            _atomic(self.folder / "sobol.csv", lambda p: result.sobol.to_csv(p, index=False))
        _atomic(self.folder / "summary.csv", lambda p: result.summary().to_csv(p, index=False))
        self.write_text("manifest.json", json.dumps(manifest, indent=2, default=str))
        # The Parquet table is written last: its presence marks the sweep complete.
        _atomic(self.folder / "sweep.parquet", lambda p: result.table.to_parquet(p, index=False))


def _atomic(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_staffing(
    curves: dict,
    plan: pd.DataFrame | None,
    scenario: Scenario,
    root: str | Path,
    *,
    text: str,
    manifest: dict[str, Any],
    now: datetime | None = None,
) -> Path:
    """Write ``results/staff-<scenario>-<timestamp>/`` atomically: runs, curves, plan, the printed report."""
    now = now or datetime.now(UTC)

    def fill(tmp: Path) -> None:
        runs = pd.concat([c.table.assign(team=t) for t, c in curves.items()], ignore_index=True)
        runs.to_csv(tmp / "runs.csv", index=False)
        runs.to_parquet(tmp / "runs.parquet", index=False)
        summaries = [c.summary.assign(team=t) for t, c in curves.items()]
        pd.concat(summaries, ignore_index=True).to_csv(tmp / "staffing.csv", index=False)
        if plan is not None:
            plan.to_csv(tmp / "plan.csv", index=False)
        (tmp / "report.txt").write_text(text + "\n", encoding="utf-8")
        _write_scenario(tmp / "scenario.toml", scenario)
        _write_manifest(tmp, manifest, now)

    return _atomic_folder(root, f"staff-{scenario.name}-{now.strftime('%Y%m%d-%H%M%S')}", fill)


def write_calibration(
    fit: TargetFit,
    out: str | Path,
    *,
    text: str,
    manifest: dict[str, Any],
    figure_png: bytes | None = None,
    now: datetime | None = None,
) -> Path:
    """Write a calibration to exactly ``out`` (never over an existing path), atomically.

    ``fit.json`` (settings, fitted parameters, per-target figures, manifest), ``fit.csv``
    (per target), ``trace.csv`` (every evaluation), ``runs.csv`` (the replications at the
    fitted point), ``scenario.toml`` (the scenario with the fitted values), ``report.txt``
    (the printed tables) and ``fit.png`` when given.
    """
    now = now or datetime.now(UTC)
    out = Path(out)
    refuse_existing(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        body = {"created": now.isoformat(), **manifest, **fit.to_dict()}
        (tmp / "fit.json").write_text(json.dumps(body, indent=2, default=str), encoding="utf-8")
        fit.table.to_csv(tmp / "fit.csv", index=False)
        fit.trace.to_csv(tmp / "trace.csv", index=False)
        fit.runs.to_csv(tmp / "runs.csv", index=False)
        _write_scenario(tmp / "scenario.toml", fit.scenario)
        (tmp / "report.txt").write_text(text + "\n", encoding="utf-8")
        if figure_png is not None:
            (tmp / "fit.png").write_bytes(figure_png)
        refuse_existing(out)
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def write_history_fit(
    fit: HistoryFit,
    out: str | Path,
    *,
    scenario: Scenario,
    manifest: dict[str, Any],
    finish: Callable[[Path], None] | None = None,
    now: datetime | None = None,
) -> Path:
    """Write a history fit to exactly ``out`` (never over an existing path), atomically.

    ``fit.json`` (estimates with errors, counts, notes, back-test, manifest), ``fit.csv``
    (segment, parameter, estimate, std_error), ``curves.csv`` (observed and fitted curves),
    ``holdout.csv`` (with a back-test) and ``scenario.toml`` (the calibrated scenario).
    Aggregates only: no account key or row of the extract is written. ``finish(folder)`` runs
    on the complete temporary folder before it is renamed (the report), so a failure there
    leaves nothing behind either.
    """
    now = now or datetime.now(UTC)
    out = Path(out)
    refuse_existing(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        body = {"created": now.isoformat(), **manifest, **fit.to_dict()}
        (tmp / "fit.json").write_text(json.dumps(body, indent=2, default=str), encoding="utf-8")
        fit.table().to_csv(tmp / "fit.csv", index=False)
        fit.curves.to_csv(tmp / "curves.csv", index=False)
        if fit.holdout is not None:
            fit.holdout.to_csv(tmp / "holdout.csv", index=False)
        _write_scenario(tmp / "scenario.toml", scenario)
        if finish is not None:
            finish(tmp)
        refuse_existing(out)
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def refuse_existing(out: str | Path) -> None:
    """One-line error if ``out`` exists: a results folder is never overwritten."""
    if Path(out).exists():
        raise CollectsimError(f"--out: '{out}' already exists; allowed: a path that does not exist yet")
