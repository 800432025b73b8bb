"""Hypothesis strategies shared by the property and fuzz tests: valid small scenarios, and mutations of them.

``valid_overrides`` draws dotted-path overrides inside each field's allowed range — often at its
bounds, where overflow and empty denominators live — on top of a shipped scenario shrunk to at most
300 accounts and 60 days. Draws that break a cross-field rule are filtered out by the caller.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

import collectsim as cs
from collectsim.scenario.load import read_toml

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SHIPPED = tuple(sorted(p.name for p in SCENARIOS.glob("*.toml")))
MONEY_MAX = 1e12


@functools.cache
def shipped(name: str) -> dict[str, Any]:
    """A shipped scenario's raw data (read once)."""
    return read_toml(SCENARIOS / name)


@functools.cache
def shipped_scenario(name: str) -> cs.Scenario:
    return cs.load_scenario(SCENARIOS / name)


def edge_floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Floats in [lo, hi], with the bounds themselves drawn often."""
    return st.one_of(st.sampled_from([lo, hi]), st.floats(lo, hi, allow_nan=False, allow_infinity=False))


PROB = edge_floats(0.0, 1.0)
MONEY = st.one_of(st.sampled_from([0.0, 1.0, MONEY_MAX]), st.floats(0, MONEY_MAX))


def dist(lo: float, hi: float, *, mean_max: float) -> st.SearchStrategy[dict[str, Any]]:
    """A distribution spec whose draws lie in [lo, hi] (hi may be inf) and whose mean is at most ``mean_max``."""
    top = min(hi, mean_max)
    bounded = edge_floats(lo, top)
    out = [
        bounded.map(lambda v: {"dist": "constant", "value": v}),
        st.tuples(bounded, bounded).map(lambda p: {"dist": "uniform", "low": min(p), "high": max(p)}),
        st.tuples(bounded, bounded, bounded).map(
            lambda p: {"dist": "triangular", "low": min(p), "mode": sorted(p)[1], "high": max(p)}
        ),
    ]
    if hi == 1.0:
        out.append(
            st.tuples(edge_floats(1e-3, 1e6), edge_floats(1e-3, 1e6)).map(lambda p: dict(dist="beta", a=p[0], b=p[1]))
        )
    if math.isinf(hi):
        mean = edge_floats(1e-6, top).filter(lambda m: m > 0)
        out.append(mean.map(lambda m: {"dist": "exponential", "mean": m}))
        out.append(
            st.tuples(mean, edge_floats(1e-3, 100.0)).map(
                lambda p: {"dist": "lognormal", "mean": p[0], "sd": p[0] * p[1]}
            )
        )
    return st.one_of(out)


@st.composite
def valid_overrides(draw: st.DrawFn, max_accounts: int = 300, max_days: int = 60) -> tuple[str, dict[str, Any]]:
    """A shipped scenario's file name and overrides that keep it valid field by field (small and fast)."""
    name = draw(st.sampled_from(SHIPPED))
    raw = shipped(name)
    days = draw(st.integers(1, max_days))
    ov: dict[str, Any] = {"population.accounts": draw(st.integers(1, max_accounts)), "horizon.days": days}
    if draw(st.booleans()):
        ov["population.mode"] = "inflow"
        ov["population.inflow_days"] = draw(st.integers(1, days))
        ov["population.inflow_weekly_weights"] = draw(
            st.lists(edge_floats(1e-6, 1e6).filter(bool), min_size=1, max_size=10)
        )
    else:
        ov["population.mode"] = "cohort"
    optional = {
        "horizon.start_weekday": st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
        "economy.unemployment_change_pp": edge_floats(-50, 50),
        "economy.beta": edge_floats(-1, 1),
        "economy.cost_of_funds": PROB,
        "chargeoff.dpd": st.integers(1, 3650),
        "score.auc": edge_floats(0.5, 0.999),
        "policy.priority": st.sampled_from(["expected_value", "expected_loss", "dpd", "fifo"]),
        "policy.one_call_per_day": st.booleans(),
        "legal.filing_fee": MONEY,
        "legal.enforcement_fee": MONEY,
        "legal.service_days": dist(0, math.inf, mean_max=3650),
        "legal.court_days": dist(0, math.inf, mean_max=3650),
        "legal.contested_days": dist(0, math.inf, mean_max=3650),
        "legal.filing_minutes": dist(0, math.inf, mean_max=1440),
        "legal.contested_prob": PROB,
        "legal.weekly_fraction": PROB,
        "legal.enforcement_delay_days": st.integers(0, 3650),
        "agency.placement_days": st.integers(1, 3650),
        "agency.commission": PROB,
        "agency.effect": edge_floats(0, 10),
        "agency.partial_fraction": dist(0, 1.0, mean_max=1.0),
        "repayment.partial_fraction": dist(0, 1.0, mean_max=1.0),
        "repayment.promise_days": st.tuples(st.integers(0, 365), st.integers(0, 365)).map(list),
        "complaints.cost": MONEY,
        "complaints.pressure": edge_floats(0, 10),
        "complaints.vulnerable_multiplier": edge_floats(0, 100),
        "debt_sale": st.fixed_dictionaries({"after_days": st.integers(0, 3650), "price": PROB}),
    }
    for path in draw(st.lists(st.sampled_from(sorted(optional)), unique=True, max_size=8)):
        ov[path] = draw(optional[path])
    segments = sorted(raw["population"]["segments"])
    for s in draw(st.lists(st.sampled_from(segments), unique=True, max_size=2)):
        base = f"population.segments.{s}"
        ov[f"{base}.balance"] = draw(dist(0, math.inf, mean_max=MONEY_MAX))
        ov[f"{base}.entry_dpd"] = draw(st.integers(1, 720))
    for r in draw(st.lists(st.sampled_from(sorted(raw["reasons"])), unique=True, max_size=2)):
        base = f"reasons.{r}"
        ov[f"{base}.lambda_inf"] = draw(edge_floats(0, 10))
        ov[f"{base}.contactability"] = draw(edge_floats(0, 10))
        ov[f"{base}.willingness"] = draw(PROB)
        ov[f"{base}.vulnerable_share"] = draw(PROB)
    for t in draw(st.lists(st.sampled_from(sorted(raw.get("teams", {}))), unique=True, max_size=3)):
        base = f"teams.{t}"
        ov[f"{base}.headcount"] = draw(st.integers(0, 15))
        ov[f"{base}.shrinkage"] = draw(edge_floats(0, 0.99))
        ov[f"{base}.cost_per_fte_day"] = draw(MONEY)
        ov[f"{base}.handle_minutes.right_party"] = draw(dist(0, math.inf, mean_max=1440))
        if "weekly_headcount" in raw["teams"][t]:
            ov[f"{base}.weekly_headcount"] = [ov[f"{base}.headcount"]]
    for c in draw(st.lists(st.sampled_from(sorted(raw["channels"])), unique=True, max_size=3)):
        base = f"channels.{c}"
        ov[f"{base}.cost"] = draw(MONEY)
        ov[f"{base}.effect"] = draw(edge_floats(0, 10))
        ov[f"{base}.contact_prob"] = draw(PROB)
        ov[f"{base}.promise_prob"] = draw(PROB)
    return name, ov
