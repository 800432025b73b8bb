"""What a sharper risk score is worth, and that it can be worth less than nothing when misused.

On the calibrated CN preset (where treatment pays, docs/calibration.md), paired seeds:
- worked by expected loss (balance × (1 − score)) with the risk-based ladder, AUC 0.9 beats
  AUC 0.5 (a constant score, i.e. queues by balance alone) in NPV: the mean paired gain is more
  than one standard error above 0 (measured: +41k, +87k, +13k CNY by seed on ≈ 43 M of NPV);
- worked by expected value (balance × score), a sharper score calls first the borrowers who
  would pay anyway, and loses money against no score at all, on every seed (measured: −165k,
  −251k, −245k).
Both follow from the score ranking borrowers by their latent propensity to pay; a mechanism
that ignored the score, or a score that carried no information, fails both.
"""

from __future__ import annotations

import statistics
import tomllib
from pathlib import Path

import pytest

import collectsim as cs

ROOT = Path(__file__).resolve().parents[2]
SEEDS = (1, 2, 3)
ACCOUNTS = 6000
CN_BALANCE_SCALE = 6.67  # USD floors of risk_based.toml to the CN preset's CNY, as benchmarks/direction.py


@pytest.fixture(scope="module")
def cn() -> cs.Scenario:
    return cs.load_scenario(ROOT / "scenarios" / "cn_consumer_loan.toml", {"population.accounts": ACCOUNTS})


def risk_based_policy() -> dict:
    policy = tomllib.loads((ROOT / "scenarios" / "risk_based.toml").read_text())["policy"]
    for ladder in policy["ladders"].values():
        for stage in ladder["stages"]:
            for action in stage["actions"]:
                if "balance_min" in action:
                    action["balance_min"] = round(action["balance_min"] * CN_BALANCE_SCALE, -3)
    return policy


def npv_gain(sc: cs.Scenario, overrides: dict) -> list[float]:
    """Paired NPV differences, AUC 0.9 minus AUC 0.5, per seed."""
    low = cs.with_overrides(sc, overrides | {"score.auc": 0.5})
    high = cs.with_overrides(sc, overrides | {"score.auc": 0.9})
    return [cs.simulate(high, s).kpis["npv"] - cs.simulate(low, s).kpis["npv"] for s in SEEDS]


def test_sharper_score_is_worth_money_in_the_risk_based_policy(cn: cs.Scenario) -> None:
    gains = npv_gain(cn, {"policy": risk_based_policy()})
    assert statistics.fmean(gains) > statistics.stdev(gains) / len(gains) ** 0.5, gains


def test_sharper_score_loses_money_when_queues_call_the_self_curers_first(cn: cs.Scenario) -> None:
    gains = npv_gain(cn, {"policy.priority": "expected_value"})
    assert all(g < 0 for g in gains), gains
