"""Writes results folders (runs, comparisons, staffing, calibrations).

A folder is built under a temporary name (``.partial-<pid>-<token>``) and renamed into place only when
every file is written and the manifest records their sizes and checksums, so an interrupted or failed
write never leaves partial results. A new name is reserved with ``mkdir``, which fails if it exists, so
concurrent writers never overwrite one another (a numeric suffix is added instead). Temporary folders
left by a killed writer are removed by the next write into the same root.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
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
from collectsim.results import Comparison, RunResult
from collectsim.scenario.schema import Scenario
from collectsim.store.files import clean_stale, json_text, partial_dir
from collectsim.store.integrity import seal


def _inside(root: Path, path: Path) -> Path:
    """``path`` if it lies directly in ``root``; a name that climbs out or reaches elsewhere is refused."""
    if path.resolve().parent != root.resolve():
        raise CollectsimError(f"refusing to write '{path}': it is not inside the results folder '{root}'")
    return path


def _unique_folder(root: Path, stem: str) -> Path:
    """The first free name among ``root/stem``, ``root/stem-1`` …; a name that climbs out is refused."""
    path = _inside(root, root / stem)
    k = 1
    while path.exists():
        path = root / f"{stem}-{k}"
        k += 1
    return path


def _claim(root: Path, stem: str) -> Path:
    """Reserve a new folder name by creating it empty: ``mkdir`` fails if another writer got there first."""
    while True:
        path = _unique_folder(root, stem)
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path


def run_folder_name(scenario: Scenario, now: datetime) -> str:
    return f"{scenario.name}-{now.strftime('%Y%m%d-%H%M%S')}"


def write_run(
    result: RunResult, scenario: Scenario, root: str | Path, *, manifest: dict[str, Any], now: datetime | None = None
) -> Path:
    """Write ``results/<scenario>-<timestamp>/`` atomically and return its path."""
    now = now or datetime.now(UTC)
    full = {"created": now.isoformat(), **manifest, **result.meta}
    return _atomic_folder(root, run_folder_name(scenario, now), lambda tmp: _write_files(tmp, result, scenario), full)


def _atomic_folder(root: str | Path, stem: str, fill: Callable[[Path], None], manifest: dict[str, Any]) -> Path:
    """Fill a temporary folder, seal its manifest, then rename it to a new ``root/stem[-k]``.

    On any failure the temporary folder (and a reserved name) is removed.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    clean_stale(root)
    tmp = partial_dir(root)
    final: Path | None = None
    try:
        fill(tmp)
        seal(tmp, manifest)
        final = _claim(root, stem)
        os.rename(tmp, final)  # replaces the empty folder just reserved
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if final is not None and final.is_dir() and not any(final.iterdir()):
            final.rmdir()
        raise
    return final


def _write_files(folder: Path, result: RunResult, scenario: Scenario) -> None:
    _write_scenario(folder / "scenario.toml", scenario)
    result.kpi_frame().to_csv(folder / "kpis.csv", index=False)
    (folder / "kpis.json").write_text(json_text(result.kpis, indent=2), encoding="utf-8")
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
            text = json_text(parameter_draws.to_dict(), indent=1)
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

    stem = "compare-" + "-".join(scenarios)[:80] + f"-{now.strftime('%Y%m%d-%H%M%S')}"
    return _atomic_folder(root, stem, fill, {"created": now.isoformat(), **manifest})


def _write_scenario(path: Path, scenario: Scenario) -> None:
    path.write_text(tomli_w.dumps(scenario.model_dump(mode="json", exclude_none=True)), encoding="utf-8")


def fingerprint(*parts: Any) -> str:
    """A short stable hash of JSON-able parts: the same sweep always maps to the same folder."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


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

    stem = f"staff-{scenario.name}-{now.strftime('%Y%m%d-%H%M%S')}"
    return _atomic_folder(root, stem, fill, {"created": now.isoformat(), **manifest})


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
    (the printed tables), ``fit.png`` when given, and ``manifest.json`` with every file's checksum.
    """
    now = now or datetime.now(UTC)

    def fill(tmp: Path) -> None:
        body = {"created": now.isoformat(), **manifest, **fit.to_dict()}
        (tmp / "fit.json").write_text(json_text(body, indent=2, default=str), encoding="utf-8")
        fit.table.to_csv(tmp / "fit.csv", index=False)
        fit.trace.to_csv(tmp / "trace.csv", index=False)
        fit.runs.to_csv(tmp / "runs.csv", index=False)
        _write_scenario(tmp / "scenario.toml", fit.scenario)
        (tmp / "report.txt").write_text(text + "\n", encoding="utf-8")
        if figure_png is not None:
            (tmp / "fit.png").write_bytes(figure_png)

    return _exact_folder(Path(out), fill, {"created": now.isoformat(), **manifest})


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
    ``holdout.csv`` (with a back-test), ``scenario.toml`` (the calibrated scenario) and
    ``manifest.json`` with every file's checksum. Aggregates only: no account key or row of the
    extract is written. ``finish(folder)`` runs on the complete, sealed temporary folder before it
    is renamed (the report), so a failure there leaves nothing behind either.
    """
    now = now or datetime.now(UTC)

    def fill(tmp: Path) -> None:
        body = {"created": now.isoformat(), **manifest, **fit.to_dict()}
        (tmp / "fit.json").write_text(json_text(body, indent=2, default=str), encoding="utf-8")
        fit.table().to_csv(tmp / "fit.csv", index=False)
        fit.curves.to_csv(tmp / "curves.csv", index=False)
        if fit.holdout is not None:
            fit.holdout.to_csv(tmp / "holdout.csv", index=False)
        _write_scenario(tmp / "scenario.toml", scenario)

    return _exact_folder(Path(out), fill, {"created": now.isoformat(), **manifest}, finish)


def _exact_folder(
    out: Path, fill: Callable[[Path], None], manifest: dict[str, Any], finish: Callable[[Path], None] | None = None
) -> Path:
    """Fill and seal a temporary folder beside ``out``, run ``finish`` on it, then rename it to exactly ``out``.

    ``out`` is reserved with ``mkdir`` just before the rename, so a folder that appeared meanwhile
    (another writer) is refused, never replaced. On any failure nothing is left behind.
    """
    refuse_existing(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(out.parent)
    tmp = partial_dir(out.parent, prefix=f".{out.name}.partial-")
    claimed = False
    try:
        fill(tmp)
        seal(tmp, manifest)
        if finish is not None:
            finish(tmp)
        _claim_exactly(out)
        claimed = True
        os.rename(tmp, out)  # replaces the empty folder just reserved
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if claimed and out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        raise
    return out


def _claim_exactly(out: Path) -> None:
    try:
        out.mkdir()
    except FileExistsError:
        refuse_existing(out)
        raise


def refuse_existing(out: str | Path) -> None:
    """One-line error if ``out`` exists: a results folder is never overwritten."""
    if Path(out).exists():
        raise CollectsimError(f"--out: '{out}' already exists; allowed: a path that does not exist yet")
