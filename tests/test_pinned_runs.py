"""Pinned runs: refactors and speed-ups must leave every figure unchanged.

A few small runs covering every room of the engine (ladder and team work, conduct rules
in enforce mode, an inflow with shift rosters and callbacks, a score-driven policy,
debt sale after charge-off with legal and agency) are compared with fingerprints recorded
on main (``tests/pinned/pins.json``). A fingerprint holds every KPI, and for every table of
the ``RunResult`` its column names and an exact digest of everything discrete (integers,
flags, labels, which floats are missing), so the smallest change to a draw or an event
order shows; float columns are compared by two checksums (a plain and a position-weighted
sum) to 1e-9 relative, as are the KPIs. Not bit for bit, on purpose: numpy's vectorised
``exp``/``log`` differ in the last bit between CPUs (AVX-512 and AVX2 code paths), and
pins recorded on one machine failed on another with every amount collected identical.

The scenarios are frozen copies in ``tests/pinned/`` (the shipped files as of c9bda84), so
re-tuning a shipped preset never moves a pin: only the engine can. A change that is meant
to alter behaviour re-records the pins, and says so in its commit:
``PYTHONPATH=src python tests/test_pinned_runs.py > tests/pinned/pins.json``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import collectsim as cs

SCENARIOS = Path(__file__).resolve().parent / "pinned"
PIN_FILE = SCENARIOS / "pins.json"
ACCOUNTS = 2000
RTOL = 1e-9

# name -> (scenario file, overrides, seed); every run has ACCOUNTS accounts and records its events.
RUNS: dict[str, tuple[str, dict[str, object], int]] = {
    "baseline": ("baseline.toml", {}, 3),
    "conduct_us_reg_f": ("conduct_us_reg_f.toml", {}, 5),
    "staffing_inflow": ("staffing_inflow.toml", {}, 7),
    "risk_based": ("risk_based.toml", {}, 11),
    "debt_sale_inflow": (
        "baseline.toml",
        {
            "population.mode": "inflow",
            "population.inflow_days": 60,
            "chargeoff.dpd": 120,
            "debt_sale.price": 0.12,
            "debt_sale.after_days": 20,
            "debt_sale.price_drop_per_year": 0.5,
            "economy.cost_of_funds": 0.08,
        },
        13,
    ),
    # The card contract with re-default, re-ageing, interest, fees and the recovery stage: the schedule's daily
    # bookkeeping (DPD, dues, cures, re-defaults, bucket arrivals) pinned bit for bit.
    "card_statements": ("card_statements.toml", {}, 17),
}
TABLES = ("accounts", "daily", "teams", "costs", "events")


def _table_print(df: pd.DataFrame | None) -> dict[str, object] | None:
    """Column names, an exact digest of the discrete content, and two checksums per float column."""
    if df is None:
        return None
    h = hashlib.sha256(repr([str(c) for c in df.columns]).encode())
    weights = 1.0 + (np.arange(len(df)) * 0.6180339887498949) % 1.0  # a row moved changes the weighted sum
    floats: dict[str, list[float]] = {}
    for col in df.columns:
        x = df[col]
        if pd.api.types.is_float_dtype(x.dtype):
            v = x.to_numpy(dtype=float, na_value=np.nan)
            finite = np.isfinite(v)
            h.update(np.packbits(finite).tobytes() + np.sign(v[~finite & ~np.isnan(v)]).tobytes())
            floats[str(col)] = [float(v[finite].sum()), float((v[finite] * weights[finite]).sum())]
        elif pd.api.types.is_bool_dtype(x.dtype) or pd.api.types.is_integer_dtype(x.dtype):
            h.update(x.astype("Float64").to_numpy(dtype=float, na_value=np.nan).tobytes())
        else:
            h.update("\x1f".join(map(str, x.tolist())).encode())
    return {"rows": len(df), "exact": h.hexdigest()[:32], "floats": floats}


def fingerprint(r: cs.RunResult) -> dict[str, object]:
    """What a pin holds for one run: every KPI and a print of every table."""
    out: dict[str, object] = {"kpis": {k: float(v) for k, v in sorted(r.kpis.items())}}
    out.update({t: _table_print(getattr(r, t)) for t in TABLES})
    return out


def pinned_run(name: str) -> cs.Scenario:
    """The scenario of one pinned run."""
    file, overrides, _ = RUNS[name]
    return cs.with_overrides(cs.load_scenario(SCENARIOS / file), {"population.accounts": ACCOUNTS, **overrides})


def differences(got: dict[str, object], pin: dict[str, object]) -> list[str]:
    """What differs between two fingerprints, named; empty when they agree."""
    out: list[str] = []
    a, b = got["kpis"], pin["kpis"]
    if sorted(a) != sorted(b):
        out.append(f"KPI names: new {sorted(set(a) - set(b))}, gone {sorted(set(b) - set(a))}")
    out += [f"kpi {k}: {b[k]!r} -> {a[k]!r}" for k in sorted(set(a) & set(b)) if not _close(a[k], b[k])]
    for t in TABLES:
        x, y = got[t], pin[t]
        shape = (lambda p: (p["rows"], p["exact"], sorted(p["floats"]))) if x and y else None
        if (x is None) != (y is None) or (shape and shape(x) != shape(y)):
            out.append(f"table {t}: rows, columns or discrete content")
        elif x:
            out += [f"table {t}.{c}" for c in x["floats"] if not all(map(_close, x["floats"][c], y["floats"][c]))]
    return out


def _close(a: float, b: float) -> bool:
    return (np.isnan(a) and np.isnan(b)) or a == b or abs(a - b) <= RTOL * max(abs(a), abs(b))


def pins() -> dict[str, dict[str, object]]:
    return json.loads(PIN_FILE.read_text())


@pytest.mark.parametrize("name", sorted(RUNS))
def test_run_matches_its_pin(name: str) -> None:
    """KPIs and every table of the run equal what was recorded on main."""
    r = cs.simulate(pinned_run(name), seed=RUNS[name][2], record_events=True)
    changed = differences(fingerprint(r), pins()[name])
    assert not changed, f"{name}: " + "; ".join(changed[:12])


def test_the_fingerprint_catches_a_small_change() -> None:
    """One account's float off by a millionth, two rows swapped, or one flag flipped: each shows."""
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "k": [1, 2, 3], "b": [True, False, True], "s": ["a", "b", "c"]})
    base = _table_print(df)
    nudged, swapped, flipped = df.copy(), df.iloc[[1, 0, 2]].reset_index(drop=True), df.copy()
    nudged.loc[1, "x"] += 2e-6
    flipped.loc[2, "b"] = False
    for other in (nudged, swapped, flipped):
        got = {"kpis": {}, **{t: None for t in TABLES}, "accounts": _table_print(other)}
        pin = {"kpis": {}, **{t: None for t in TABLES}, "accounts": base}
        assert differences(got, pin)
    same = {"kpis": {"a": 1.0}, **{t: None for t in TABLES}, "accounts": base}
    assert not differences(same, same)


if __name__ == "__main__":
    every = {}
    for run in sorted(RUNS):
        r = cs.simulate(pinned_run(run), seed=RUNS[run][2], record_events=True)
        every[run] = fingerprint(r)
    json.dump(every, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
