"""Writes a run's results folder; the only module that writes files.

A folder is built under a temporary name and renamed into place only when every
file is written, so an interrupted or failed write never leaves partial results,
and an existing folder is never overwritten (a numeric suffix is added instead).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomli_w

from collectsim.results import RunResult
from collectsim.scenario.schema import Scenario


def _unique_folder(root: Path, stem: str) -> Path:
    path = root / stem
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
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    now = now or datetime.now(UTC)
    tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=root))
    try:
        _write_files(tmp, result, scenario, manifest, now)
        final = _unique_folder(root, run_folder_name(scenario, now))
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _write_files(folder: Path, result: RunResult, scenario: Scenario, manifest: dict[str, Any], now: datetime) -> None:
    (folder / "scenario.toml").write_text(
        tomli_w.dumps(scenario.model_dump(mode="json", exclude_none=True)), encoding="utf-8"
    )
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
