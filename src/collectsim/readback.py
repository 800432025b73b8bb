"""Reading a saved results folder back: checked against its manifest, every unreadable file named in one line.

``open_folder`` verifies the checksums a folder was sealed with before anything reads it, so a
truncated table is refused instead of silently giving a report from partial data. The readers
(``csv``, ``parquet``, ``json_file``, ``toml_file``) turn a missing or unparsable file into a
``CollectsimError`` naming that file: folders from before checksums get the same one-line errors.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa

from collectsim.errors import CollectsimError
from collectsim.results import day_or_na, missing_day_columns
from collectsim.store import integrity

T = TypeVar("T")
UNREADABLE = (OSError, ValueError, UnicodeDecodeError, pa.ArrowException)


def open_folder(folder: Path, *, command: str) -> bool:
    """Check ``folder`` against its manifest; True if verified, False if it has no checksums (an older folder)."""
    if not folder.is_dir():
        raise CollectsimError(f"{command}: '{folder}' is not a folder")
    return integrity.verify(folder, what=f"{command}: results folder")


def unverified_warning(folder: Path) -> str:
    """The one warning for a folder read without checksums."""
    return f"warning: '{folder}' has no checksums (written by an older collectsim); its files were not verified"


def _read(path: Path, how: Callable[[Path], T]) -> T:
    if not path.exists():
        raise CollectsimError(f"{path}: missing from the results folder; rerun the command that wrote it")
    if not path.is_file():
        raise CollectsimError(f"{path}: is not a file")
    try:
        return how(path)
    except UNREADABLE as exc:
        first = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise CollectsimError(f"{path}: damaged or unreadable ({first})") from None


def csv(path: Path) -> pd.DataFrame:
    """A CSV table."""
    return _read(path, pd.read_csv)


def parquet(path: Path) -> pd.DataFrame:
    """A Parquet table."""
    return _read(path, pd.read_parquet)


def accounts(path: Path) -> pd.DataFrame:
    """A run's ``accounts.parquet``, as the current version writes it.

    A table saved by an earlier version named its key ``account_id`` (now ``account``, as in the
    events table and the calibration inputs) and held a sentinel for a day that never came (-1, or
    -1_000_000 for ``broken_plan_day``) and NaN in ``resolution_dpd``; those become NA in ``Int64``.
    """
    table = parquet(path)
    if "account_id" in table and "account" not in table:
        table = table.rename(columns={"account_id": "account"})
    for col in missing_day_columns(table.columns):
        if not isinstance(table[col].dtype, pd.Int64Dtype):
            days = table[col].to_numpy(dtype=float)
            table[col] = day_or_na(np.nan_to_num(days, nan=-1.0).astype(np.int64))
    return table


def json_file(path: Path) -> Any:
    """A JSON document (UTF-8)."""
    return _read(path, lambda p: json.loads(p.read_bytes().decode("utf-8")))


def kpis_json(path: Path) -> dict[str, Any]:
    """A ``kpis.json``: the ``null`` written for a KPI with no value (NaN) read back as NaN."""
    return {k: math.nan if v is None else v for k, v in json_file(path).items()}


def toml_file(path: Path) -> dict[str, Any]:
    """A TOML document (UTF-8)."""
    return _read(path, lambda p: tomllib.loads(p.read_bytes().decode("utf-8")))
