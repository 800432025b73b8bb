"""Agencies in tiers after charge-off: primary, then secondary, then tertiary, each with its own commission.

Charged-off debt is placed with the primary agency at charge-off; what a tier leaves unpaid goes to
the next when its placement ends; a debt sale waits for the last. Each tier is paid its own
commission on what it collects, and the value at the horizon follows the accounts through the
tiers still ahead of them (checked against what a longer run of the same seed collects).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from test_horizon_value import _run_off_gap

import collectsim as cs
from collectsim.errors import ScenarioError

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml"
TIERS = {
    "chargeoff.dpd": 90,
    "agency.place_at_chargeoff": True,
    "agency.commission": 0.2,
    "agency.placement_days": 45,
    "agency.next_tiers": [
        {"name": "secondary", "commission": 0.3, "placement_days": 45},
        {"name": "tertiary", "commission": 0.4, "placement_days": 60},
    ],
}


@pytest.fixture(scope="module")
def tiered() -> cs.Scenario:
    return cs.load_scenario(BASELINE, {"population.accounts": 3000, "horizon.days": 240, **TIERS})


def test_debt_moves_down_the_tiers_and_each_is_paid_its_commission(tiered: cs.Scenario) -> None:
    r = cs.simulate(tiered, seed=2, check_invariants=True)
    k = r.kpis
    placed = [k[f"agency_placements_{t}"] for t in ("primary", "secondary", "tertiary")]
    assert placed[0] > placed[1] > placed[2] > 0  # what the tier before collected in full does not move on
    for tier, rate in (("primary", 0.2), ("secondary", 0.3), ("tertiary", 0.4)):
        assert k[f"agency_commission_{tier}"] == pytest.approx(rate * k[f"agency_collected_{tier}"])
    assert sum(k[f"agency_commission_{t}"] for t in ("primary", "secondary", "tertiary")) == pytest.approx(
        k["agency_commission"]
    )
    assert k["agency_collected"] == pytest.approx(r.accounts["agency_paid"].sum())
    # Each account's direct cost carries its tier's commission: the buckets still add up to the total cost.
    buckets = sum(v for name, v in k.items() if name.startswith("cost_in_")) + k["cost_unattributed"]
    assert buckets == pytest.approx(k["total_cost"], rel=1e-12)


def test_the_value_ahead_pays_each_tier_its_commission(tiered: cs.Scenario) -> None:
    """Debt with the primary agency at the horizon still faces the 30% and 40% tiers: more than 20% goes in fees."""
    acc = cs.simulate(cs.with_overrides(tiered, {"horizon.days": 100}), seed=2).accounts
    ahead = acc[(acc["status"] == "written_off") & acc["ever_placed"] & (acc["legal_stage"] == "none")]
    share = ahead["expected_costs_after_horizon"].sum() / ahead["expected_after_horizon"].sum()
    assert 0.21 < share < 0.4, share


def test_a_sale_waits_for_the_last_tier(tiered: cs.Scenario) -> None:
    sold = cs.simulate(cs.with_overrides(tiered, {"debt_sale.price": 0.05}), seed=2).accounts
    sold = sold[sold["status"] == "sold"]
    assert len(sold) > 0
    # Charge-off at DPD 90 on day 89 at the earliest; 45 + 45 + 60 days of placements before the sale.
    assert (sold["sale_day"] >= 89 + 150).all()


def test_without_tiers_a_placement_ends_at_recall(tiered: cs.Scenario) -> None:
    one = cs.with_overrides(tiered, {"agency.next_tiers": []})
    k = cs.simulate(one, seed=2).kpis
    assert "agency_placements_secondary" not in k
    assert k["agency_placements"] < cs.simulate(tiered, seed=2).kpis["agency_placements"]


def test_horizon_value_follows_the_tiers_ahead(tiered: cs.Scenario) -> None:
    """At day 120 most charged-off debt is with the primary or secondary agency, with tiers still ahead."""
    sc = cs.with_overrides(tiered, {"population.accounts": 2000})
    gaps, expected = _run_off_gap(sc, range(1, 3), 120)
    assert expected.mean() > 0
    se = gaps.std(ddof=1) / math.sqrt(gaps.size)
    assert abs(gaps.mean()) < 3 * se + 0.05 * expected.mean(), (gaps, expected)


@pytest.mark.parametrize(
    ("tier", "field"),
    [({"name": "secondary", "commission": 1.5}, "commission"), ({"commission": 0.3}, "name")],
)
def test_a_bad_tier_names_its_field(tier: dict, field: str) -> None:
    with pytest.raises(ScenarioError, match=field):
        cs.load_scenario(BASELINE, {"agency.next_tiers": [tier]})
