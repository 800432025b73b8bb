"""Pinned runs: refactors and speed-ups must leave every figure bit-identical.

A few small runs covering every room of the engine (ladder and team work, conduct rules
in enforce mode, an inflow with shift rosters and callbacks, a score-driven policy,
debt sale after charge-off with legal and agency) are compared with digests recorded on
main before the engine was reorganised. A digest covers the KPI dictionary (every value's
exact ``repr``) and every table of the ``RunResult`` (values, dtypes, column names), so
the smallest change to any draw, event order or float operation shows.

The scenarios are frozen copies in ``tests/pinned/`` (the shipped files as of c9bda84), so
re-tuning a shipped preset never moves a pin: only the engine can. A change that is meant
to alter behaviour re-records the pins, and says so in its commit:
``PYTHONPATH=src python tests/test_pinned_runs.py`` prints the new ``PINS``.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pandas as pd
import pytest

import collectsim as cs

SCENARIOS = Path(__file__).resolve().parent / "pinned"
ACCOUNTS = 2000

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
}
TABLES = ("accounts", "daily", "teams", "costs", "events")

PINS: dict[str, dict[str, str]] = {
    "baseline": {
        "kpis": "e7d5ec87a0cdd98bcd55fa47ab50e142",
        "accounts": "d30882af2d82184fdce0497594d2ccd3",
        "daily": "b1080867297f589bae7329c31ec12cb9",
        "teams": "a647a8ad2388d61b11f68c782240fd32",
        "costs": "cf19ba4fa22f19419ef2da95dd8337db",
        "events": "d020d90a6de24f731045266a868f5356",
        "collected": "2094535.1476747503",
    },
    "conduct_us_reg_f": {
        "kpis": "bc467bc62f6cf489f4b583e9e8b04075",
        "accounts": "46d08faab12cf9052060dabf955730c8",
        "daily": "64242f1d45b88bf08aea98c7fee7d25f",
        "teams": "cc69caf97868df26362601161e83d021",
        "costs": "2e029ebcbb428447df2e29debc33d263",
        "events": "eb863b010bf8b264d7a26c148f49fdaa",
        "collected": "2062629.212273635",
    },
    "debt_sale_inflow": {
        "kpis": "231a9e4000629ac2c2d38115f3137e35",
        "accounts": "19cec74b6c140c9aa3b9a28f69e2e60a",
        "daily": "58b5e2106b92c7b3e421be2b4ad91404",
        "teams": "38b6128c3367824cfa00abf69321d80f",
        "costs": "d2a40a64ad14e9a6cd599978b5360767",
        "events": "fbe08b2f93387732a3dfb7689f62a2f9",
        "collected": "2036019.7188174417",
    },
    "risk_based": {
        "kpis": "bba84485ace007284274c5dd311577d3",
        "accounts": "7ae99ae4ed9b51f7fcbb683ac15787df",
        "daily": "49fb900aa3d6dffe40d015d6dcf9f17c",
        "teams": "0bd9ff7b0b35d0f8b1c434a4c649ffba",
        "costs": "4935bb5c58facbf78a2f2f294c7e8013",
        "events": "dc5129956d0a350aa078dae153d55d25",
        "collected": "2135693.6629397273",
    },
    "staffing_inflow": {
        "kpis": "f4616105bd97185b32deb12efe9b311f",
        "accounts": "b38fb581f6cec976cc714a0c58998066",
        "daily": "ba1f6a2009bb0515a0ee73b403432f6e",
        "teams": "dfb46f9924c038ace3756310fb137ede",
        "costs": "e2f4bc59dee1fc0bfe06fb67f86ff56c",
        "events": "c8f5d8b1f5d22aa8d3285e83ae16213f",
        "collected": "2050275.4742352809",
    },
}


def _digest_frame(df: pd.DataFrame | None) -> str:
    if df is None:
        return "none"
    h = hashlib.sha256()
    h.update(repr([(str(c), str(t)) for c, t in df.dtypes.items()]).encode())
    h.update(pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes())
    return h.hexdigest()[:32]


def _digest_kpis(kpis: dict[str, float]) -> str:
    return hashlib.sha256(repr(sorted(kpis.items())).encode()).hexdigest()[:32]


def digests(name: str) -> dict[str, str]:
    """The digests of one pinned run."""
    file, overrides, seed = RUNS[name]
    sc = cs.with_overrides(cs.load_scenario(SCENARIOS / file), {"population.accounts": ACCOUNTS, **overrides})
    r = cs.simulate(sc, seed=seed, record_events=True)
    out = {"kpis": _digest_kpis(r.kpis)}
    out.update({t: _digest_frame(getattr(r, t)) for t in TABLES})
    out["collected"] = repr(r.kpis["collected"])  # one readable figure, to tell a drift from a broken run
    return out


@pytest.mark.parametrize("name", sorted(RUNS))
def test_run_is_bit_identical_to_its_pin(name: str) -> None:
    """KPIs and every table of the run equal, bit for bit, what was recorded before the refactor."""
    got = digests(name)
    changed = sorted(k for k in PINS[name] if got[k] != PINS[name][k])
    assert not changed, f"{name}: {changed} changed (collected {PINS[name]['collected']} -> {got['collected']})"


if __name__ == "__main__":
    sys.stdout.write("PINS: dict[str, dict[str, str]] = {\n")
    for run in sorted(RUNS):
        sys.stdout.write(f"    {run!r}: {{\n")
        for key, value in digests(run).items():
            sys.stdout.write(f"        {key!r}: {value!r},\n")
        sys.stdout.write("    },\n")
    sys.stdout.write("}\n")
