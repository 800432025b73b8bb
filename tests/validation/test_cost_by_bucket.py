"""Cost to collect by bucket: every cost and payment is booked to one bucket, and late buckets cost more.

The buckets partition the run's money: their costs (direct costs where they arose, team cost shared
by the team's minutes) add up to the total cost, their collections to what was collected. An
escalation ladder spends more per unit collected as accounts age (letters, visits, legal), and a
policy that calls daily from DPD 31 spends more there than one that calls every third day.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import collectsim as cs
from collectsim.engine.accounts.ledger import AFTER_CHARGEOFF, BUCKET_NAMES, BucketLedger

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


_RUNS: dict[tuple[str, str], cs.RunResult] = {}


def run(name: str, **overrides) -> cs.RunResult:
    """Seed 4 at 3,000 accounts; kept per scenario (the tests only read it): the plain baseline serves five tests."""
    sc = cs.load_scenario(SCENARIOS / name, {"population.accounts": 3000, **overrides})
    key = (sc.model_dump_json(), "4")
    if key not in _RUNS:
        _RUNS[key] = cs.simulate(sc, seed=4)
    return _RUNS[key]


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("baseline.toml", {}),
        ("conduct_us_reg_f.toml", {}),
        ("baseline.toml", {"chargeoff.dpd": 120, "debt_sale.price": 0.1, "horizon.days": 240}),
        ("card_statements.toml", {}),
        ("baseline.toml", {"channels.legal.cost": 25.0, "channels.agency.cost": 10.0}),  # filed by a team
    ],
)
def test_buckets_partition_cost_and_collections(name: str, overrides: dict) -> None:
    k = run(name, **overrides).kpis
    cost = sum(k[f"cost_in_{b}"] for b in BUCKET_NAMES) + k["cost_unattributed"]
    assert cost == pytest.approx(k["total_cost"], rel=1e-12)
    assert sum(k[f"collected_in_{b}"] for b in BUCKET_NAMES) == pytest.approx(k["collected"], rel=1e-12)
    for b in BUCKET_NAMES:
        if k[f"collected_in_{b}"] > 0:
            assert k[f"cost_to_collect_{b}"] == pytest.approx(k[f"cost_in_{b}"] / k[f"collected_in_{b}"])


def test_a_filing_without_a_team_is_booked_too() -> None:
    raw = cs.load_scenario(SCENARIOS / "baseline.toml", {"population.accounts": 3000}).model_dump(mode="json")
    raw["channels"]["legal"].pop("team")
    raw["channels"]["legal"]["cost"] = 25.0
    k = cs.simulate(cs.scenario.scenario_from_dict(raw), seed=4).kpis
    assert k["legal_filed"] > 0
    assert k["cost_unattributed"] > 0  # the legal officers no longer file: paid, idle
    cost = sum(k[f"cost_in_{b}"] for b in BUCKET_NAMES) + k["cost_unattributed"]
    assert cost == pytest.approx(k["total_cost"], rel=1e-12)


def test_the_ladder_costs_more_per_unit_collected_as_accounts_age() -> None:
    k = run("baseline.toml").kpis
    early, mid, late = (k[f"cost_to_collect_{b}"] for b in ("1_30", "31_60", "61_90"))
    assert early < mid < late
    assert k["collected_in_181_plus"] == 0 and np.isnan(k["cost_to_collect_181_plus"])  # charged off at 180


def test_daily_calls_from_dpd_31_cost_more_there() -> None:
    base, aggressive = run("baseline.toml").kpis, run("aggressive.toml").kpis
    assert aggressive["cost_in_31_60"] > 2 * base["cost_in_31_60"]
    assert aggressive["cost_to_collect_31_60"] > base["cost_to_collect_31_60"]
    assert aggressive["cost_in_1_30"] > base["cost_in_1_30"]


def test_an_idle_team_is_paid_but_not_attributed() -> None:
    """A team no ladder rung uses costs its paid days; no bucket can carry them."""
    sc = cs.load_scenario(SCENARIOS / "baseline.toml", {"population.accounts": 500})
    raw = sc.model_dump(mode="json")
    raw["teams"]["spare"] = {"headcount": 2, "cost_per_fte_day": 100.0}
    r = cs.simulate(cs.scenario.scenario_from_dict(raw), seed=1)
    spare = r.costs.loc[(r.costs["category"] == "team") & (r.costs["item"] == "spare"), "cost"].sum()
    assert spare > 0 and r.kpis["cost_unattributed"] == pytest.approx(spare)
    assert run("baseline.toml").kpis["cost_unattributed"] == 0.0  # every baseline team works accounts


def test_a_cost_is_booked_to_the_bucket_its_account_was_in() -> None:
    dpd = np.array([1, 30, 31, 95, 200, 40], dtype=np.int32)
    status = np.array([1, 1, 1, 1, 1, 4], dtype=np.int8)  # the last is charged off
    ledger = BucketLedger(dpd, status, 4)
    assert ledger.buckets(np.arange(6)).tolist() == [0, 0, 1, 3, 6, AFTER_CHARGEOFF]
    assert [ledger.bucket_one(i) for i in range(6)] == [0, 0, 1, 3, 6, AFTER_CHARGEOFF]
    ledger.spend(np.array([0, 2, 2]), 1.0)
    ledger.spend_one(5, 5.0)
    ledger.receive_in(ledger.buckets_of(dpd[[3]], status[[3]]), np.array([7.0]))
    ledger.work("t", 1, 10.0)
    ledger.work("t", 3, 30.0)
    assert ledger.cost.tolist() == [1.0, 2.0, 0, 0, 0, 0, 0, 5.0]
    assert ledger.collected[3] == 7.0
    shared, idle = ledger.team_cost({"t": 100.0, "u": 40.0})
    assert shared[0] == 25.0 and shared[3] == 75.0 and idle == 40.0


def test_a_costed_call_is_charged_per_attempt_and_a_free_one_not_at_all() -> None:
    """Each team attempt of a channel with a unit cost books that cost to the channel, the account and its
    bucket; a free channel (a call's default) books nothing."""
    free = run("baseline.toml")
    costed = run("baseline.toml", **{"channels.call.cost": 0.4})
    attempts = costed.kpis["team.early_callers.attempts"]
    channel = costed.costs.set_index("item").loc["call", "cost"]
    assert attempts > 0 and channel == pytest.approx(0.4 * attempts)
    assert free.costs.set_index("item").loc["call", "cost"] == 0.0
    assert costed.kpis["cost_in_1_30"] > free.kpis["cost_in_1_30"] + 0.2 * attempts  # calls run DPD 3-30 mostly
    assert costed.accounts["direct_cost"].sum() - free.accounts["direct_cost"].sum() > 0.3 * attempts
